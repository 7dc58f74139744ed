// S3 multipart upload with parts read from file ranges: the PartUpload of
// object-store.ts. Each part is streamed from disk, so memory does not grow
// with the part size, and a part whose request fails is sent again from the
// file (the SDK cannot replay a stream body). Used for segments uploaded
// while they are still being written, and for whole files too large for one
// PutObject.
//
// Create-only: If-None-Match on CompleteMultipartUpload where the gateway
// honours it, else a HEAD just before completing (Ceph RGW 16 ignores the
// header there; the race is the one s3-store.ts describes for put()).
// Object Lock: PutObjectRetention on the new version, read back (s3-lock.ts),
// because lock headers on CreateMultipartUpload are ignored by RGW 16.

import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StoreErrorCode } from '../errors.ts';
import type { FileRange, ObjectInfo, ObjectLock, PartUpload } from '../object-store.ts';
import { isAbort, mapS3Error, S3StoreError } from './s3-errors.ts';
import { settleLock } from './s3-lock.ts';
import { backoffDelay, type RetryPolicy } from './s3-retry.ts';

export interface MultipartContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly policy: RetryPolicy;
  /**
   * How complete() keeps the upload from replacing an object: 'native'
   * (If-None-Match, where the gateway honours it), 'emulated' (HEAD just
   * before completing), or 'none' (the caller checked already).
   */
  readonly createOnly: () => Promise<'native' | 'emulated' | 'none'>;
}

export class S3PartUpload implements PartUpload {
  readonly key: string;
  readonly #c: MultipartContext;
  readonly #s3Key: string;
  readonly #uploadId: string;
  readonly #etags: string[] = [];

  private constructor(c: MultipartContext, key: string, s3Key: string, uploadId: string) {
    this.#c = c;
    this.key = key;
    this.#s3Key = s3Key;
    this.#uploadId = uploadId;
  }

  /** CreateMultipartUpload with the object's parameters (storage class, SSE, content type). */
  static async begin(c: MultipartContext, key: string, params: PutObjectCommandInput, signal?: AbortSignal): Promise<S3PartUpload> {
    const { Bucket, Key, StorageClass, ServerSideEncryption, SSEKMSKeyId, ContentType } = params;
    try {
      const r = await c.client.send(new CreateMultipartUploadCommand({
        Bucket, Key, StorageClass, ServerSideEncryption, SSEKMSKeyId, ContentType,
      }), { abortSignal: signal });
      if (r.UploadId === undefined) throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 CreateMultipartUpload ${key}: no UploadId in the answer`, { key, retryable: true });
      return new S3PartUpload(c, key, Key!, r.UploadId);
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      throw mapS3Error(e, 'CreateMultipartUpload', key, c.bucket);
    }
  }

  async part(n: number, body: FileRange, signal?: AbortSignal): Promise<void> {
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError(`part number ${n} outside 1..10000`);
    for (let attempt = 1; ; attempt++) {
      const stream = createReadStream(body.path, { start: body.offset, end: body.offset + body.length - 1, highWaterMark: 1 << 20 });
      try {
        const r = await this.#c.client.send(new UploadPartCommand({
          Bucket: this.#c.bucket, Key: this.#s3Key, UploadId: this.#uploadId, PartNumber: n, Body: stream, ContentLength: body.length,
        }), { abortSignal: signal });
        if (r.ETag === undefined) throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 UploadPart ${this.key} part ${n}: no ETag in the answer`, { key: this.key, retryable: true });
        this.#etags[n - 1] = r.ETag;
        return;
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        const m = e instanceof S3StoreError ? e : mapS3Error(e, 'UploadPart', this.key, this.#c.bucket);
        if (!(m instanceof S3StoreError && m.retryable) || attempt >= this.#c.policy.maxAttempts) throw m;
        await sleep(backoffDelay(this.#c.policy, attempt), undefined, { signal });
      } finally {
        stream.destroy();
      }
    }
  }

  async complete(count: number, size: number, options: { readonly lock?: ObjectLock; readonly signal?: AbortSignal } = {}): Promise<ObjectInfo> {
    const { versionId, ...info } = await this.completeVersion(count, size, options.signal);
    if (options.lock === undefined) return info;
    try {
      await settleLock(this.#c.client, this.#c.bucket, this.#s3Key, this.key, versionId, options.lock);
    } catch (e) {
      throw e instanceof S3StoreError ? e : mapS3Error(e, 'put (lock)', this.key, this.#c.bucket);
    }
    return info;
  }

  /** CompleteMultipartUpload of parts 1..count; the new version's id is what a lock is applied to. */
  async completeVersion(count: number, size: number, signal?: AbortSignal): Promise<ObjectInfo & { readonly versionId: string | undefined }> {
    const parts = [];
    for (let n = 1; n <= count; n++) {
      const ETag = this.#etags[n - 1];
      if (ETag === undefined) throw new RangeError(`${this.key}: part ${n} of ${count} was never uploaded`);
      parts.push({ PartNumber: n, ETag });
    }
    try {
      const createOnly = await this.#c.createOnly();
      if (createOnly === 'emulated') {
        const there = await this.#c.client.send(new HeadObjectCommand({ Bucket: this.#c.bucket, Key: this.#s3Key }), { abortSignal: signal }).then(() => true, (e: unknown) => {
          if (mapS3Error(e, 'head', this.key, this.#c.bucket).code === StoreErrorCode.NOT_FOUND) return false;
          throw e;
        });
        if (there) throw mapS3Error({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }, 'CompleteMultipartUpload', this.key, this.#c.bucket);
      }
      const r = await this.#c.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.#c.bucket, Key: this.#s3Key, UploadId: this.#uploadId, MultipartUpload: { Parts: parts }, ...(createOnly === 'native' && { IfNoneMatch: '*' }),
      }), { abortSignal: signal });
      // RGW 16 answers with an empty <ETag> (Red Hat BZ 2266579): no etag then.
      return { key: this.key, size, ...(r.ETag && { etag: r.ETag }), versionId: r.VersionId };
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      throw e instanceof S3StoreError ? e : mapS3Error(e, 'CompleteMultipartUpload', this.key, this.#c.bucket);
    }
  }

  async abort(): Promise<void> {
    await this.#c.client.send(new AbortMultipartUploadCommand({ Bucket: this.#c.bucket, Key: this.#s3Key, UploadId: this.#uploadId })).catch(() => undefined);
  }
}


/**
 * Abort the multipart uploads under `s3Prefix` begun before `before`: the
 * parts of segments a gateway was streaming when it stopped (their staged
 * files are uploaded again on restart), which S3 would otherwise keep, and
 * bill, until a lifecycle rule removes them. Returns how many were aborted.
 */
export async function abortStaleUploads(client: S3Client, bucket: string, s3Prefix: string, before: Date): Promise<number> {
  let aborted = 0;
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: s3Prefix, KeyMarker, UploadIdMarker }));
    for (const u of r.Uploads ?? []) {
      if (u.Key === undefined || u.UploadId === undefined || u.Initiated === undefined || u.Initiated >= before) continue;
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
      aborted++;
    }
    if (r.IsTruncated !== true) return aborted;
    KeyMarker = r.NextKeyMarker;
    UploadIdMarker = r.NextUploadIdMarker;
  }
}
