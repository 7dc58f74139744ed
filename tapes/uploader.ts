// Uploads sealed staging segments to the object store: bounded concurrency
// shared by every cartridge of a gateway, retries with exponential backoff
// and jitter. A create-only put that finds the object already there (a resume
// after a crash between upload and manifest) counts as done when the sizes
// match. A bigger pipeline (multipart, bandwidth limits, upload-buffer
// backpressure across cartridges) replaces this class behind the same call.

import { StoreError, StoreErrorCode } from './errors.ts';
import type { ObjectStore } from './object-store.ts';

export interface UploaderOptions {
  /** Concurrent PUTs across all cartridges (default 4). */
  readonly concurrency?: number;
  /** Attempts per object before giving up (default 10: about two minutes of retrying). */
  readonly attempts?: number;
  /** First backoff delay in ms; doubles per attempt (default 500, capped at 30 s). */
  readonly backoffMs?: number;
}

export interface UploadJob {
  readonly key: string;
  readonly path: string;
  readonly size: number;
}

export class SegmentUploader {
  readonly #store: ObjectStore;
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(store: ObjectStore, options: UploaderOptions = {}) {
    this.#store = store;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#attempts = Math.max(1, options.attempts ?? 10);
    this.#backoffMs = Math.max(0, options.backoffMs ?? 500);
  }

  /** Upload one staged segment; resolves once the store has it, rejects after the last attempt. */
  async upload(job: UploadJob): Promise<void> {
    await this.#acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#once(job);
          return;
        } catch (e) {
          if (attempt >= this.#attempts || (e instanceof StoreError && e.code === StoreErrorCode.INVALID_KEY)) throw e;
          const delay = Math.min(30_000, this.#backoffMs * 2 ** (attempt - 1));
          await sleep(delay / 2 + Math.random() * (delay / 2));
        }
      }
    } finally {
      this.#release();
    }
  }

  async #once(job: UploadJob): Promise<void> {
    try {
      await this.#store.put(job.key, { path: job.path, immutable: true }, { ifNoneMatch: '*' });
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== StoreErrorCode.EXISTS) throw e;
      const there = await this.#store.head(job.key);
      if (there?.size !== job.size) {
        throw new StoreError(StoreErrorCode.EXISTS, `${job.key} exists with size ${String(there?.size)}, expected ${job.size}`, { key: job.key, cause: e });
      }
    }
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
