// An ObjectStore on S3 (AWS, Ceph RGW, MinIO). Keys map to `<prefix>/<key>`
// in one bucket. Buffers go up as one PutObject; file bodies are streamed from
// disk, as one PutObject below `multipartThreshold` and as a multipart upload
// of file-range parts above it (s3-multipart.ts, `queueSize` parts in
// flight), so a staging segment is never read into memory whole.
// beginUpload() hands out the same multipart upload for a segment that is
// still being written.
//
// Failures surface as StoreError with a stable code (s3-errors.ts); requests
// are retried with backoff first (s3-retry.ts). Configuration and the
// `s3://` URL are in s3-config.ts; archive-tier helpers in s3-archive.ts.
//
// Object Lock (PutOptions.lock, s3-lock.ts): a single PUT carries the lock
// headers (with Content-MD5, which AWS requires then); a multipart upload is
// locked afterwards with PutObjectRetention on its new VersionId, because
// Ceph RGW 16 ignores lock headers on CreateMultipartUpload. Either way the
// version is read back and the put fails unless the lock took.

import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreErrorCode } from '../errors.ts';
import {
  assertValidKey,
  assertValidPrefix,
  clipRange,
  type ByteRange,
  type GetOptions,
  type ListOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectLock,
  type ObjectPage,
  type ObjectStore,
  type PartUpload,
  type PutOptions,
} from '../object-store.ts';
import { abortStaleUploads, S3PartUpload, type MultipartContext } from './s3-multipart.ts';
import { probeConditionalWrites, type ConditionalSupport } from './s3-conditional.ts';
import { bucketLock, contentMd5, ensureLocked, lockParams, settleLock, type BucketLock } from './s3-lock.ts';
import { createS3Client, parseS3Url, rootPrefix, S3_DEFAULTS, validateS3Options, type S3StoreOptions } from './s3-config.ts';
import { isAbort, mapS3Error, S3StoreError } from './s3-errors.ts';
import { backoffDelay, retryPolicy, type RetryPolicy } from './s3-retry.ts';

/** Keys under `<prefix>.s3vtl/` are the store's own (capability probes); no valid key starts with '.'. */
export const INTERNAL_SEGMENT = '.s3vtl/';

