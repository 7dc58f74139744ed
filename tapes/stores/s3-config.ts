// Configuration of the S3 object store: the options, the `s3://BUCKET/PREFIX`
// URL the product accepts (`serve --store s3://...`), and the S3Client they
// build. The AWS SDK's standard environment is honoured explicitly here so a
// resolved config can be logged and tested: AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REQUEST_CHECKSUM_CALCULATION,
// AWS_RESPONSE_CHECKSUM_VALIDATION, plus S3_FORCE_PATH_STYLE=true (which the
// SDK has no variable for; shared/s3/start-rgw exports it).

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { TapesError } from '../errors.ts';
import { BackoffRetryStrategy, type RetryPolicy } from './s3-retry.ts';

export type ServerSideEncryption = 'AES256' | 'aws:kms';
export type ChecksumMode = 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
/**
 * How create-only puts are done: probe the server once ('auto', the default
 * with a custom endpoint; it writes and deletes one `<prefix>.s3vtl/probe-*`
 * object, which a bucket with default Object Lock retention keeps), trust
 * If-None-Match ('native', the default for AWS), or HEAD-then-PUT ('emulate').
 */
export type ConditionalWrites = 'auto' | 'native' | 'emulate';

export interface S3StoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket ('' or 'a/b'; a trailing '/' is added). */
  readonly prefix?: string;
  /** e.g. http://127.0.0.1:7480; undefined = AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Path-style addressing (needed for RGW/MinIO on host names). Default false. */
  readonly forcePathStyle?: boolean;
  /** Explicit keys; otherwise the SDK's default credential chain (env, profile, IMDS...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** StorageClass for new objects (STANDARD, STANDARD_IA, GLACIER_IR, or an RGW class). */
  readonly storageClass?: string;
  readonly sse?: ServerSideEncryption;
  /** KMS key id or ARN when sse is 'aws:kms' (undefined = the bucket's/account's default key). */
  readonly sseKmsKeyId?: string;
  /** Default WHEN_REQUIRED: RGW 16 answers 411 to aws-chunked streaming PUTs sent under WHEN_SUPPORTED. */
  readonly requestChecksumCalculation?: ChecksumMode;
  readonly responseChecksumValidation?: ChecksumMode;
  /**
   * File bodies at least this long go through a multipart upload (default 512 MiB). Below it a
   * file body is one streamed PutObject (S3 allows 5 GiB): one request per segment, no part
   * buffers in memory, and If-None-Match honoured natively where multipart needs a HEAD first.
   */
  readonly multipartThreshold?: number;
  /**
   * Multipart part size (default 128 MiB; S3 minimum 5 MiB). Segments go up in parts of this
   * size while the drive is still writing them (tapes/segment-stream.ts).
   */
  readonly partSize?: number;
  /** Parts in flight per multipart upload of a whole file (default 4); parts stream from disk, so memory does not grow with it. */
  readonly queueSize?: number;
  readonly conditionalWrites?: ConditionalWrites;
  /** SDK-level retries per request (see s3-retry.ts). */
  readonly retry?: Partial<RetryPolicy>;
  /** TCP connect timeout (default 5 s) and socket idle timeout (default 60 s). */
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Sockets per client (default 64). */
  readonly maxSockets?: number;
}

export const S3_DEFAULTS = {
  region: 'us-east-1',
  /**
   * Segment (object) size for cartridges in an S3 store when tapes.segmentSize is not set.
   * A segment goes up in `partSize` parts while it is written, so 1 GiB segments of 128 MiB
   * parts cost 10 requests per GiB (create, 8 parts, complete) plus a manifest, and when the
   * drive stops only the last part is left to send (split 4 ways). 64 MiB whole segments made
   * 16 PUTs per GiB, and each waited in staging until it was sealed.
   */
  segmentSize: 1 << 30,
  multipartThreshold: 512 << 20,
  partSize: 128 << 20,
  queueSize: 4,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 60_000,
  maxSockets: 64,
} as const;

const MIN_PART = 5 << 20;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Same code as src/errors.ts ConfigError (tapes/ does not import src/). */
const invalid = (message: string): TapesError => new TapesError('VTL_CONFIG_INVALID', `s3 store config: ${message}`);

const envFlag = (v: string | undefined): boolean | undefined =>
  v === undefined || v === '' ? undefined : /^(1|true|yes|on)$/i.test(v);

/**
 * Parse `s3://BUCKET[/PREFIX][?option=value&...]`. Query options (all optional):
 * endpoint, region, pathStyle (true/false), storageClass, sse (AES256|aws:kms),
 * kmsKeyId, partSize, queueSize, multipartThreshold (bytes), conditional
 * (auto|native|emulate). The query wins over the environment.
 */
