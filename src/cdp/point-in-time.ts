// PointInTimeBackend: a read-only BlockBackend serving a volume as it was at
// an instant, straight from the store. Opening reads only indexes: the base
// index and the headers of the journal objects after it (one ranged GET
// each, in parallel), from which an extent map says, for every block
// written after its chunk's base copy, which journal entry holds its newest
// contents. Reads fetch what they need (whole journal entries, checked
// against their CRC32C; 1 MiB pieces of base chunks) through a small cache.
import { crc32c } from '@node-rs/crc32';
import type { BlockBackend } from '../../scsi/sbc/block-backend.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { CdpCorruptError, inGap, ReadOnlyVolumeError } from './errors.ts';
import { ExtentMap } from './extent-map.ts';
import { loadVolume } from './history.ts';
import { FLAG_ZERO } from './journal-format.ts';
import type { CdpKeys } from './keys.ts';
import { planRestore, readJournalHeader } from './resolve.ts';
import { mapLimit } from './store-io.ts';
import type { BaseIndex, RestoreTarget } from './types.ts';

const PIECE = 1 << 20;
const CACHE_BYTES = 32 << 20;

interface Src {
  key: string;
  /** Absolute offset of the entry's data in the object, its length and CRC32C. */
  at: number;
  len: number;
  crc: number;
  lba: number;
  zero: boolean;
  timeUs: number;
}

export class PointInTimeBackend implements BlockBackend {
  readonly readOnly = true as const;
  readonly instant: Date;
  readonly seq: bigint;
  /** The base this view reads (with the journal after it, up to seq). */
  readonly baseSeq: number;
  readonly blockSize: number;
  readonly blockCount: bigint;
  readonly #volume: string;
  readonly #store: ObjectStore;
  readonly #keys: CdpKeys;
  readonly #base: BaseIndex;
  readonly #map: ExtentMap<Src>;
  readonly #cache = new Map<string, Promise<Buffer>>();
  #cached = 0;

  private constructor(store: ObjectStore, keys: CdpKeys, base: BaseIndex, map: ExtentMap<Src>, instant: Date, seq: number) {
    this.#store = store;
    this.#keys = keys;
    this.#volume = keys.volume;
    this.#base = base;
    this.#map = map;
    this.instant = instant;
    this.seq = BigInt(seq);
    this.baseSeq = base.seq;
    this.blockSize = base.blockSize;
    this.blockCount = BigInt(Math.floor(base.sizeBytes / base.blockSize));
  }

  static async open(store: ObjectStore, prefix: string, volume: string, target: RestoreTarget, opts: { now?: () => number } = {}): Promise<PointInTimeBackend> {
    const lv = await loadVolume(store, prefix, volume);
    const plan = await planRestore(store, lv, target, (opts.now ?? Date.now)());
    const { base, seq: X } = plan;
    const bpc = base.chunkBytes / base.blockSize;
    const headers = await mapLimit(plan.journals, 32, (j) => readJournalHeader(store, volume, j.key, j.firstUs));
    const map = new ExtentMap<Src>();
    for (const [i, d] of headers.entries()) {
      const key = plan.journals[i]!.key;
      for (const g of d.header.gaps) {
        if (g.firstSeq > X) continue;
        for (const c of g.chunks) if ((base.chunks[c]?.[1] ?? 0) < g.lastSeq) throw inGap(volume, plan.instant, new Date(g.firstUs / 1000), new Date(g.lastUs / 1000));
      }
      for (const e of d.entries) {
        if (e.seq > X) break;
        const zero = (e.flags & FLAG_ZERO) !== 0;
        const src: Src = { key, at: d.dataStart + e.dataOffset, len: zero ? 0 : e.blocks * base.blockSize, crc: e.crc, lba: e.lba, zero, timeUs: e.timeUs };
        const end = e.lba + e.blocks;
        for (let c = Math.floor(e.lba / bpc); c * bpc < end; c++) {
          if (e.seq <= (base.chunks[c]?.[1] ?? 0)) continue;
          map.insert(Math.max(e.lba, c * bpc), Math.min(end, (c + 1) * bpc), src);
        }
      }
    }
    return new PointInTimeBackend(store, lv.keys, base, map, plan.instant, X);
  }

  async read(lba: bigint, blocks: number): Promise<Buffer> {
    const bs = this.blockSize;
    const start = Number(lba);
    const out = Buffer.alloc(blocks * bs);
    await Promise.all(
      this.#map.cover(start, start + blocks).map(async (p) => {
        const dst = (p.start - start) * bs;
        if (p.src === undefined) return this.#readBase(p.start, p.end, out, dst);
        if (p.src.zero) return;
        const data = await this.#entry(p.src);
        data.copy(out, dst, (p.start - p.src.lba) * bs, (p.end - p.src.lba) * bs);
      }),
    );
    return out;
  }

  async write(): Promise<void> {
    throw new ReadOnlyVolumeError(this.#volume);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#cache.clear();
  }

  async #readBase(start: number, end: number, out: Buffer, dst: number): Promise<void> {
    const bs = this.blockSize;
    const cb = this.#base.chunkBytes;
    const P = Math.min(PIECE, cb);
    for (let byte = start * bs; byte < end * bs; ) {
      const c = Math.floor(byte / cb);
      const pieceAt = Math.floor((byte % cb) / P) * P;
      const n = Math.min(end * bs - byte, P - ((byte % cb) - pieceAt));
      const ref = this.#base.chunks[c];
      if (ref !== undefined && ref[0] >= 0) {
        const key = this.#keys.baseChunk(ref[0], c);
        const piece = await this.#cachedGet(`${key}@${pieceAt}`, () => this.#store.get(key, { offset: pieceAt, length: P }));
        const from = (byte % cb) - pieceAt;
        if (piece.length < from + n) throw new CdpCorruptError(this.#volume, key, this.instant, 'base chunk is short');
        piece.copy(out, dst + byte - start * bs, from, from + n);
      }
      byte += n;
    }
  }

  async #entry(src: Src): Promise<Buffer> {
    return this.#cachedGet(`${src.key}#${src.at}`, async () => {
      let data: Buffer;
      try {
        data = await this.#store.get(src.key, { offset: src.at, length: src.len });
      } catch (e) {
        throw new CdpCorruptError(this.#volume, src.key, new Date(src.timeUs / 1000), 'cannot read journal entry', { cause: e });
      }
      if (data.length !== src.len || (crc32c(data) >>> 0) !== src.crc) throw new CdpCorruptError(this.#volume, src.key, new Date(src.timeUs / 1000), 'journal entry CRC32C mismatch');
      return data;
    });
  }

  #cachedGet(id: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#cache.get(id);
    if (hit !== undefined) {
      this.#cache.delete(id);
      this.#cache.set(id, hit);
      return hit;
    }
    const p = fetch();
    this.#cache.set(id, p);
    p.then(
      (b) => {
        this.#cached += b.length;
        while (this.#cached > CACHE_BYTES && this.#cache.size > 1) {
          const [oldId, old] = this.#cache.entries().next().value as [string, Promise<Buffer>];
          this.#cache.delete(oldId);
          void old.then((x) => (this.#cached -= x.length), () => {});
        }
      },
      () => this.#cache.delete(id),
    );
    return p;
  }
}
