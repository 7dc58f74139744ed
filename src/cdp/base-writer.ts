// Base images: the chunks changed since their last copy, one PUT per step so
// the shipper keeps its request budget, then base/<seq>/index.json naming,
// for every chunk of the volume, its newest copy and the seq it reflects.
// A chunk is read under the volume's range lock, so the copy holds exactly
// the writes up to the seq recorded for it (no copy-on-write needed); a
// restore at X replays the journal entries touching the chunk with seq in
// (chunk seq, X]. The first base of a volume is full (every chunk, zeros
// recorded as such without an object).
import type { ObjectStore } from '../../tapes/object-store.ts';
import { ObjectConflict, putCreateOnly } from './store-io.ts';
import type { CdpKeys } from './keys.ts';
import type { BaseIndex, ChunkRef } from './types.ts';

export interface BaseSource {
  readonly name: string;
  readonly sizeBytes: number;
  readonly blockSize: number;
  readonly chunkBytes: number;
  readonly chunkCount: number;
  /** The newest published index (undefined before the first base). */
  baseIndex: BaseIndex | undefined;
  /** Read chunk `c` atomically with respect to writes: its bytes and the seq they reflect. */
  readChunk(c: number, into: Buffer): Promise<{ seq: number; data: Buffer }>;
  /** Chunks changed since their last copy. */
  dirtyChunks(): number[];
  lastSeq(): number;
  /** Every seq up to this one is in journal objects in the store. */
  shippedSeq(): number;
  nowUs(): number;
  /** The index is in the store. */
  published(index: BaseIndex): Promise<void>;
}

interface Job {
  seq: number;
  chunks: number[];
  next: number;
  refs: ChunkRef[];
  full: boolean;
}

export class BaseWriter {
  readonly #src: BaseSource;
  readonly #store: ObjectStore;
  readonly #keys: CdpKeys;
  #job: Job | undefined;
  #buf: Buffer | undefined;

  constructor(src: BaseSource, store: ObjectStore, keys: CdpKeys) {
    this.#src = src;
    this.#store = store;
    this.#keys = keys;
  }

  get active(): boolean {
    return this.#job !== undefined;
  }

  /** Begin a base of the changed chunks (every chunk when there is no base yet). */
  start(): void {
    const prev = this.#src.baseIndex;
    const n = this.#src.chunkCount;
    const full = prev === undefined;
    // A volume that was never written is all zeros at seq 0: nothing to read.
    const fresh = full && this.#src.lastSeq() === 0;
    const chunks = fresh ? [] : full ? Array.from({ length: n }, (_, i) => i) : this.#src.dirtyChunks().sort((a, b) => a - b);
    // A chunk that is not dirty had no write since its copy: that copy is
    // its state at this base's seq too, so restores from this base need no
    // journal before it (and thinning can free that journal).
    const seq = this.#src.lastSeq();
    const refs: ChunkRef[] = full ? Array.from({ length: n }, (): ChunkRef => [-1, 0]) : prev.chunks.map((r): ChunkRef => [r[0], Math.max(r[1], seq)]);
    this.#job = { seq, chunks, next: 0, refs, full };
  }

  /**
   * Do the next PUT of the base (a chunk, or the index when all chunks are
   * copied). Zero chunks need no PUT. Throws a store error: call again later.
   * 'wait': the index names seqs whose journal is not in the store yet; it
   * is published only after them, so that the store never holds a base of
   * writes it has no journal for (a recovered volume goes on from the
   * newest journal, and must not find a base of a lost future).
   */
  async step(): Promise<'chunk' | 'index' | 'wait'> {
    const job = this.#job;
    if (job === undefined) throw new Error('no base in progress');
    const src = this.#src;
    while (job.next < job.chunks.length) {
      const c = job.chunks[job.next]!;
      this.#buf ??= Buffer.allocUnsafe(src.chunkBytes);
      const { seq, data } = await src.readChunk(c, this.#buf);
      if (isZero(data)) {
        job.refs[c] = [-1, seq];
        job.next++;
        continue;
      }
      if (!(await this.#put(this.#keys.baseChunk(job.seq, c), data))) return 'chunk';
      job.refs[c] = [job.seq, seq];
      job.next++;
      return 'chunk';
    }
    let minSeq = Number.MAX_SAFE_INTEGER;
    let maxSeq = 0;
    for (const [, s] of job.refs) {
      minSeq = Math.min(minSeq, s);
      maxSeq = Math.max(maxSeq, s);
    }
    if (src.shippedSeq() < maxSeq) return 'wait';
    const index: BaseIndex = {
      format: 1,
      volume: src.name,
      seq: job.seq,
      timeUs: src.nowUs(),
      sizeBytes: src.sizeBytes,
      blockSize: src.blockSize,
      chunkBytes: src.chunkBytes,
      full: job.full,
      minSeq: job.refs.length === 0 ? 0 : minSeq,
      maxSeq,
      pointSeq: minSeq === maxSeq ? maxSeq : null,
      chunks: job.refs,
    };
    if (!(await this.#put(this.#keys.baseIndex(job.seq), Buffer.from(JSON.stringify(index))))) return 'index';
    this.#job = undefined;
    await src.published(index);
    return 'index';
  }

  /**
   * A create-only PUT of the base in progress; false when its seq is taken
   * by other bytes (thinning built a point base at that seq): the base is
   * given up, and the next one begins at the volume's current seq.
   */
  async #put(key: string, body: Buffer): Promise<boolean> {
    try {
      await putCreateOnly(this.#store, key, body);
      return true;
    } catch (e) {
      if (!(e instanceof ObjectConflict)) throw e;
      this.#job = undefined;
      return false;
    }
  }
}

const ZEROS = Buffer.alloc(1 << 20);

export function isZero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, b.length - at);
    if (!b.subarray(at, at + n).equals(ZEROS.subarray(0, n))) return false;
  }
  return true;
}