export function parseS3Url(url: string, env: NodeJS.ProcessEnv = process.env): S3StoreOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 's3:') throw invalid(`${JSON.stringify(url)} is not an s3:// URL`);
  const bucket = u.hostname;
  if (!BUCKET.test(bucket)) throw invalid(`bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  const prefix = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  const q = u.searchParams;
  const num = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw invalid(`${name}=${v} is not a positive integer`);
    return n;
  };
  const endpoint = q.get('endpoint') ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const region = q.get('region') ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const pathStyle = q.has('pathStyle') ? envFlag(q.get('pathStyle') ?? '') : envFlag(env.S3_FORCE_PATH_STYLE);
  const sse = q.get('sse') ?? undefined;
  if (sse !== undefined && sse !== 'AES256' && sse !== 'aws:kms') throw invalid(`sse=${sse}: use AES256 or aws:kms`);
  const conditional = q.get('conditional') ?? undefined;
  if (conditional !== undefined && !['auto', 'native', 'emulate'].includes(conditional)) throw invalid(`conditional=${conditional}: use auto, native or emulate`);
  const checksum = (v: string | undefined): ChecksumMode | undefined =>
    v === 'WHEN_REQUIRED' || v === 'WHEN_SUPPORTED' ? v : undefined;
  const known = new Set(['endpoint', 'region', 'pathStyle', 'storageClass', 'sse', 'kmsKeyId', 'partSize', 'queueSize', 'multipartThreshold', 'conditional']);
  for (const k of q.keys()) if (!known.has(k)) throw invalid(`unknown option ${JSON.stringify(k)} in ${url}`);
  const options: S3StoreOptions = {
    bucket,
    prefix,
    ...(endpoint !== undefined && { endpoint }),
    ...(region !== undefined && { region }),
    ...(pathStyle !== undefined && { forcePathStyle: pathStyle }),
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && {
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
      },
    }),
    ...(q.get('storageClass') !== null && { storageClass: q.get('storageClass')! }),
    ...(sse !== undefined && { sse }),
    ...(q.get('kmsKeyId') !== null && { sseKmsKeyId: q.get('kmsKeyId')! }),
    ...(num('partSize') !== undefined && { partSize: num('partSize')! }),
    ...(num('queueSize') !== undefined && { queueSize: num('queueSize')! }),
    ...(num('multipartThreshold') !== undefined && { multipartThreshold: num('multipartThreshold')! }),
    ...(conditional !== undefined && { conditionalWrites: conditional as ConditionalWrites }),
    ...(checksum(env.AWS_REQUEST_CHECKSUM_CALCULATION) && { requestChecksumCalculation: checksum(env.AWS_REQUEST_CHECKSUM_CALCULATION)! }),
    ...(checksum(env.AWS_RESPONSE_CHECKSUM_VALIDATION) && { responseChecksumValidation: checksum(env.AWS_RESPONSE_CHECKSUM_VALIDATION)! }),
  };
  validateS3Options(options);
  return options;
}

/** Throws on values S3 would refuse later (part size below 5 MiB, bad SSE combination...). */
export function validateS3Options(o: S3StoreOptions): void {
  if (!BUCKET.test(o.bucket)) throw invalid(`bucket ${JSON.stringify(o.bucket)} is not a valid S3 bucket name`);
  if (o.partSize !== undefined && (!Number.isSafeInteger(o.partSize) || o.partSize < MIN_PART)) throw invalid(`partSize ${o.partSize} is below the S3 minimum of 5 MiB`);
  if (o.queueSize !== undefined && (!Number.isSafeInteger(o.queueSize) || o.queueSize < 1)) throw invalid(`queueSize ${o.queueSize} must be >= 1`);
  if (o.sseKmsKeyId !== undefined && o.sse !== 'aws:kms') throw invalid('kmsKeyId needs sse=aws:kms');
  if (o.endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(o.endpoint)) throw invalid(`endpoint ${JSON.stringify(o.endpoint)} must be http(s)://HOST[:PORT]`);
  if (o.prefix !== undefined && o.prefix !== '' && !/^[A-Za-z0-9._/-]+$/.test(o.prefix)) throw invalid(`prefix ${JSON.stringify(o.prefix)} has characters outside [A-Za-z0-9._/-]`);
}

/** The key prefix with exactly one trailing '/', or '' for the bucket root. */
export function rootPrefix(o: S3StoreOptions): string {
  const p = (o.prefix ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return p === '' ? '' : `${p}/`;
}

/** An S3Client for these options: our retry strategy, timeouts, checksums, path style. */
export function createS3Client(o: S3StoreOptions): S3Client {
  const config: S3ClientConfig = {
    region: o.region ?? S3_DEFAULTS.region,
    forcePathStyle: o.forcePathStyle ?? false,
    requestChecksumCalculation: o.requestChecksumCalculation ?? 'WHEN_REQUIRED',
    responseChecksumValidation: o.responseChecksumValidation ?? 'WHEN_REQUIRED',
    retryStrategy: new BackoffRetryStrategy(o.retry),
    logger: quietLogger,
    requestHandler: {
      connectionTimeout: o.connectTimeoutMs ?? S3_DEFAULTS.connectTimeoutMs,
      requestTimeout: o.requestTimeoutMs ?? S3_DEFAULTS.requestTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: o.maxSockets ?? S3_DEFAULTS.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: o.maxSockets ?? S3_DEFAULTS.maxSockets },
    },
    ...(o.endpoint !== undefined && { endpoint: o.endpoint }),
    ...(o.credentials !== undefined && { credentials: { ...o.credentials } }),
  };
  return new S3Client(config);
}

/**
 * The SDK's retry middleware warns on the console for every failed streamed
 * request ("non-retryable streaming request"), including an expected 412 of a
 * create-only put; the store retries streams itself and reports through its
 * errors, so those lines are dropped, as are the SDK's per-command error
 * records (a 404 HEAD is an answer, not a fault). Other warnings still print.
 */
const quietLogger = {
  trace: (): void => undefined,
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (...args: unknown[]): void => {
    if (!String(args[0]).includes('non-retryable streaming request')) console.warn(...args);
  },
  error: (): void => undefined,
};

/** The options with secrets removed, for logs. */
export function describeS3Options(o: S3StoreOptions): Record<string, unknown> {
  const { credentials, ...rest } = o;
  return { ...rest, credentials: credentials === undefined ? 'default chain' : `explicit (${credentials.accessKeyId})` };
}
