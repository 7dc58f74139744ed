// S3 Object Lock for the S3 store: the headers of a locked PutObject, the
// retention applied afterwards to a version (multipart uploads), reading a
// version's lock back to prove it took, and the bucket's lock configuration.
//
// Ceph RGW 16 ignores the lock headers on CreateMultipartUpload (AWS honours
// them), so after a multipart upload the store reads the new version's lock
// and, when it is missing, applies it with PutObjectRetention on that
// VersionId. Object Lock needs a versioned bucket: a put that returns no
// VersionId cannot have been locked.
//
// Nothing here deletes a version: a locked version is only ever hidden by a
// delete marker (a plain DELETE of the key), never removed by VersionId.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreErrorCode } from '../errors.ts';
import type { ObjectLock, ObjectLockMode } from '../object-store.ts';
import { mapS3Error, S3StoreError } from './s3-errors.ts';

/** The lock a version carries, as HEAD reports it. */
export interface VersionLock {
  /** Undefined on a bucket without versioning (which cannot lock). */
  readonly versionId: string | undefined;
  readonly mode: ObjectLockMode | undefined;
  readonly retainUntil: Date | undefined;
  readonly legalHold: boolean;
  readonly etag: string | undefined;
  readonly size: number;
}

/** The bucket's Object Lock configuration. */
export interface BucketLock {
  readonly enabled: boolean;
  /** The bucket's default retention, applied by S3 to every new version that asks for none. */
  readonly defaultRetention?: { readonly mode: ObjectLockMode; readonly days?: number; readonly years?: number };
}

/** A stored retain-until date may lose sub-second precision (RGW keeps seconds). */
const DATE_SLACK_MS = 1000;

/** PutObject / CreateMultipartUpload parameters that lock the new version. */
export function lockParams(lock: ObjectLock): Pick<PutObjectCommandInput, 'ObjectLockMode' | 'ObjectLockRetainUntilDate' | 'ObjectLockLegalHoldStatus'> {
  return {
    ObjectLockMode: lock.mode,
    ObjectLockRetainUntilDate: lock.retainUntil,
    ...(lock.legalHold === true && { ObjectLockLegalHoldStatus: 'ON' as const }),
  };
}

/**
 * Content-MD5 of a body: AWS refuses a PutObject with Object Lock parameters
 * without Content-MD5 or an x-amz-checksum (the store sends checksums only
 * when required, and streamed checksums are refused by RGW 16).
 */
export async function contentMd5(body: Buffer | { readonly path: string; readonly offset: number; readonly length: number }): Promise<string> {
  const hash = createHash('md5');
  if (Buffer.isBuffer(body)) return hash.update(body).digest('base64');
  if (body.length === 0) return hash.digest('base64');
  for await (const chunk of createReadStream(body.path, { start: body.offset, end: body.offset + body.length - 1 })) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/** HEAD a version (or the current one) and report its lock. Throws StoreError (VTL_STORE_NOT_FOUND when gone). */
export async function readLock(client: S3Client, bucket: string, s3Key: string, key: string, versionId?: string): Promise<VersionLock> {
  try {
    const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: s3Key, ...(versionId !== undefined && { VersionId: versionId }) }));
    return {
      versionId: r.VersionId ?? versionId,
      mode: r.ObjectLockMode === 'GOVERNANCE' || r.ObjectLockMode === 'COMPLIANCE' ? r.ObjectLockMode : undefined,
      retainUntil: r.ObjectLockRetainUntilDate,
      legalHold: r.ObjectLockLegalHoldStatus === 'ON',
      etag: r.ETag === '' ? undefined : r.ETag,
      size: r.ContentLength ?? 0,
    };
  } catch (e) {
    throw mapS3Error(e, 'head (object lock)', key, bucket);
  }
}

/** Why `found` does not carry `want`, or undefined when it does (same mode, at least as long, the hold if asked). */
export function lockShortfall(found: VersionLock, want: ObjectLock): string | undefined {
  if (found.mode !== want.mode) return `mode is ${found.mode ?? 'none'}, expected ${want.mode}`;
  if (found.retainUntil === undefined || found.retainUntil.getTime() < want.retainUntil.getTime() - DATE_SLACK_MS) {
    return `retained until ${found.retainUntil?.toISOString() ?? 'never'}, expected ${want.retainUntil.toISOString()}`;
  }
  if (want.legalHold === true && !found.legalHold) return 'no legal hold';
  return undefined;
}

