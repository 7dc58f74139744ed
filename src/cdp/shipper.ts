// The shipping loop of one volume. One PUT at a time and, under load, at
// most one per shipIntervalMs in total (journal objects, base chunks, base
// indexes, metadata all count); nothing at all while idle: a timer runs only
// while there is something to send. Journal objects take every pending
// record (up to MAX_OBJECT_BYTES), so the lag from ack to store is about one
// interval. While a base is in progress, journal and base PUTs alternate.
// A failed PUT is retried with exponential backoff (up to 30 s); the pending
// records stay in the local journal meanwhile.
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { Logger } from '../log.ts';
import type { BaseWriter } from './base-writer.ts';
import { encodeJournal, type JournalEntry, type JournalGap } from './journal-format.ts';
import type { CdpKeys } from './keys.ts';
import type { LocalJournal, LocalRecord } from './local-journal.ts';
import { putCreateOnly } from './store-io.ts';

export const MAX_OBJECT_BYTES = 64 << 20;
const MAX_BACKOFF_MS = 30_000;

export type PendingItem = { kind: 'entry'; rec: LocalRecord; bytes: number } | { kind: 'gap'; gap: JournalGap };

export interface ShipHost {
  readonly name: string;
  readonly blockSize: number;
  readonly intervalMs: number;
  readonly store: ObjectStore;
  readonly keys: CdpKeys;
  readonly log: Logger;
  readonly journal: LocalJournal;
  readonly base: BaseWriter;
  nowMs(): number;
  /** A journal object holding seqs up to `lastSeq` is in the store. */
  shipped(lastSeq: number, lastUs: number, bytes: number): Promise<void>;
  /** Whether a new base should start now. */
  baseDue(): boolean;
  /** Metadata still to store (first open), or undefined. */
  metaToStore(): { key: string; body: Buffer } | undefined;
  metaStored(): void;
  /** A base index is in the store. */
  hasBase(): boolean;
}

export class Shipper {
  readonly #h: ShipHost;
  readonly #pending: PendingItem[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastPutMs = Number.NEGATIVE_INFINITY;
  #failures = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #baseTurn = false;
  #closed = false;
  /** PUTs done, by kind (status and tests). */
  readonly puts = { journal: 0, chunk: 0, index: 0, meta: 0 };

  constructor(host: ShipHost) {
    this.#h = host;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }
  get pendingCount(): number {
    return this.#pending.length;
  }
  /** Nothing to store: no record, no base in progress or due, no metadata (no timer runs). */
  get idle(): boolean {
    return !this.#hasWork();
  }
  get failing(): boolean {
    return this.#failures > 0;
  }
  /** Time (µs) of the oldest record not yet in the store. */
  get oldestPendingUs(): number | undefined {
    const first = this.#pending[0];
    return first === undefined ? undefined : first.kind === 'entry' ? first.rec.timeUs : first.gap.firstUs;
  }

  enqueue(item: PendingItem): void {
    this.#pending.push(item);
    if (item.kind === 'entry') this.#pendingBytes += item.bytes;
    this.poke();
  }

  /** Arm the timer if there is work and none is armed. */
  poke(): void {
    if (this.#closed || this.#timer !== undefined || !this.#hasWork()) return;
    const backoff = this.#failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 1));
    const wait = Math.max(0, this.#lastPutMs + Math.max(this.#h.intervalMs, backoff) - this.#h.nowMs());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#serial(() => this.#tick());
    }, Math.ceil(wait));
    this.#timer.unref();
  }

  #hasWork(): boolean {
    return this.#pending.length > 0 || this.#h.base.active || this.#h.metaToStore() !== undefined || this.#h.baseDue();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn);
    this.#chain = next.catch(() => {});
    return next;
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    // The clock is checked again: a drain may have put since the timer was armed.
    if (this.#h.nowMs() < this.#lastPutMs + this.#h.intervalMs) {
      this.poke();
      return;
    }
    try {
      await this.#one();
      this.#succeeded();
    } catch (e) {
      this.#failed(e);
    }
    this.poke();
  }

