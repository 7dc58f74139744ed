// Building a consistent base at a kept point from an older base and the
// journal, from the store alone (thinning). The new base at seq P names, for
// every chunk, a copy reflecting exactly P: the source base's copy when no
// journal entry in (copy seq, P] touches the chunk, else a new chunk object
// under base/<P>/ (or the next free seq below) (the source copy with those entries applied). Its index is
// written last, after every chunk object, and records the instants that
// restore to it (after write P, up to write P+1), since the journal that
// told them may then be deleted. Deterministic: a rerun after a crash writes
// the same bytes under the same keys, so create-only puts converge; other
// bytes under a key (a base the volume began at that very seq) make the
// build give way: the point stays on its journal, and the volume's base
// writer, meeting our objects, begins its base anew at another seq.
import { StoreErrorCode } from '../../tapes/errors.ts';
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import { isZero } from './base-writer.ts';
import { CdpCorruptError } from './errors.ts';
import type { LoadedVolume } from './history.ts';
import { FLAG_ZERO } from './journal-format.ts';
import { readJournal } from './resolve.ts';
import { ObjectConflict, putCreateOnly } from './store-io.ts';
import type { BaseIndex, ChunkRef } from './types.ts';

export type BuildResult =
  | { kind: 'built'; index: BaseIndex; chunkPuts: number }
  | { kind: 'present'; index: BaseIndex }
  | { kind: 'skipped'; reason: string };

/** Build (or find already built) the consistent base at `seq` from base `from` (null: the zero volume) and the journal. */
export async function buildPointBase(store: ObjectStore, lv: LoadedVolume, seq: number, from: number | null, beforeIndex: (ix: BaseIndex) => void): Promise<BuildResult> {
  const h = lv.history;
  const mine = [...lv.indexes.values()].find((ix) => ix.pointSeq === seq && ix.builtFrom !== undefined);
  if (mine !== undefined) {
    await verifyComplete(store, lv, mine);
    return { kind: 'present', index: mine };
  }
  // Its key: base/<seq>/, or below when a base the volume took holds that
  // one (the volume's future bases take seqs above every point).
  let id = seq;
  const src = from === null ? zeroIndex(lv) : lv.indexes.get(from);
  if (src === undefined) return { kind: 'skipped', reason: `its source base ${from} is gone` };
  const refs: ChunkRef[] = src.chunks.map((r): ChunkRef => [r[0], r[1]]);
  const bs = h.blockSize;
  const bpc = h.chunkBytes / bs;
  const js = lv.journals.filter((j) => j.lastSeq > src.minSeq && j.firstSeq <= seq);
  let next = src.minSeq + 1;
  for (const j of js) {
    if (j.firstSeq > next && next <= seq) return { kind: 'skipped', reason: `journal seqs ${next}..${j.firstSeq - 1} are missing` };
    next = Math.max(next, j.lastSeq + 1);
  }
  if (next <= seq) return { kind: 'skipped', reason: `journal seqs ${next}..${seq} are not in the store` };
  const chunks = new Map<number, Buffer>();
  const loadChunk = async (c: number): Promise<Buffer> => {
    let buf = chunks.get(c);
    if (buf !== undefined) return buf;
    const len = Math.min(h.chunkBytes, h.sizeBytes - c * h.chunkBytes);
    const b = refs[c]![0];
    buf = b < 0 ? Buffer.alloc(len) : await getChunk(store, lv, b, c, len);
    chunks.set(c, buf);
    return buf;
  };
  let pointUs: number | undefined;
  let nextUs = lv.journals.find((j) => j.firstSeq === seq + 1)?.firstUs;
  // Fetch ahead in parallel, apply in seq order.
  const fetches = js.map((j) => ({ j, p: undefined as ReturnType<typeof readJournal> | undefined }));
  for (let i = 0; i < fetches.length; i++) {
    for (let k = i; k < Math.min(fetches.length, i + 4); k++) {
      fetches[k]!.p ??= readJournal(store, h.volume, fetches[k]!.j.key, fetches[k]!.j.firstUs);
      fetches[k]!.p!.catch(() => {});
    }
    const { j } = fetches[i]!;
    const d = await fetches[i]!.p!;
    fetches[i]!.p = undefined;
    for (const g of d.header.gaps) {
      if (g.firstSeq > seq) continue;
      if (g.chunks.some((c) => refs[c]![1] < g.lastSeq)) return { kind: 'skipped', reason: `seqs ${g.firstSeq}..${g.lastSeq} were not journaled (local journal overflow)` };
      if (g.lastSeq === seq) pointUs = g.lastUs;
      if (g.firstSeq === seq + 1) nextUs = g.firstUs;
    }
    if (j.lastSeq === seq) pointUs = j.lastUs;
    for (const e of d.entries) {
      if (e.seq === seq) pointUs = e.timeUs;
      if (e.seq === seq + 1) nextUs = e.timeUs;
      if (e.seq > seq) break;
      const end = e.lba + e.blocks;
      for (let c = Math.floor(e.lba / bpc); c * bpc < end; c++) {
        if (e.seq <= refs[c]![1]) continue;
        const buf = await loadChunk(c);
        const s = Math.max(e.lba, c * bpc);
        const t = Math.min(end, (c + 1) * bpc);
        const at = (s - c * bpc) * bs;
        if ((e.flags & FLAG_ZERO) !== 0) buf.fill(0, at, at + (t - s) * bs);
        else d.data.copy(buf, at, e.dataOffset + (s - e.lba) * bs, e.dataOffset + (t - e.lba) * bs);
      }
    }
  }
  if (pointUs === undefined && seq === 0) pointUs = 0;
  const point = { seq, from, pointUs, nextUs, timeUs: pointUs ?? src.timeUs };
  // Objects of a base the volume left unfinished may hold the key: the next free seq below then.
  let reason = '';
  for (let tries = 0; tries < 3 && id >= 0; tries++, id--) {
    while (id >= 0 && lv.indexes.has(id)) id--;
    if (id < 0) break;
    try {
      return await storeBase(store, lv, id, point, refs, chunks, beforeIndex);
    } catch (e) {
      if (!(e instanceof ObjectConflict)) throw e;
      reason = e.message;
    }
  }
  return { kind: 'skipped', reason: reason || `no free base key at or below seq ${seq}` };
}

