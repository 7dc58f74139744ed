// Does this S3 server honour `If-None-Match: *` (create only)? AWS does, on
// PutObject and on CompleteMultipartUpload (since 2024-08). Ceph RGW 16.2
// does on PutObject but silently ignores it on CompleteMultipartUpload and
// overwrites the object. So the store asks the server once, with a probe key
// no store key can collide with, and emulates what is missing.
//
// On a versioned bucket (every Object Lock bucket) RGW 16 ignores If-None-Match
// on PutObject too, and a plain DELETE leaves every probe version behind (a
// delete marker hides them), one set per start. So the probe deletes its own
// versions by VersionId, except a version the bucket's default Object Lock
// retention locked: that one is only hidden by a delete marker (and a
// version delete would be refused with AccessDenied anyway).

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface ConditionalSupport {
  /** PutObject If-None-Match: * is refused with 412 when the key exists. */
  readonly put: boolean;
  /** CompleteMultipartUpload If-None-Match: * is refused with 412 when the key exists. */
  readonly multipart: boolean;
}

const statusOf = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** 412 = supported; another 4xx or 501 = not supported (an unknown header or condition); anything else is rethrown. */
async function refused(attempt: Promise<unknown>): Promise<boolean> {
  try {
    await attempt;
    return false;
  } catch (e) {
    const status = statusOf(e);
    if (status === 412) return true;
    if (status !== undefined && ((status >= 400 && status < 500 && status !== 403 && status !== 408 && status !== 429) || status === 501)) return false;
    throw e;
  }
}

/** Writes, tests and deletes `params.Key` (about 7 requests, once per store). */
export async function probeConditionalWrites(client: S3Client, params: PutObjectCommandInput): Promise<ConditionalSupport> {
  const { Bucket, Key } = params;
  await client.send(new PutObjectCommand({ ...params, Body: Buffer.from('probe') }));
  try {
    const put = await refused(client.send(new PutObjectCommand({ ...params, Body: Buffer.from('probe 2'), IfNoneMatch: '*' })));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ ...params }));
    let multipart = false;
    try {
      const part = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from('probe 3') }));
      multipart = await refused(client.send(new CompleteMultipartUploadCommand({
        Bucket, Key, UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      })));
    } finally {
      // After a refused (or failed) completion the upload is still open; after an accepted one this is a harmless 404.
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    }
    return { put, multipart };
  } finally {
    await removeProbe(client, Bucket, Key).catch(() => undefined);
  }
}

/** Delete the probe's unlocked versions and delete markers by VersionId; hide a locked one (or everything, without versioning) behind a plain delete. */
async function removeProbe(client: S3Client, Bucket: string | undefined, Key: string | undefined): Promise<void> {
  const r = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
  const markers = (r.DeleteMarkers ?? []).filter((m) => m.Key === Key);
  const versions = (r.Versions ?? []).filter((v) => v.Key === Key);
  let hide = versions.length === 0 && markers.length === 0;
  for (const { VersionId } of versions) {
    if (VersionId === undefined || VersionId === 'null') {
      hide = true;
      continue;
    }
    const head = await client.send(new HeadObjectCommand({ Bucket, Key, VersionId })).catch(() => undefined);
    if (head === undefined || head.ObjectLockMode !== undefined || head.ObjectLockLegalHoldStatus === 'ON') {
      hide = true;
      continue;
    }
    await client.send(new DeleteObjectCommand({ Bucket, Key, VersionId })).catch(() => {
      hide = true;
    });
  }
  if (hide) await client.send(new DeleteObjectCommand({ Bucket, Key }));
  else for (const { VersionId } of markers) await client.send(new DeleteObjectCommand({ Bucket, Key, VersionId })).catch(() => undefined);
}