  /** One PUT: metadata first, then journal and base alternating. */
  async #one(): Promise<void> {
    const meta = this.#h.metaToStore();
    if (meta !== undefined) {
      this.#lastPutMs = this.#h.nowMs();
      await putCreateOnly(this.#h.store, meta.key, meta.body);
      this.puts.meta++;
      this.#h.metaStored();
      return;
    }
    if (!this.#h.base.active && this.#h.baseDue()) this.#h.base.start();
    const base = this.#h.base.active && (this.#baseTurn || this.#pending.length === 0);
    this.#baseTurn = !base;
    if (base) {
      this.#lastPutMs = this.#h.nowMs();
      const what = await this.#h.base.step();
      if (what !== 'wait') {
        this.puts[what]++;
        return;
      }
    }
    if (this.#pending.length > 0) await this.#shipJournal();
  }

  #succeeded(): void {
    if (this.#failures > 0) this.#h.log.info('cdp: store reachable again, shipping resumed', { volume: this.#h.name });
    this.#failures = 0;
  }

  #failed(e: unknown): void {
    this.#failures++;
    const log = this.#failures === 1 || this.#failures % 10 === 0 ? this.#h.log.warn : this.#h.log.debug;
    log.call(this.#h.log, 'cdp: shipping failed, will retry', { volume: this.#h.name, failures: this.#failures, error: String(e) });
  }

  async #shipJournal(): Promise<void> {
    const items: PendingItem[] = [];
    let bytes = 0;
    for (const it of this.#pending) {
      if (items.length > 0 && it.kind === 'entry' && bytes + it.bytes > MAX_OBJECT_BYTES) break;
      items.push(it);
      if (it.kind === 'entry') bytes += it.bytes;
    }
    const entries: JournalEntry[] = [];
    const data: Buffer[] = [];
    const gaps: JournalGap[] = [];
    for (const it of items) {
      if (it.kind === 'gap') gaps.push(it.gap);
      else {
        entries.push(it.rec);
        data.push(await this.#h.journal.readData(it.rec));
      }
    }
    const first = items[0]!;
    const last = items.at(-1)!;
    const firstSeq = first.kind === 'entry' ? first.rec.seq : first.gap.firstSeq;
    const lastSeq = last.kind === 'entry' ? last.rec.seq : last.gap.lastSeq;
    const firstUs = first.kind === 'entry' ? first.rec.timeUs : first.gap.firstUs;
    const lastUs = last.kind === 'entry' ? last.rec.timeUs : last.gap.lastUs;
    const header = { volume: this.#h.name, blockSize: this.#h.blockSize, firstSeq, lastSeq, firstUs, lastUs, gaps };
    const body = encodeJournal(header, entries, data);
    this.#lastPutMs = this.#h.nowMs();
    await putCreateOnly(this.#h.store, this.#h.keys.journal({ firstSeq, lastSeq, firstUs, lastUs }), body);
    this.puts.journal++;
    this.#pending.splice(0, items.length);
    this.#pendingBytes -= bytes;
    await this.#h.shipped(lastSeq, lastUs, bytes);
  }

  /**
   * Ship every pending record now, whatever the interval (close, bookmarks,
   * tests); retries through failures with backoff until done or closed.
   */
  async drain(): Promise<void> {
    for (;;) {
      const more = await this.#serial(async () => {
        const first = this.#h.metaToStore() !== undefined || !this.#h.hasBase();
        if (this.#pending.length === 0 && !first) return false;
        try {
          if (first) await this.#first();
          else await this.#shipJournal();
          this.#succeeded();
        } catch (e) {
          this.#failed(e);
          if (this.#closed) throw e;
          await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.#failures, 9)));
        }
        return true;
      });
      if (!more) {
        // A base may be due now: the loop goes on with it.
        this.poke();
        return;
      }
    }
  }

  /** The metadata and the first base: a volume is restorable only from a base. */
  async #first(): Promise<void> {
    const meta = this.#h.metaToStore();
    if (meta !== undefined) {
      await putCreateOnly(this.#h.store, meta.key, meta.body);
      this.puts.meta++;
      this.#h.metaStored();
    }
    if (!this.#h.base.active && !this.#h.hasBase()) this.#h.base.start();
    while (this.#h.base.active) {
      const what = await this.#h.base.step();
      if (what !== 'wait') this.puts[what]++;
      else if (this.#pending.length > 0) await this.#shipJournal();
      else return;
    }
  }

  /** Try once to ship what is pending (close); false when the store refused. */
  async tryDrainOnce(): Promise<boolean> {
    return this.#serial(async () => {
      try {
        if (this.#h.metaToStore() !== undefined || !this.#h.hasBase()) await this.#first();
        while (this.#pending.length > 0) await this.#shipJournal();
        return true;
      } catch (e) {
        this.#failed(e);
        return false;
      }
    });
  }

  /** Stop the loop; waits for the PUT in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#chain;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