/** The chunk objects, then the index, under base/<id>/; ObjectConflict when other bytes hold a key. */
async function storeBase(
  store: ObjectStore,
  lv: LoadedVolume,
  id: number,
  p: { seq: number; from: number | null; pointUs: number | undefined; nextUs: number | undefined; timeUs: number },
  srcRefs: readonly ChunkRef[],
  chunks: ReadonlyMap<number, Buffer>,
  beforeIndex: (ix: BaseIndex) => void,
): Promise<BuildResult> {
  const h = lv.history;
  const seq = p.seq;
  const refs = srcRefs.map((r): ChunkRef => [r[0], seq]);
  let chunkPuts = 0;
  for (const c of [...chunks.keys()].sort((a, b) => a - b)) {
    const buf = chunks.get(c)!;
    if (isZero(buf)) {
      refs[c] = [-1, seq];
      continue;
    }
    await putCreateOnly(store, lv.keys.baseChunk(id, c), buf);
    chunkPuts++;
    refs[c] = [id, seq];
  }
  const index: BaseIndex = {
    format: 1,
    volume: h.volume,
    seq: id,
    timeUs: p.timeUs,
    sizeBytes: h.sizeBytes,
    blockSize: h.blockSize,
    chunkBytes: h.chunkBytes,
    full: false,
    minSeq: seq,
    maxSeq: seq,
    pointSeq: seq,
    chunks: refs,
    builtFrom: p.from ?? -1,
    ...(p.pointUs !== undefined && p.nextUs !== undefined && { pointUs: p.pointUs, nextUs: p.nextUs }),
  };
  beforeIndex(index);
  await putCreateOnly(store, lv.keys.baseIndex(id), Buffer.from(JSON.stringify(index)));
  await verifyComplete(store, lv, index);
  return { kind: 'built', index, chunkPuts };
}

/** Every chunk object a base's index names under its own key is in the store. */
export async function verifyComplete(store: ObjectStore, lv: LoadedVolume, index: BaseIndex): Promise<void> {
  const have = new Set<string>();
  for await (const o of listAll(store, lv.keys.baseDir(index.seq))) have.add(o.key);
  if (!have.has(lv.keys.baseIndex(index.seq))) throw new CdpCorruptError(lv.history.volume, lv.keys.baseIndex(index.seq), null, 'the index just written is not listed');
  for (const [c, [b]] of index.chunks.entries()) {
    if (b === index.seq && !have.has(lv.keys.baseChunk(b, c))) throw new CdpCorruptError(lv.history.volume, lv.keys.baseChunk(b, c), null, 'a chunk the base names is missing');
  }
}

function zeroIndex(lv: LoadedVolume): BaseIndex {
  const h = lv.history;
  const n = Math.ceil(h.sizeBytes / h.chunkBytes);
  return { format: 1, volume: h.volume, seq: 0, timeUs: 0, sizeBytes: h.sizeBytes, blockSize: h.blockSize, chunkBytes: h.chunkBytes, full: true, minSeq: 0, maxSeq: 0, pointSeq: 0, chunks: Array.from({ length: n }, (): ChunkRef => [-1, 0]) };
}

async function getChunk(store: ObjectStore, lv: LoadedVolume, base: number, c: number, len: number): Promise<Buffer> {
  const key = lv.keys.baseChunk(base, c);
  let buf: Buffer;
  try {
    buf = await store.get(key);
  } catch (e) {
    if ((e as { code?: string }).code === StoreErrorCode.NOT_FOUND) throw new CdpCorruptError(lv.history.volume, key, null, 'a chunk named by a base index is missing', { cause: e });
    throw e;
  }
  if (buf.length !== len) throw new CdpCorruptError(lv.history.volume, key, null, `chunk is ${buf.length} bytes, not ${len}`);
  return Buffer.from(buf);
}
