// Request-level retries for the S3 store: exponential backoff with jitter for
// throttling, 5xx and network errors. A RetryStrategyV2 for the SDK (it
// retries every request whose body can be replayed), and the same policy for
// the store's own loops around streamed PUTs and multipart parts, which the
// SDK refuses to retry ("non-retryable streaming request").
//
// Unlike the SDK's StandardRetryStrategy there is no shared retry quota: the
// quota (500 tokens, 5 per retry) drains during an outage of a few seconds
// with 16 uploads in flight, after which nothing is retried at all. Here each
// request gets its own attempts. With the defaults a request gives up after
// 8 attempts and 11-23 s of waiting; the uploader then retries the whole
// object with its own backoff, so a 30 s outage costs delay, not data.

export interface RetryPolicy {
  /** Attempts per request including the first (1 = no retries). Default 8. */
  readonly maxAttempts: number;
  /** First backoff; doubles per attempt. Default 200 ms. */
  readonly baseDelayMs: number;
  /** Cap on one backoff. Default 10 s. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 };

export function retryPolicy(p?: Partial<RetryPolicy>): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(p?.maxAttempts ?? DEFAULT_RETRY.maxAttempts)),
    baseDelayMs: Math.max(0, p?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs),
    maxDelayMs: Math.max(0, p?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs),
  };
}

/** Delay before retry number `retry` (1-based): "equal jitter", uniform in [d/2, d] with d = base * 2^(retry-1), capped. */
export function backoffDelay(policy: RetryPolicy, retry: number, retryAfter?: Date): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = d / 2 + Math.random() * (d / 2);
  const hinted = retryAfter === undefined ? 0 : Math.min(policy.maxDelayMs, retryAfter.getTime() - Date.now());
  return Math.floor(Math.max(jittered, hinted));
}

/** SDK error kinds (RetryErrorType in @smithy/types); CLIENT_ERROR is never retried. */
type ErrorType = 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';

class Token {
  readonly #count: number;
  readonly #delay: number;
  constructor(count: number, delay: number) {
    this.#count = count;
    this.#delay = delay;
  }
  getRetryCount(): number {
    return this.#count;
  }
  /** The SDK's retry middleware sleeps this long (racing the abort signal) before the next attempt. */
  getRetryDelay(): number {
    return this.#delay;
  }
}

/** Structurally a RetryStrategyV2 (@smithy/types); passed as S3ClientConfig.retryStrategy. */
export class BackoffRetryStrategy {
  readonly mode = 'standard';
  readonly policy: RetryPolicy;

  constructor(policy?: Partial<RetryPolicy>) {
    this.policy = retryPolicy(policy);
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: Token, info: { errorType: ErrorType; retryAfterHint?: Date; error?: unknown }): Promise<Token> {
    const retry = token.getRetryCount() + 1;
    const status = (info.error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    // 501 Not Implemented is a 5xx that no retry will change.
    if (info.errorType === 'CLIENT_ERROR' || status === 501 || retry >= this.policy.maxAttempts) throw new Error('no retry');
    return new Token(retry, backoffDelay(this.policy, retry, info.retryAfterHint));
  }

  recordSuccess(_token: Token): void {}
}
