// The read side of committed segments: a bounded LRU of decoded footer indexes
// and a bounded LRU of byte chunks fetched with ranged GETs. A miss fetches
// `readAheadBytes` from the record on; reading past the middle of a chunk
// starts fetching the next one, so a sequential restore streams. Chunk
// buffers are recycled (fresh memory is what costs most when streaming), so
// read() returns a copy of the bytes asked for, never a view into the cache.

import type { ObjectStore } from './object-store.ts';
import type { RecordIndex } from './record-format.ts';
import { decodeFooter } from './segment-format.ts';

export interface ReadCacheOptions {
  /** Bytes of segment data kept in memory (default 64 MiB). */
  readonly cacheBytes?: number;
  /** Bytes fetched per GET on a miss (default 8 MiB). */
  readonly readAheadBytes?: number;
  /** Decoded footer indexes kept (default 64). */
  readonly footers?: number;
}

/** What the reader needs to know of a committed segment. */
export interface StoredSegment {
  readonly key: string;
  readonly size: number;
  readonly indexOffset: number;
}

interface Chunk {
  readonly id: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  data: Buffer | undefined;
  readonly ready: Promise<Buffer>;
  /** The pooled buffer the store may have read into. */
  readonly buffer: Buffer | undefined;
  /** Readers between awaiting `ready` and copying out; a pinned buffer is not recycled. */
  pins: number;
}

export class SegmentReader {
  readonly #store: ObjectStore;
  readonly #cacheBytes: number;
  readonly #readAhead: number;
  readonly #footerLimit: number;
  readonly #chunks = new Map<string, Chunk>();
  readonly #byKey = new Map<string, Set<Chunk>>();
  readonly #footers = new Map<string, Promise<RecordIndex>>();
  readonly #free: Buffer[] = [];
  #bytes = 0;

  constructor(store: ObjectStore, options: ReadCacheOptions = {}) {
    this.#store = store;
    this.#cacheBytes = options.cacheBytes ?? 64 << 20;
    this.#readAhead = Math.max(64 << 10, options.readAheadBytes ?? 8 << 20);
    this.#footerLimit = Math.max(1, options.footers ?? 64);
  }

  /** The decoded footer index of a committed segment (one GET for index + trailer). */
  index(seg: StoredSegment): Promise<RecordIndex> {
    const hit = this.#footers.get(seg.key);
    if (hit !== undefined) {
      this.#footers.delete(seg.key);
      this.#footers.set(seg.key, hit);
      return hit;
    }
    const p = this.#store
      .get(seg.key, { offset: seg.indexOffset, length: seg.size - seg.indexOffset })
      .then((b) => decodeFooter(b).index);
    p.catch(() => this.#footers.delete(seg.key));
    this.#footers.set(seg.key, p);
    while (this.#footers.size > this.#footerLimit) this.#footers.delete(this.#footers.keys().next().value!);
    return p;
  }

  /**
   * `length` bytes at `offset` of a committed segment, through the chunk cache.
   * A record that straddles two chunks is copied from both, so a sequential
   * restore fetches each byte once and the chunk ahead is already under way.
   */
  async read(seg: StoredSegment, offset: number, length: number): Promise<Buffer> {
    const end = offset + length;
    const out = Buffer.allocUnsafe(length);
    let pos = offset;
    while (pos < end) {
      const chunk = this.#find(seg.key, pos, 1) ?? this.#fetch(seg, pos, Math.min(seg.indexOffset, pos + Math.max(this.#readAhead, end - pos)));
      chunk.pins++;
      let data: Buffer;
      try {
        data = await chunk.ready;
      } finally {
        chunk.pins--;
      }
      const from = pos - chunk.start;
      const n = Math.min(end - pos, data.length - from);
      if (n <= 0) break;
      data.copy(out, pos - offset, from, from + n);
      pos += n;
      if (pos > chunk.start + (chunk.end - chunk.start) / 2 && chunk.end < seg.indexOffset && this.#find(seg.key, chunk.end, 1) === undefined) {
        this.#fetch(seg, chunk.end, Math.min(seg.indexOffset, chunk.end + this.#readAhead)).ready.catch(() => undefined);
      }
      if (from + n === data.length && data.length < chunk.end - chunk.start) break; // the object ended early
    }
    return pos - offset === length ? out : out.subarray(0, pos - offset);
  }

  /** Forget everything cached for a key (the object was replaced or deleted). */
  forget(key: string): void {
    for (const c of this.#byKey.get(key) ?? []) this.#drop(c);
    this.#footers.delete(key);
  }

  #find(key: string, offset: number, length: number): Chunk | undefined {
    for (const c of this.#byKey.get(key) ?? []) {
      if (c.start <= offset && offset + length <= c.end) {
        this.#chunks.delete(c.id);
        this.#chunks.set(c.id, c);
        return c;
      }
    }
    return undefined;
  }

  #fetch(seg: StoredSegment, start: number, end: number): Chunk {
    const id = `${seg.key}@${start}`;
    const existing = this.#chunks.get(id);
    if (existing !== undefined && existing.end >= end) return existing;
    if (existing !== undefined) this.#drop(existing);
    const buffer = end - start <= this.#readAhead ? (this.#free.pop() ?? Buffer.allocUnsafe(this.#readAhead)) : undefined;
    const ready = this.#store.get(seg.key, { offset: start, length: end - start }, buffer === undefined ? undefined : { into: buffer });
    const chunk: Chunk = { id, key: seg.key, start, end, data: undefined, ready, buffer, pins: 0 };
    ready.then(
      (b) => {
        chunk.data = b;
        if (this.#chunks.get(id) !== chunk) return;
        this.#bytes += b.length;
        this.#evict();
      },
      () => this.#drop(chunk),
    );
    this.#chunks.set(id, chunk);
    let set = this.#byKey.get(seg.key);
    if (set === undefined) this.#byKey.set(seg.key, (set = new Set()));
    set.add(chunk);
    return chunk;
  }

  #evict(): void {
    for (const c of this.#chunks.values()) {
      if (this.#bytes <= this.#cacheBytes) return;
      if (c.data !== undefined) this.#drop(c);
    }
  }

  #drop(c: Chunk): void {
    if (this.#chunks.get(c.id) !== c) return;
    this.#chunks.delete(c.id);
    if (c.data !== undefined) {
      this.#bytes -= c.data.length;
      if (c.pins === 0 && c.buffer !== undefined && this.#free.length < 4) this.#free.push(c.buffer);
    }
    const set = this.#byKey.get(c.key);
    set?.delete(c);
    if (set?.size === 0) this.#byKey.delete(c.key);
  }
}
