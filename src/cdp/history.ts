// A volume's history read from the store alone: one LIST of its keys (the
// journal keys carry their seq and time ranges), the base indexes and the
// bookmarks. loadHistory gives the plain data the retention planner reads;
// loadVolume keeps the base indexes for restores.
import { StoreErrorCode } from '../../tapes/errors.ts';
import { listAll, type ObjectInfo, type ObjectStore } from '../../tapes/object-store.ts';
import { CdpCorruptError, unknownVolume } from './errors.ts';
import { CdpKeys, cdpRoot, parseBaseChunkKey, parseBaseIndexKey, parseJournalKey, parseMarkKey } from './keys.ts';
import { mapLimit } from './store-io.ts';
import type { BaseIndex, Bookmark, HistoryBase, HistoryJournal, VolumeHistory, VolumeMeta } from './types.ts';

export interface LoadedVolume {
  history: VolumeHistory;
  keys: CdpKeys;
  /** Base indexes by base seq, ascending. */
  indexes: Map<number, BaseIndex>;
  /** Journal key facts, µs precision, ascending seq. */
  journals: (HistoryJournal & { firstUs: number; lastUs: number })[];
  /** Seqs of the base directories holding chunk objects (with or without an index). */
  chunkDirs: Set<number>;
}

/** Names of the CDP volumes under `prefix`: one LIST request per volume (skip-scan). */
export async function listCdpVolumes(store: ObjectStore, prefix: string): Promise<string[]> {
  const root = cdpRoot(prefix);
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(root, after === undefined ? { limit: 1 } : { limit: 1, startAfter: after });
    const key = page.objects[0]?.key;
    if (key === undefined) return out;
    const name = key.slice(root.length).split('/')[0]!;
    out.push(name);
    after = `${root}${name}/\u007f`;
  }
}

export async function loadHistory(store: ObjectStore, prefix: string, volume: string, source?: HistorySource): Promise<VolumeHistory> {
  return (await loadVolume(store, prefix, volume, source)).history;
}

/**
 * Where a volume's keys and its small documents (base indexes, bookmarks,
 * metadata: immutable once written) come from. The store itself by default;
 * a caller that already knows the keys (the catalog's registry of store
 * objects) and keeps the documents can spare the LIST and the GETs.
 */
export interface HistorySource {
  /** The volume's objects under `root`, in key order. */
  objects(root: string): AsyncIterable<ObjectInfo> | Iterable<ObjectInfo>;
  /** The bytes of one small immutable document. */
  document(key: string): Promise<Buffer>;
}

export const storeHistorySource = (store: ObjectStore): HistorySource => ({
  objects: (root) => listAll(store, root),
  document: (key) => store.get(key),
});

export async function loadVolume(store: ObjectStore, prefix: string, volume: string, source: HistorySource = storeHistorySource(store)): Promise<LoadedVolume> {
  const keys = new CdpKeys(prefix, volume);
  const journals: LoadedVolume['journals'] = [];
  const indexKeys: { seq: number; key: string }[] = [];
  const chunkStats = new Map<number, { chunks: number; bytes: number }>();
  const markKeys: string[] = [];
  let metaKey: string | undefined;
  let any = false;
  for await (const o of source.objects(keys.root)) {
    any = true;
    const j = parseJournalKey(o.key);
    if (j !== undefined) {
      journals.push({ key: o.key, ...j, firstTime: new Date(j.firstUs / 1000), lastTime: new Date(j.lastUs / 1000), bytes: o.size });
      continue;
    }
    const b = parseBaseIndexKey(o.key);
    if (b !== undefined) {
      indexKeys.push({ seq: b, key: o.key });
      continue;
    }
    const c = parseBaseChunkKey(o.key);
    if (c !== undefined) {
      const st = chunkStats.get(c.seq) ?? { chunks: 0, bytes: 0 };
      st.chunks++;
      st.bytes += o.size;
      chunkStats.set(c.seq, st);
      continue;
    }
    if (parseMarkKey(o.key) !== undefined) markKeys.push(o.key);
    else if (o.key.startsWith(keys.metaPrefix)) metaKey = o.key;
  }
  if (!any) throw unknownVolume(volume, await listCdpVolumes(store, prefix));
  const indexes = new Map<number, BaseIndex>();
  await mapLimit(indexKeys, 16, async ({ seq, key }) => {
    indexes.set(seq, await getJson<BaseIndex>(source, volume, key));
  });
  const sortedIdx = new Map([...indexes.entries()].sort((a, b) => a[0] - b[0]));
  const bookmarks = await mapLimit(markKeys, 16, async (key): Promise<Bookmark> => {
    const m = await getJson<{ name: string; seq: number; timeUs: number }>(source, volume, key);
    return { name: m.name, seq: BigInt(m.seq), time: new Date(m.timeUs / 1000) };
  });
  const meta = metaKey === undefined ? undefined : await getJson<VolumeMeta>(source, volume, metaKey);
  const anyIndex = sortedIdx.values().next().value as BaseIndex | undefined;
  const shape = meta ?? anyIndex;
  const bases: HistoryBase[] = [...sortedIdx.values()].map((ix) => {
    const deps = new Set<number>();
    for (const [b] of ix.chunks) if (b >= 0) deps.add(b);
    const st = chunkStats.get(ix.seq) ?? { chunks: 0, bytes: 0 };
    return {
      seq: ix.seq,
      time: new Date(ix.timeUs / 1000),
      keyPrefix: keys.baseDir(ix.seq),
      chunks: st.chunks,
      bytes: st.bytes,
      full: ix.full,
      dependsOn: [...deps].sort((a, b) => a - b),
      minSeq: ix.minSeq,
      maxSeq: ix.maxSeq,
      pointSeq: ix.pointSeq,
    };
  });
  const history: VolumeHistory = {
    volume,
    root: keys.root,
    sizeBytes: shape?.sizeBytes ?? 0,
    blockSize: shape?.blockSize ?? 512,
    chunkBytes: shape?.chunkBytes ?? 0,
    journals: journals.map(({ firstUs: _f, lastUs: _l, ...j }) => j),
    bases,
    bookmarks: bookmarks.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)),
  };
  return { history, keys, indexes: sortedIdx, journals, chunkDirs: new Set(chunkStats.keys()) };
}

export async function getJson<T>(store: ObjectStore | HistorySource, volume: string, key: string): Promise<T> {
  let buf: Buffer;
  try {
    buf = await ('document' in store ? store.document(key) : store.get(key));
  } catch (e) {
    if ((e as { code?: string }).code === StoreErrorCode.NOT_FOUND) throw new CdpCorruptError(volume, key, null, 'listed but gone', { cause: e });
    throw e;
  }
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw new CdpCorruptError(volume, key, null, 'not valid JSON', { cause: e });
  }
}
