// A CDP volume's history read from the catalog equals the one read from the
// store, and makes no request once its objects were written through the
// gateway's recording store.
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { catalogHistorySource } from '../../src/catalog/cdp-history-source.ts';
import { RecordingStore } from '../../src/catalog/recording-store.ts';
import { loadHistory } from '../../src/cdp/history.ts';
import { CdpKeys } from '../../src/cdp/keys.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const text = (h: unknown): string => JSON.stringify(h, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

test('history from the catalog: same as from the store, without a LIST or a GET', async (t) => {
  const raw = new MemoryObjectStore();
  const catalog = Catalog.open(':memory:');
  const store = new RecordingStore(raw, catalog);
  const k = new CdpKeys('', 'vol0');
  const shape = { sizeBytes: 2 << 20, blockSize: 512, chunkBytes: 1 << 20 };
  await store.put(k.meta(1), json({ format: 1, volume: 'vol0', ...shape, created: '2026-01-01T00:00:00.000Z' }));
  for (const seq of [10, 20]) {
    await store.put(k.baseChunk(seq, 0), Buffer.alloc(64));
    await store.put(k.baseIndex(seq), json({ format: 1, volume: 'vol0', seq, timeUs: seq * 1e9, ...shape, full: seq === 10, minSeq: seq, maxSeq: seq, pointSeq: seq, chunks: [[seq, seq], [10, 10]] }));
  }
  await store.put(k.journal({ firstSeq: 21, lastSeq: 30, firstUs: 21e9, lastUs: 30e9 }), Buffer.alloc(100));
  await store.put(k.mark(25, 'before-upgrade'), json({ name: 'before-upgrade', seq: 25, timeUs: 25e9 }));
  const fromStore = await loadHistory(raw, '', 'vol0');
  let requests = 0;
  const counted: ObjectStore = {
    kind: 'counted', put: raw.put.bind(raw), head: raw.head.bind(raw), delete: raw.delete.bind(raw),
    get: (...a) => (requests++, raw.get(...a)), list: (...a) => (requests++, raw.list(...a)),
  };
  const fromCatalog = await loadHistory(counted, '', 'vol0', catalogHistorySource(catalog, counted));
  t.is(text(fromCatalog), text(fromStore));
  t.is(fromCatalog.bases.length, 2);
  t.is(fromCatalog.bookmarks.length, 1);
  t.is(requests, 0);
  // A deleted bookmark leaves the catalog's history as it leaves the store's.
  await store.delete([k.mark(25, 'before-upgrade')]);
  t.is((await loadHistory(counted, '', 'vol0', catalogHistorySource(catalog, counted))).bookmarks.length, 0);
  t.is(requests, 0);
  catalog.close();
});
