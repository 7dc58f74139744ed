// The upload buffer's size limit, shared by every cartridge of a gateway.
// Staged bytes are what the staging area holds and the store does not yet
// have for good: open segments, sealed segments waiting for (or in) upload,
// uploaded segments waiting for their manifest. Each cartridge's pipeline is
// a member that reports its own bytes; the budget sums them when asked, so
// no counter can drift from the files.
//
// Over the limit, a write waits before it appends anything (backpressure:
// the SCSI WRITE simply does not complete yet) until uploads make room. A
// write that waits longer than `waitMs` fails with VTL_CARTRIDGE_STAGING_FULL
// and nothing of it is on the tape; the drive reports it as a write error.
// The limit is soft by at most one write per waiting drive: a writer let in
// appends its whole write even if that crosses the limit.

import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import type { TapesLog } from './uploader.ts';

export interface StagingMember {
  readonly barcode: string;
  /** Bytes this cartridge holds in staging that are not committed to the store. */
  stagedBytes(): number;
}

export interface StagingBudgetOptions {
  /** Staged bytes across all cartridges before writes wait (default 4 GiB). */
  readonly limitBytes?: number;
  /** How long a write waits for room before it fails (default 600 s). */
  readonly waitMs?: number;
  /** Re-check interval while writers wait, in case a release was not signalled (default 1 s). */
  readonly pollMs?: number;
  readonly log?: TapesLog;
}

/** A write waited longer than the configured time for room in the staging area. */
export class StagingFullError extends CartridgeError {
  readonly stagedBytes: number;
  readonly limitBytes: number;
  readonly waitedMs: number;
  constructor(barcode: string, stagedBytes: number, limitBytes: number, waitedMs: number) {
    super(
      CartridgeErrorCode.STAGING_FULL,
      barcode,
      `staging full: ${stagedBytes} bytes staged, limit ${limitBytes}; no room after waiting ${Math.round(waitedMs / 1000)} s for uploads (is the store reachable?)`,
    );
    this.stagedBytes = stagedBytes;
    this.limitBytes = limitBytes;
    this.waitedMs = waitedMs;
  }
}

interface Waiter {
  readonly barcode: string;
  readonly wake: () => void;
}

export class StagingBudget {
  readonly limitBytes: number;
  readonly waitMs: number;
  readonly #pollMs: number;
  readonly #log: TapesLog | undefined;
  readonly #members = new Set<StagingMember>();
  readonly #waiters = new Set<Waiter>();
  #lastWaitLog = 0;

  constructor(options: StagingBudgetOptions = {}) {
    this.limitBytes = Math.max(1, options.limitBytes ?? 4 * 1024 ** 3);
    this.waitMs = Math.max(0, options.waitMs ?? 600_000);
    this.#pollMs = Math.max(1, options.pollMs ?? 1000);
    this.#log = options.log;
  }

  /** Count a cartridge's staged bytes from now on; the returned function stops counting them. */
  register(member: StagingMember): () => void {
    this.#members.add(member);
    return () => {
      this.#members.delete(member);
      this.released();
    };
  }

  /** Staged bytes across all registered cartridges. */
  get usedBytes(): number {
    let sum = 0;
    for (const m of this.#members) sum += m.stagedBytes();
    return sum;
  }

  /** Cartridges counted (loaded ones). */
  get members(): number {
    return this.#members.size;
  }

  /** At or over the limit: the next write waits. */
  get full(): boolean {
    return this.usedBytes >= this.limitBytes;
  }

  /** Writers currently waiting for room. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolve when there is room for a write of `barcode` (at once when under
   * the limit); reject with StagingFullError after `waitMs` without room.
   */
  admit(barcode: string): Promise<void> {
    if (this.usedBytes < this.limitBytes) return Promise.resolve();
    const started = Date.now();
    this.#logWait(barcode);
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.usedBytes < this.limitBytes) {
          done();
          resolve();
        }
      };
      const waiter: Waiter = { barcode, wake: check };
      const poll = setInterval(check, this.#pollMs);
      const timeout = setTimeout(() => {
        done();
        const used = this.usedBytes;
        this.#log?.error('staging full: write failed after waiting for uploads', {
          barcode, stagedBytes: used, limitBytes: this.limitBytes, waitedSeconds: Math.round((Date.now() - started) / 1000),
        });
        reject(new StagingFullError(barcode, used, this.limitBytes, Date.now() - started));
      }, this.waitMs);
      const done = (): void => {
        clearInterval(poll);
        clearTimeout(timeout);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Staged bytes went down somewhere (an upload committed, a segment was cut): let waiting writers re-check. */
  released(): void {
    for (const w of [...this.#waiters]) w.wake();
  }

  #logWait(barcode: string): void {
    const now = Date.now();
    if (now - this.#lastWaitLog < 30_000) return;
    this.#lastWaitLog = now;
    this.#log?.warn('staging full: writes wait for uploads', {
      barcode, stagedBytes: this.usedBytes, limitBytes: this.limitBytes, waitSeconds: Math.round(this.waitMs / 1000),
    });
  }
}
