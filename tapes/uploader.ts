// Uploads sealed staging segments to the object store: bounded concurrency
// shared by every cartridge of a gateway. A create-only put that finds the
// object already there (a resume after a crash between upload and manifest)
// counts as done when the sizes match.
//
// An outage costs time, never data: a retryable failure (the store is
// unreachable, throttles or answers 5xx) is retried for as long as it lasts,
// with exponential backoff and jitter capped at `maxBackoffMs`, while the
// staged bytes wait in the upload buffer (tapes/staging-budget.ts holds the
// writers back when it fills). Only a permanent failure (a bad key, an
// existing object of another size, credentials or a missing bucket, a
// staging file that cannot be read) rejects. Retries are logged at warn,
// at most once per `logEveryMs`.

import { StoreError, StoreErrorCode } from './errors.ts';
import type { ObjectLock, ObjectStore, PutOptions } from './object-store.ts';

/** The logger the tapes layer writes to (src/log.ts Logger fits). */
export interface TapesLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export interface UploaderOptions {
  /** Concurrent PUTs across all cartridges (default 4). */
  readonly concurrency?: number;
  /** Attempts per object before a retryable failure rejects (default: unlimited). */
  readonly attempts?: number;
  /** First backoff delay in ms; doubles per attempt (default 500). */
  readonly backoffMs?: number;
  /** Cap on one backoff delay (default 30 s). */
  readonly maxBackoffMs?: number;
  /** At most one retry warning per this many ms (default 30 s). */
  readonly logEveryMs?: number;
  readonly log?: TapesLog;
}

export interface UploadJob {
  readonly key: string;
  readonly path: string;
  readonly size: number;
  /** Stops retrying (the cartridge was abandoned, or the segment cut away); the upload rejects with an AbortError. */
  readonly signal?: AbortSignal;
  /** S3 Object Lock for the segment (its cartridge's pool or WORM medium asks for one). */
  readonly lock?: ObjectLock;
}

/**
 * True when waiting can help: VTL_STORE_UNAVAILABLE, unless the store says a
 * person must act (S3StoreError.retryable === false: credentials, no bucket).
 */
export function isRetryableStoreError(e: unknown): boolean {
  if (!(e instanceof StoreError) || e.code !== StoreErrorCode.UNAVAILABLE) return false;
  return (e as { retryable?: unknown }).retryable !== false;
}

/** Capped exponential backoff with equal jitter: uniform in [d/2, d], d = base * 2^(attempt-1). */
export function backoff(attempt: number, baseMs: number, capMs: number): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.min(40, Math.max(0, attempt - 1)));
  return d / 2 + Math.random() * (d / 2);
}

export class SegmentUploader {
  readonly #store: ObjectStore;
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #logEveryMs: number;
  readonly #log: TapesLog | undefined;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  /** Retry warnings suppressed since the last one logged, and when that was. */
  #suppressed = 0;
  #lastLog = 0;
  /** Jobs currently between a failure and their next attempt. */
  #retrying = 0;

  constructor(store: ObjectStore, options: UploaderOptions = {}) {
    this.#store = store;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#attempts = Math.max(1, options.attempts ?? Number.POSITIVE_INFINITY);
    this.#backoffMs = Math.max(0, options.backoffMs ?? 500);
    this.#maxBackoffMs = Math.max(this.#backoffMs, options.maxBackoffMs ?? 30_000);
    this.#logEveryMs = Math.max(0, options.logEveryMs ?? 30_000);
    this.#log = options.log;
  }

  /** Uploads waiting between a failed attempt and the next one. */
  get retrying(): number {
    return this.#retrying;
  }

  /** Upload one staged segment; resolves once the store has it, rejects on a permanent failure or abort. */
  upload(job: UploadJob): Promise<void> {
    return this.run(job.key, () => this.#once(job), job.signal);
  }

  /**
   * One store request (`what` names it in logs) in an upload slot, retried
   * like a segment upload: without end while the store is unreachable,
   * rejecting on a permanent failure or when `signal` aborts.
   */
  async run<T>(what: string, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire();
    try {
      let failedSince = 0;
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        try {
          const r = await request();
          if (failedSince !== 0) {
            this.#log?.info('segment upload succeeded after retries', { key: what, attempts: attempt, outageSeconds: Math.round((Date.now() - failedSince) / 1000) });
          }
          return r;
        } catch (e) {
          if (signal?.aborted === true) throw signal.reason;
          if (!isRetryableStoreError(e) || attempt >= this.#attempts) throw e;
          if (failedSince === 0) failedSince = Date.now();
          const delay = backoff(attempt, this.#backoffMs, this.#maxBackoffMs);
          this.#warn(what, attempt, delay, e);
          this.#retrying++;
          try {
            await sleep(delay, signal);
          } finally {
            this.#retrying--;
          }
        }
      }
    } finally {
      this.#release();
    }
  }

  async #once(job: UploadJob): Promise<void> {
    const options: PutOptions = { ifNoneMatch: '*', ...(job.signal !== undefined && { signal: job.signal }), ...(job.lock !== undefined && { lock: job.lock }) };
    try {
      await this.#store.put(job.key, { path: job.path, immutable: true }, options);
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== StoreErrorCode.EXISTS) throw e;
      const there = await this.#store.head(job.key);
      if (there?.size !== job.size) {
        throw new StoreError(StoreErrorCode.EXISTS, `${job.key} exists with size ${String(there?.size)}, expected ${job.size}`, { key: job.key, cause: e });
      }
    }
  }

  #warn(what: string, attempt: number, delayMs: number, e: unknown): void {
    const now = Date.now();
    if (this.#log === undefined) return;
    if (now - this.#lastLog < this.#logEveryMs) {
      this.#suppressed++;
      return;
    }
    this.#log.warn('segment upload failed, retrying', {
      key: what, attempt, retryInSeconds: Math.round(delayMs / 100) / 10, error: (e as Error).message,
      retrying: this.#retrying + 1, suppressedWarnings: this.#suppressed,
    });
    this.#lastLog = now;
    this.#suppressed = 0;
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#concurrency) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#active--;
  }
}

/** Sleep `ms`; an abort ends it early with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