/** PutObjectRetention (and PutObjectLegalHold) on one version. */
export async function applyLock(client: S3Client, bucket: string, s3Key: string, key: string, versionId: string, lock: ObjectLock): Promise<void> {
  try {
    await client.send(new PutObjectRetentionCommand({
      Bucket: bucket, Key: s3Key, VersionId: versionId,
      Retention: { Mode: lock.mode, RetainUntilDate: lock.retainUntil },
    }));
    if (lock.legalHold === true) {
      await client.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: s3Key, VersionId: versionId, LegalHold: { Status: 'ON' } }));
    }
  } catch (e) {
    throw mapS3Error(e, 'put retention', key, bucket);
  }
}

/**
 * Make sure the version just written carries `lock`: read it back, apply the
 * retention when the server ignored the headers (RGW multipart), read it back
 * again. Returns what HEAD says (its ETag fills RGW's empty multipart ETag).
 * Throws S3StoreError VTL_STORE_UNAVAILABLE naming the key when the lock
 * cannot be had: the object then stays unlocked, and a retried create-only
 * put meets it and locks it (ensureLocked).
 */
export async function settleLock(client: S3Client, bucket: string, s3Key: string, key: string, versionId: string | undefined, lock: ObjectLock): Promise<VersionLock> {
  let found = await readLock(client, bucket, s3Key, key, versionId);
  if (found.versionId === undefined || found.versionId === 'null') throw notVersioned(bucket, key);
  if (lockShortfall(found, lock) === undefined) return found;
  await applyLock(client, bucket, s3Key, key, found.versionId, lock);
  found = await readLock(client, bucket, s3Key, key, found.versionId);
  const why = lockShortfall(found, lock);
  if (why !== undefined) {
    throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 put ${key} (bucket ${bucket}): Object Lock did not take: ${why}`, { key, s3Code: 'ObjectLockNotApplied', retryable: false });
  }
  return found;
}

/**
 * A locked create-only put met an existing object (a retry after the lock
 * failed, or a resume after a crash between upload and retention): lock the
 * current version when it carries no lock at all. A lock already there is
 * left alone (never shortened, never changed in mode).
 */
export async function ensureLocked(client: S3Client, bucket: string, s3Key: string, key: string, lock: ObjectLock): Promise<void> {
  const found = await readLock(client, bucket, s3Key, key);
  if (found.mode !== undefined) return;
  await settleLock(client, bucket, s3Key, key, found.versionId, lock);
}

/** The bucket's Object Lock configuration; `enabled: false` when it has none. */
export async function bucketLock(client: S3Client, bucket: string): Promise<BucketLock> {
  try {
    const r = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const c = r.ObjectLockConfiguration;
    const d = c?.Rule?.DefaultRetention;
    const mode = d?.Mode === 'GOVERNANCE' || d?.Mode === 'COMPLIANCE' ? d.Mode : undefined;
    return {
      enabled: c?.ObjectLockEnabled === 'Enabled',
      ...(mode !== undefined && {
        defaultRetention: { mode, ...(d?.Days !== undefined && { days: d.Days }), ...(d?.Years !== undefined && { years: d.Years }) },
      }),
    };
  } catch (e) {
    const name = (e as { name?: string }).name;
    // AWS: 404 ObjectLockConfigurationNotFoundError; RGW 16 answers the same for a bucket created without lock.
    if (name === 'ObjectLockConfigurationNotFoundError' || name === 'ObjectLockConfigurationNotFound') return { enabled: false };
    throw mapS3Error(e, 'get object lock configuration', undefined, bucket);
  }
}

function notVersioned(bucket: string, key: string): S3StoreError {
  return new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 put ${key} (bucket ${bucket}): cannot lock: the put returned no version, so the bucket has no versioning and no Object Lock`, {
    key, s3Code: 'ObjectLockNotApplied', retryable: false,
  });
}