/** Bodies this small are read into memory: retried by the SDK, one less open file. */
const SMALL_FILE = 1 << 20;

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #options: S3StoreOptions;
  readonly #root: string;
  readonly #policy: RetryPolicy;
  readonly #requests = new Map<string, number>();
  #conditional: Promise<ConditionalSupport> | undefined;

  constructor(options: S3StoreOptions) {
    validateS3Options(options);
    this.#options = options;
    this.#root = rootPrefix(options);
    this.#policy = retryPolicy(options.retry);
    this.#client = createS3Client(options);
    // Counts every HTTP attempt (inside the retry middleware), for request-economy figures.
    this.#client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        this.#requests.set(name, (this.#requests.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 's3vtlRequestCounter' },
    );
  }

  /** `s3://BUCKET/PREFIX?...` with the AWS environment (see parseS3Url); `overrides` win. */
  static fromUrl(url: string, env: NodeJS.ProcessEnv = process.env, overrides: Partial<S3StoreOptions> = {}): S3ObjectStore {
    return new S3ObjectStore({ ...parseS3Url(url, env), ...overrides });
  }

  /** The SDK client (for the archive helpers, tests and benchmarks). */
  get client(): S3Client {
    return this.#client;
  }
  get bucket(): string {
    return this.#options.bucket;
  }
  /** '' or 'some/prefix/'. */
  get prefix(): string {
    return this.#root;
  }
  get options(): S3StoreOptions {
    return this.#options;
  }

  /** The S3 key of a store key. */
  objectKey(key: string): string {
    assertValidKey(key);
    return this.#root + key;
  }

  /** HTTP attempts by operation name since construction (PutObject, UploadPart, ...). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.#requests);
  }

  /**
   * Fails with VTL_STORE_UNAVAILABLE unless the bucket exists and these
   * credentials reach it, and with `objectLock`, unless the bucket has Object
   * Lock enabled (s3Code ObjectLockConfigurationNotFoundError). Call at
   * startup: HEAD cannot tell a missing bucket from a missing key.
   */
  async check(options: { readonly objectLock?: boolean } = {}): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const m = mapS3Error(e, 'HeadBucket', undefined, this.bucket);
      if (m.code === StoreErrorCode.NOT_FOUND) {
        throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 bucket ${this.bucket} does not exist`, { cause: e, s3Code: 'NoSuchBucket', httpStatus: 404, retryable: false });
      }
      throw m;
    }
    if (options.objectLock === true && !(await this.objectLock()).enabled) {
      throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 bucket ${this.bucket} has no Object Lock enabled (it can only be enabled when the bucket is created, or on AWS on a versioned bucket with PutObjectLockConfiguration)`, {
        s3Code: 'ObjectLockConfigurationNotFoundError', retryable: false,
      });
    }
  }

  /** The bucket's Object Lock configuration (GetObjectLockConfiguration). */
  objectLock(): Promise<BucketLock> {
    return bucketLock(this.#client, this.bucket);
  }

  /** Release sockets. */
  close(): void {
    this.#client.destroy();
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    const s3Key = this.objectKey(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const params = this.putParams(s3Key, options?.contentType);
    const lock = options?.lock;
    try {
      const source = Buffer.isBuffer(body) ? undefined : await fileRange(body);
      const createOnly = options?.ifNoneMatch === '*';
      const multipart = source !== undefined && source.length >= (this.#options.multipartThreshold ?? S3_DEFAULTS.multipartThreshold);
      const native = createOnly && (await this.#conditionalSupport())[multipart ? 'multipart' : 'put'];
      if (createOnly && !native) {
        // Emulated create-only (RGW 16 ignores If-None-Match on CompleteMultipartUpload):
        // HEAD, then write. RACE: another writer can create the key between the
        // HEAD and the end of our upload, and one of the two objects is lost
        // silently. Segment and manifest keys are unique per cartridge and
        // sequence, and one gateway owns a cartridge, so this only guards
        // against operator mistakes (two gateways on one prefix).
        if ((await this.head(key)) !== undefined) throw mapS3Error({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }, 'PutObject', key, this.bucket);
      }
      const conditional = native ? { IfNoneMatch: '*' } : {};
      let put: PutResult;
      if (source === undefined || source.length < SMALL_FILE) {
        const bytes = source === undefined ? (body as Buffer) : await readRange(source);
        const locking = lock === undefined ? {} : { ...lockParams(lock), ContentMD5: await contentMd5(bytes) };
        const r = await this.#client.send(new PutObjectCommand({ ...params, ...conditional, ...locking, Body: bytes, ContentLength: bytes.length }), { abortSignal: signal });
        put = { key, size: bytes.length, ...(r.ETag && { etag: r.ETag }), versionId: r.VersionId };
      } else if (!multipart) {
        const locking = lock === undefined ? {} : { ...lockParams(lock), ContentMD5: await contentMd5(source) };
        put = await this.#putStream(key, { ...params, ...conditional, ...locking }, source, signal);
      } else {
        // No lock headers here: RGW 16 ignores them on CreateMultipartUpload, so every
        // server gets the same path (PutObjectRetention on the new version below).
        put = await this.#putMultipart(key, { ...params, ...conditional }, source, signal);
      }
      const { versionId, ...info } = put;
      if (lock === undefined) return info;
      const found = await settleLock(this.#client, this.bucket, s3Key, key, versionId, lock);
      return { ...info, ...(info.etag === undefined && found.etag !== undefined && { etag: found.etag }) };
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      let m = mapS3Error(e, 'put', key, this.bucket);
      // RGW 16 answers a lock header on a bucket without Object Lock with a bare 400 InvalidRequest.
      if (lock !== undefined && m instanceof S3StoreError && m.s3Code === 'InvalidRequest' && !(await this.objectLock().catch(() => ({ enabled: true }))).enabled) {
        m = mapS3Error({ name: 'InvalidRequest', message: 'Bucket is missing ObjectLockConfiguration', $metadata: { httpStatusCode: 400 } }, 'put', key, this.bucket);
      }
      // The object a locked create-only put meets is ours from an earlier attempt whose lock
      // failed, or from before a crash: lock it too (or fail) before reporting EXISTS.
      if (lock !== undefined && m.code === StoreErrorCode.EXISTS) await this.#ensureLocked(key, s3Key, lock);
      throw m;
    }
  }

  async #ensureLocked(key: string, s3Key: string, lock: ObjectLock): Promise<void> {
    try {
      await ensureLocked(this.#client, this.bucket, s3Key, key, lock);
    } catch (e) {
      throw mapS3Error(e, 'put (lock existing object)', key, this.bucket);
    }
  }

  /** Bucket, key, storage class, SSE and content type of a new object. */
  putParams(s3Key: string, contentType?: string): PutObjectCommandInput {
    const o = this.#options;
    return {
      Bucket: o.bucket,
      Key: s3Key,
      ...(o.storageClass !== undefined && { StorageClass: o.storageClass as PutObjectCommandInput['StorageClass'] }),
      ...(o.sse !== undefined && { ServerSideEncryption: o.sse }),
      ...(o.sseKmsKeyId !== undefined && { SSEKMSKeyId: o.sseKmsKeyId }),
      ...(contentType !== undefined && { ContentType: contentType }),
    };
  }

  /** One streamed PutObject. The SDK does not retry a stream body, so this loop does, reopening the file. */
  async #putStream(key: string, params: PutObjectCommandInput, src: FileRange, signal?: AbortSignal): Promise<PutResult> {
    for (let attempt = 1; ; attempt++) {
      const stream = createReadStream(src.path, { start: src.offset, end: src.offset + src.length - 1 });
      try {
        const r = await this.#client.send(new PutObjectCommand({ ...params, Body: stream, ContentLength: src.length }), { abortSignal: signal });
        return { key, size: src.length, ...(r.ETag && { etag: r.ETag }), versionId: r.VersionId };
      } catch (e) {
        const m = mapS3Error(e, 'PutObject', key, this.bucket);
        // A 412 on a retry can mean our own earlier attempt landed; the uploader compares sizes.
        if (isAbort(e, signal) || !(m instanceof S3StoreError && m.retryable) || attempt >= this.#policy.maxAttempts) throw e;
        await sleep(backoffDelay(this.#policy, attempt), undefined, { signal });
      } finally {
        stream.destroy();
      }
    }
  }

  /** Multipart upload of a file range: `queueSize` parts in flight, each streamed from the file. */
  async #putMultipart(key: string, params: PutObjectCommandInput, src: FileRange, signal?: AbortSignal): Promise<PutResult> {
    const partSize = this.#options.partSize ?? S3_DEFAULTS.partSize;
    // put() did the emulated create-only check already, or set If-None-Match for the native one.
    const createOnly = params.IfNoneMatch === '*' ? 'native' : 'none';
    const up = await S3PartUpload.begin(this.#multipart(() => Promise.resolve(createOnly)), key, params, signal);
    try {
      const count = Math.ceil(src.length / partSize);
      let next = 1;
      const worker = async (): Promise<void> => {
        for (let n = next++; n <= count; n = next++) {
          const offset = (n - 1) * partSize;
          await up.part(n, { path: src.path, offset: src.offset + offset, length: Math.min(partSize, src.length - offset) }, signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(count, Math.max(1, this.#options.queueSize ?? S3_DEFAULTS.queueSize)) }, worker));
      return await up.completeVersion(count, src.length, signal);
    } catch (e) {
      await up.abort();
      throw e;
    }
  }

  /** What a multipart upload needs of this store. */
  #multipart(createOnly: MultipartContext['createOnly']): MultipartContext {
    return { client: this.#client, bucket: this.bucket, policy: this.#policy, createOnly };
  }

  /** Abort multipart uploads under `prefix` (a key prefix) begun before `before` (see abortStaleUploads). */
  async abortStaleUploads(prefix: string, before: Date): Promise<number> {
    assertValidPrefix(prefix);
    try {
      return await abortStaleUploads(this.#client, this.bucket, this.#root + prefix, before);
    } catch (e) {
      throw mapS3Error(e, 'abort stale uploads', prefix, this.bucket);
    }
  }

  async beginUpload(key: string, options: { readonly contentType?: string; readonly signal?: AbortSignal } = {}): Promise<PartUpload> {
    options.signal?.throwIfAborted();
    const createOnly = async (): Promise<'native' | 'emulated'> => ((await this.#conditionalSupport()).multipart ? 'native' : 'emulated');
    return S3PartUpload.begin(this.#multipart(createOnly), key, this.putParams(this.objectKey(key), options.contentType), options.signal);
  }

  #conditionalSupport(): Promise<ConditionalSupport> {
    // AWS (no custom endpoint) has both since 2024-08: no probe objects in a possibly locked bucket.
    const mode = this.#options.conditionalWrites ?? (this.#options.endpoint === undefined ? 'native' : 'auto');
    if (mode !== 'auto') return Promise.resolve({ put: mode === 'native', multipart: mode === 'native' });
    this.#conditional ??= probeConditionalWrites(this.#client, this.putParams(`${this.#root}${INTERNAL_SEGMENT}probe-${process.pid}-${Date.now().toString(36)}`)).catch((e: unknown) => {
      this.#conditional = undefined; // an outage during the probe is not an answer; probe again next time
      throw e;
    });
    return this.#conditional;
  }

  /** How create-only puts are done: 'native' (If-None-Match) or 'emulated' (HEAD, then write), per upload kind. */
  async conditionalWrites(): Promise<ConditionalSupport> {
    return this.#conditionalSupport();
  }

  async get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    const s3Key = this.objectKey(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    if (range !== undefined) {
      clipRange(Number.MAX_SAFE_INTEGER, range); // validates
      if (range.length === 0) return this.#empty(key);
    }
    const Range = range === undefined ? undefined : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    for (let attempt = 1; ; attempt++) {
      let r;
      try {
        r = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s3Key, ...(Range && { Range }) }), { abortSignal: signal });
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        const m = mapS3Error(e, 'get', key, this.bucket);
        // "A range past the end is clipped": S3 answers 416 when it starts at or after the end.
        if (m instanceof S3StoreError && (m.httpStatus === 416 || m.s3Code === 'InvalidRange')) return this.#empty(key);
        throw m;
      }
      try {
        return await readBody(r.Body as AsyncIterable<Uint8Array>, r.ContentLength, options?.into);
      } catch (e) {
        // The SDK retried the request, not the body: a connection lost mid-body is retried here.
        if (isAbort(e, signal)) throw e;
        const m = mapS3Error(e, 'get', key, this.bucket);
        if (!(m instanceof S3StoreError && m.retryable) || attempt >= this.#policy.maxAttempts) throw m;
        await sleep(backoffDelay(this.#policy, attempt), undefined, { signal });
      }
    }
  }

  async #empty(key: string): Promise<Buffer> {
    if ((await this.head(key)) === undefined) throw mapS3Error({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'get', key, this.bucket);
    return Buffer.alloc(0);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const s3Key = this.objectKey(key);
    try {
      const r = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: s3Key }));
      return { key, size: r.ContentLength ?? 0, ...(r.ETag && { etag: r.ETag }), ...(r.LastModified && { lastModified: r.LastModified }) };
    } catch (e) {
      const m = mapS3Error(e, 'head', key, this.bucket);
      if (m.code === StoreErrorCode.NOT_FOUND) return undefined;
      throw m;
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    assertValidPrefix(prefix);
    const limit = Math.min(1000, Math.max(1, options?.limit ?? 1000));
    const startAfter = options?.startAfter === undefined ? undefined : this.#root + options.startAfter;
    let token: string | undefined;
    try {
      for (;;) {
        const r = await this.#client.send(new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.#root + prefix,
          MaxKeys: limit,
          ...(token === undefined ? startAfter !== undefined && { StartAfter: startAfter } : { ContinuationToken: token }),
        }));
        const contents = r.Contents ?? [];
        const objects: ObjectInfo[] = [];
        for (const c of contents) {
          const key = c.Key?.slice(this.#root.length);
          if (key === undefined || key.startsWith(INTERNAL_SEGMENT)) continue;
          objects.push({ key, size: c.Size ?? 0, ...(c.ETag && { etag: c.ETag }), ...(c.LastModified && { lastModified: c.LastModified }) });
        }
        const last = contents[contents.length - 1]?.Key;
        if (r.IsTruncated !== true || last === undefined) return { objects };
        // A page of internal keys only: keep going rather than return an empty page.
        if (objects.length === 0 && r.NextContinuationToken !== undefined) {
          token = r.NextContinuationToken;
          continue;
        }
        return { objects, next: last.slice(this.#root.length) };
      }
    } catch (e) {
      throw mapS3Error(e, 'list', prefix, this.bucket);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    const s3Keys = keys.map((k) => this.objectKey(k));
    for (let i = 0; i < s3Keys.length; i += 1000) {
      const batch = s3Keys.slice(i, i + 1000);
      let r;
      try {
        r = await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (e) {
        throw mapS3Error(e, 'delete', keys[i], this.bucket);
      }
      const failed = (r.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      const first = failed[0];
      if (first !== undefined) {
        const key = first.Key?.slice(this.#root.length);
        throw new S3StoreError(StoreErrorCode.UNAVAILABLE, `s3 delete: ${failed.length} of ${batch.length} keys failed, first ${key}: ${first.Code} ${first.Message ?? ''}`, {
          ...(key !== undefined && { key }), s3Code: first.Code, retryable: first.Code === 'InternalError' || first.Code === 'SlowDown',
        });
      }
    }
  }
}

/** What one upload request returned; the version is what a lock is applied to. */
type PutResult = ObjectInfo & { readonly versionId: string | undefined };

interface FileRange {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** Resolve a file body to an exact byte range; a range past the end of the file is the caller's bug. */
async function fileRange(body: Exclude<ObjectBody, Buffer>): Promise<FileRange> {
  const size = (await stat(body.path)).size;
  const offset = body.offset ?? 0;
  const length = body.length ?? size - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`${body.path}: range ${offset}+${length} is outside the file (${size} bytes)`);
  }
  return { path: body.path, offset, length };
}

/** The response body into `into` when it fits, else into one buffer of the announced length; a short body is a lost connection. */
async function readBody(body: AsyncIterable<Uint8Array>, length: number | undefined, into?: Buffer): Promise<Buffer> {
  if (length === undefined) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    return Buffer.concat(chunks);
  }
  const out = into !== undefined && into.length >= length ? into : Buffer.allocUnsafe(length);
  let n = 0;
  for await (const c of body) {
    if (n + c.byteLength > length) throw Object.assign(new Error(`body longer than its Content-Length ${length}`), { code: 'ECONNRESET' });
    out.set(c, n);
    n += c.byteLength;
  }
  if (n !== length) throw Object.assign(new Error(`short body: ${n} of ${length} bytes`), { code: 'ECONNRESET' });
  return out.subarray(0, n);
}

async function readRange(src: FileRange): Promise<Buffer> {
  const fh = await open(src.path, 'r');
  try {
    const buf = Buffer.alloc(src.length);
    let done = 0;
    while (done < src.length) {
      const { bytesRead } = await fh.read(buf, done, src.length - done, src.offset + done);
      if (bytesRead === 0) throw new RangeError(`${src.path}: file shrank while reading`);
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}
