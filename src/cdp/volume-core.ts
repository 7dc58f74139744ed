// The state and write path behind CdpVolume: seq and time stamping, the
// local journal, the image, the range locks, the dirty-chunk map, the
// journal-full gap, and the hooks the shipper and base writer call.
import { crc32c } from '@node-rs/crc32';
import type { FileHandle } from 'node:fs/promises';
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { Logger } from '../log.ts';
import { BaseWriter, type BaseSource } from './base-writer.ts';
import type { JournalGap } from './journal-format.ts';
import type { CdpKeys } from './keys.ts';
import type { LocalJournal, LocalRecord } from './local-journal.ts';
import { RangeLocks } from './range-lock.ts';
import { Shipper, type ShipHost } from './shipper.ts';
import { putCreateOnly } from './store-io.ts';
import type { BaseIndex, CdpSettings, CdpVolumeOptions, VolumeMeta } from './types.ts';
import type { StateWriter, VolumeState } from './volume-state.ts';

export class VolumeCore implements BaseSource, ShipHost {
  readonly name: string;
  readonly store: ObjectStore;
  readonly keys: CdpKeys;
  readonly log: Logger;
  readonly settings: CdpSettings;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly sizeBytes: number;
  readonly chunkBytes: number;
  readonly chunkCount: number;
  readonly intervalMs: number;
  readonly journal: LocalJournal;
  readonly base: BaseWriter;
  readonly shipper: Shipper;
  baseIndex: BaseIndex | undefined;
  readonly #blocksPerChunk: number;
  readonly #now: () => number;
  readonly #image: FileHandle;
  readonly #state: VolumeState;
  readonly #writer: StateWriter;
  readonly #locks = new RangeLocks();
  readonly #dirty: Map<number, number>;
  readonly #applying = new Set<number>();
  #overflowWarnedAt = 0;

