// One table from what S3 (or the network under it) says to the store's stable
// codes. Callers branch on `code` only: VTL_STORE_NOT_FOUND (the key is not
// there), VTL_STORE_EXISTS (a create-only put met an object),
// VTL_STORE_UNAVAILABLE (anything else: the uploader keeps retrying it).
// `retryable` tells an operator-facing log whether waiting can help
// (network, 5xx, throttling) or a person must act (credentials, bucket).

import { StoreError, StoreErrorCode } from '../errors.ts';

export class S3StoreError extends StoreError {
  /** The S3 error code (NoSuchKey, SlowDown, ...) or the Node errno (ECONNREFUSED). */
  readonly s3Code: string | undefined;
  readonly httpStatus: number | undefined;
  readonly retryable: boolean;
  constructor(
    code: StoreErrorCode,
    message: string,
    o: { key?: string; cause?: unknown; s3Code?: string | undefined; httpStatus?: number | undefined; retryable: boolean },
  ) {
    super(code, message, { ...(o.key !== undefined && { key: o.key }), cause: o.cause });
    this.s3Code = o.s3Code;
    this.httpStatus = o.httpStatus;
    this.retryable = o.retryable;
  }
}

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const THROTTLE = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'ServiceUnavailable', 'ConditionalRequestConflict']);
const AUTH = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'RequestTimeTooSkewed', 'AllAccessDisabled', 'CredentialsProviderError']);

/** True when the error is the caller's abort (rethrown unchanged, never wrapped). */
export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e as SdkLikeError | undefined)?.name === 'AbortError';
}

/** Map an SDK/network error for operation `op` on `key` (already relative to the store prefix). */
export function mapS3Error(e: unknown, op: string, key: string | undefined, bucket: string): StoreError {
  if (e instanceof StoreError) return e;
  const err = (e ?? {}) as SdkLikeError;
  const status = err.$metadata?.httpStatusCode;
  const s3Code = err.code ?? err.name;
  const where = `s3 ${op}${key === undefined ? '' : ` ${key}`} (bucket ${bucket})`;
  const make = (code: StoreErrorCode, what: string, retryable: boolean): S3StoreError =>
    new S3StoreError(code, `${where}: ${what}`, { ...(key !== undefined && { key }), cause: e, s3Code, httpStatus: status, retryable });

  if (s3Code === 'NoSuchBucket') return make(StoreErrorCode.UNAVAILABLE, `bucket ${bucket} does not exist`, false);
  if (s3Code === 'NoSuchKey' || s3Code === 'NotFound' || status === 404) return make(StoreErrorCode.NOT_FOUND, 'no such object', false);
  if (s3Code === 'PreconditionFailed' || status === 412) return make(StoreErrorCode.EXISTS, 'object exists (If-None-Match: * refused)', false);
  if (isMissingLockConfiguration(e)) {
    return make(StoreErrorCode.UNAVAILABLE, `bucket ${bucket} has no Object Lock (a pool with objectLock needs a bucket created with Object Lock enabled): ${err.message ?? s3Code ?? ''}`, false);
  }
  if (s3Code !== undefined && AUTH.has(s3Code)) return make(StoreErrorCode.UNAVAILABLE, `${s3Code}: check the credentials and the bucket policy (${err.message ?? ''})`, false);
  if (s3Code !== undefined && (NETWORK.has(s3Code) || THROTTLE.has(s3Code))) {
    return make(StoreErrorCode.UNAVAILABLE, `${s3Code}: ${err.message ?? ''} (retryable)`, true);
  }
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) {
    return make(StoreErrorCode.UNAVAILABLE, `HTTP ${status} ${s3Code ?? ''}: ${err.message ?? ''} (retryable)`, status !== 501);
  }
  // A socket that died mid-response (no status) is transient; a 4xx we do not know is not.
  return make(StoreErrorCode.UNAVAILABLE, `${s3Code ?? 'error'}${status === undefined ? '' : ` HTTP ${status}`}: ${err.message ?? String(e)}`, status === undefined);
}

/** S3's answer to a lock header or PutObjectRetention on a bucket created without Object Lock (AWS and RGW: 400 InvalidRequest). */
export function isMissingLockConfiguration(e: unknown): boolean {
  const err = (e ?? {}) as SdkLikeError;
  const code = err.code ?? err.name;
  return (code === 'InvalidRequest' || code === 'ObjectLockConfigurationNotFoundError') && /ObjectLockConfiguration|object lock/i.test(err.message ?? '');
}