  constructor(o: CdpVolumeOptions, keys: CdpKeys, state: VolumeState, image: FileHandle, journal: LocalJournal, baseIndex: BaseIndex | undefined, writer: StateWriter) {
    this.name = o.name;
    this.store = o.store;
    this.keys = keys;
    this.log = o.log;
    this.settings = o.settings;
    this.blockSize = o.blockSize;
    this.sizeBytes = o.sizeBytes;
    this.blockCount = Math.floor(o.sizeBytes / o.blockSize);
    this.chunkBytes = o.settings.chunkBytes;
    this.#blocksPerChunk = this.chunkBytes / this.blockSize;
    this.chunkCount = Math.ceil(this.blockCount / this.#blocksPerChunk);
    this.intervalMs = o.settings.shipIntervalMs;
    this.#now = o.now ?? (() => performance.timeOrigin + performance.now());
    this.#state = state;
    this.#image = image;
    this.journal = journal;
    this.baseIndex = baseIndex;
    this.#writer = writer;
    this.#dirty = new Map(state.dirty);
    this.base = new BaseWriter(this, o.store, keys);
    this.shipper = new Shipper(this);
  }

  /** After open: bring the image up to the local journal, queue what is unshipped. */
  async replay(records: LocalRecord[]): Promise<void> {
    for (const r of records) {
      if (r.seq > this.#state.lastSeq) {
        this.#state.lastSeq = r.seq;
        this.#state.lastUs = Math.max(this.#state.lastUs, r.timeUs);
      }
      if (r.seq <= this.#state.shippedSeq) continue;
      const data = await this.journal.readData(r);
      await writeAll(this.#image, data, r.lba * this.blockSize);
      this.#markDirty(r.lba, r.blocks, r.seq);
      this.shipper.enqueue({ kind: 'entry', rec: r, bytes: data.length });
    }
    // A new volume is all zeros at seq 0: its first (full) base says so before any write.
    if (this.baseIndex === undefined && this.#state.lastSeq === 0) this.base.start();
    if (this.#state.gap !== null && this.shipper.pendingCount === 0) this.#closeGap();
    this.#state.clean = false;
    await this.#writer.save(this.#state);
    this.shipper.poke();
  }

  nowMs(): number {
    return this.#now();
  }
  nowUs(): number {
    return Math.floor(this.#now() * 1000);
  }
  lastSeq(): number {
    return this.#state.lastSeq;
  }
  shippedSeq(): number {
    return this.#state.shippedSeq;
  }
  get state(): Readonly<VolumeState> {
    return this.#state;
  }

  async read(lba: number, blocks: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(blocks * this.blockSize);
    await readAll(this.#image, buf, lba * this.blockSize);
    return buf;
  }

  async write(lba: number, data: Buffer): Promise<void> {
    const blocks = data.length / this.blockSize;
    if (blocks === 0) return;
    const seq = ++this.#state.lastSeq;
    const timeUs = Math.max(this.nowUs(), this.#state.lastUs);
    this.#state.lastUs = timeUs;
    this.#markDirty(lba, blocks, seq);
    const lock = this.#locks.acquire(lba, lba + blocks);
    this.#applying.add(seq);
    try {
      if (this.#journaling()) {
        const entry = { seq, timeUs, lba, blocks, crc: crc32c(data), flags: 0 };
        const rec = await this.journal.append(entry, data);
        this.shipper.enqueue({ kind: 'entry', rec, bytes: data.length });
      } else {
        this.#extendGap(seq, timeUs, lba, blocks);
      }
      if (lock.ready !== undefined) await lock.ready;
      await writeAll(this.#image, data, lba * this.blockSize);
    } finally {
      this.#applying.delete(seq);
      lock.release();
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.#image.datasync(), this.journal.sync()]);
    // Writes in a gap are in no journal: the state file is their only record.
    if (this.#state.gap !== null) await this.#saveState();
  }

  #journaling(): boolean {
    if (this.#state.gap !== null) return false;
    if (this.shipper.pendingBytes < this.settings.journalLimitBytes) return true;
    this.log.error('cdp: local journal full (store unreachable?): the volume keeps serving but its RPO is growing; history of this span will be coarse', {
      volume: this.name,
      limitBytes: this.settings.journalLimitBytes,
    });
    this.#overflowWarnedAt = this.nowMs();
    return false;
  }

  #extendGap(seq: number, timeUs: number, lba: number, blocks: number): void {
    const g: JournalGap = (this.#state.gap ??= { firstSeq: seq, lastSeq: seq, firstUs: timeUs, lastUs: timeUs, chunks: [] });
    g.lastSeq = seq;
    g.lastUs = timeUs;
    const set = new Set(g.chunks);
    for (let c = Math.floor(lba / this.#blocksPerChunk); c <= Math.floor((lba + blocks - 1) / this.#blocksPerChunk); c++) set.add(c);
    if (set.size !== g.chunks.length) g.chunks = [...set].sort((a, b) => a - b);
    if (this.nowMs() - this.#overflowWarnedAt > 60_000) {
      this.#overflowWarnedAt = this.nowMs();
      this.log.error('cdp: local journal still full: RPO is growing', { volume: this.name, unshippedSince: new Date(g.firstUs / 1000).toISOString() });
    }
  }

  /** Every journaled record before the gap is shipped: ship the gap, journal again, and take a base. */
  #closeGap(): void {
    const g = this.#state.gap;
    if (g === null) return;
    this.#state.gap = null;
    this.#forceBaseFrom = g.lastSeq;
    this.shipper.enqueue({ kind: 'gap', gap: g });
    this.log.warn('cdp: journaling again after a full local journal; a base of the changed chunks follows', { volume: this.name, gapSeqs: [g.firstSeq, g.lastSeq] });
  }
  /** A base started at this seq or later is due at once (after a gap); -1: none. */
  #forceBaseFrom = -1;

  #markDirty(lba: number, blocks: number, seq: number): void {
    const last = Math.floor((lba + blocks - 1) / this.#blocksPerChunk);
    for (let c = Math.floor(lba / this.#blocksPerChunk); c <= last; c++) this.#dirty.set(c, seq);
  }

  // --- BaseSource ---
  dirtyChunks(): number[] {
    return [...this.#dirty.keys()];
  }

  async readChunk(c: number, into: Buffer): Promise<{ seq: number; data: Buffer }> {
    const start = c * this.#blocksPerChunk;
    const end = Math.min(start + this.#blocksPerChunk, this.blockCount);
    const lock = this.#locks.acquire(start, end);
    const seq = this.#state.lastSeq;
    try {
      if (lock.ready !== undefined) await lock.ready;
      const data = into.subarray(0, (end - start) * this.blockSize);
      await readAll(this.#image, data, start * this.blockSize);
      return { seq, data };
    } finally {
      lock.release();
    }
  }

  async published(index: BaseIndex): Promise<void> {
    for (const [c, [, s]] of index.chunks.entries()) {
      const d = this.#dirty.get(c);
      if (d !== undefined && d <= s) this.#dirty.delete(c);
    }
    this.baseIndex = index;
    this.#state.bytesSinceBase = 0;
    this.#state.lastBaseUs = index.timeUs;
    // A base begun before the gap closed may miss the gap's chunks: only a later one clears the need.
    if (this.#forceBaseFrom >= 0 && index.seq >= this.#forceBaseFrom) this.#forceBaseFrom = -1;
    await this.#writer.saveBaseIndex(index);
    await this.#saveState();
  }

  // --- ShipHost ---
  async shipped(lastSeq: number, lastUs: number, bytes: number): Promise<void> {
    this.#state.shippedSeq = lastSeq;
    this.#state.shippedUs = lastUs;
    this.#state.bytesSinceBase += bytes;
    // A segment is removed only once the image holds its writes durably.
    const applied = this.#applying.size === 0 ? this.#state.lastSeq : Math.min(...this.#applying) - 1;
    const through = Math.min(lastSeq, applied);
    if (this.journal.canDrop(through)) {
      await this.#image.datasync();
      await this.journal.dropThrough(through);
    }
    if (this.#state.gap !== null && this.shipper.pendingCount === 0 && this.journal.inFlight === 0) this.#closeGap();
    await this.#saveState();
  }

  baseDue(): boolean {
    if (this.baseIndex === undefined || this.#forceBaseFrom >= 0) return true;
    if (this.#dirty.size === 0) return false;
    if (this.#state.bytesSinceBase >= this.settings.baseEveryBytes) return true;
    return this.shipper.pendingCount > 0 && this.nowUs() - this.#state.lastBaseUs >= this.settings.baseEveryMs * 1000;
  }

  metaToStore(): { key: string; body: Buffer } | undefined {
    if (this.#state.metaInStore) return undefined;
    const meta: VolumeMeta = { format: 1, volume: this.name, sizeBytes: this.sizeBytes, blockSize: this.blockSize, chunkBytes: this.chunkBytes, created: new Date(this.nowMs()).toISOString() };
    return { key: this.keys.meta(1), body: Buffer.from(JSON.stringify(meta)) };
  }

  hasBase(): boolean {
    return this.baseIndex !== undefined;
  }

  metaStored(): void {
    this.#state.metaInStore = true;
    void this.#saveState().catch(() => {});
  }

  #saveState(): Promise<void> {
    this.#state.dirty = [...this.#dirty.entries()];
    return this.#writer.save(this.#state);
  }

  // --- bookmarks ---
  markNow(name: string): { name: string; seq: number; timeUs: number } {
    const timeUs = Math.max(this.nowUs(), this.#state.lastUs);
    this.#state.lastUs = timeUs;
    return { name, seq: this.#state.lastSeq, timeUs };
  }

  async storeMark(m: { name: string; seq: number; timeUs: number }): Promise<void> {
    const body = { name: m.name, seq: m.seq, timeUs: m.timeUs, time: new Date(m.timeUs / 1000).toISOString(), createdBy: 'volume' };
    await putCreateOnly(this.store, this.keys.mark(m.seq, m.name), Buffer.from(JSON.stringify(body)));
  }

  async close(): Promise<void> {
    await this.shipper.close();
    await this.flush();
    this.#state.clean = true;
    await this.#saveState();
    await this.journal.close();
    await this.#image.close();
  }
}

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

async function readAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) {
      buf.fill(0, done);
      return;
    }
    done += bytesRead;
  }
}
