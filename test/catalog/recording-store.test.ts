// store_objects follows what the gateway writes and deletes: a cartridge
// written, overwritten and pruned through a RecordingStore leaves the registry
// equal to a listing of the store, and every object the pipeline deleted has
// an audit row with actor "pipeline".
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { RecordingStore } from '../../src/catalog/recording-store.ts';
import { classifyKey } from '../../src/catalog/object-kinds.ts';
import { writeCartridgeFacts } from '../../src/catalog/cartridge-facts.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { listAll } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const listing = async (store: MemoryObjectStore): Promise<string[]> => {
  const out: string[] = [];
  for await (const o of listAll(store, '')) out.push(o.key);
  return out;
};

/** The pipeline's prunes are not awaited by the writer: wait until the store stops changing. */
async function settled(store: MemoryObjectStore): Promise<string[]> {
  let last = await listing(store);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const now = await listing(store);
    if (now.join() === last.join()) return now;
    last = now;
  }
  return last;
}

test('every object written is registered, every pipeline deletion is marked and audited', async (t) => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'recording-'));
  const raw = new MemoryObjectStore();
  const catalog = Catalog.open(':memory:');
  const store = new RecordingStore(raw, catalog, { actor: 'pipeline' });
  catalog.cartridges.add({ barcode: 'REC001L6', capacityBytes: 2 ** 30 });
  const pool = new CartridgePool({ store, prefix: '', stagingDir: tmp, directory: catalog, sink: catalog, segments: { segmentBytes: 64 << 10, keepManifests: 2 } });
  const c = await pool.open('REC001L6');
  for (let i = 0; i < 4; i++) {
    await c.write(Buffer.alloc(80 * 1024, i), 1024);
    await c.writeFilemarks(1);
  }
  // Overwrite from the start: the old segments are cut away, then pruned with the manifests that named them.
  await c.locate(0);
  for (let i = 0; i < 3; i++) {
    await c.write(Buffer.alloc(80 * 1024, 9), 1024);
    await c.writeFilemarks(1);
  }
  await c.close();
  await pool.closeAll();
  await writeCartridgeFacts(store, catalog.cartridges.require('REC001L6'));
  const inStore = await settled(raw);

  // The registry's live keys are exactly the store's keys, each with the owner and kind its key names.
  t.deepEqual(catalog.objects.live().map((r) => r.key), inStore);
  for (const r of catalog.objects.live()) t.like(r, classifyKey(r.key));
  t.true(inStore.some((k) => classifyKey(k).kind === 'tape-facts'));

  // Some manifests and segments were deleted by the pipeline, and each has one audit row.
  const audited = catalog.audit.since().filter((a) => a.actor === 'pipeline' && a.action === 'delete-object');
  const kinds = new Set(audited.map((a) => a.detail?.['kind']));
  t.true(kinds.has('tape-manifest'));
  t.true(kinds.has('tape-segment'));
  t.is(new Set(audited.map((a) => a.subject)).size, audited.length);
  for (const a of audited) {
    t.false(inStore.includes(a.subject));
    t.not(catalog.objects.get(a.subject)?.deletedAt ?? null, null);
  }
  catalog.close();
  await rm(tmp, { recursive: true, force: true });
});

test('a store without an actor marks deletions but leaves the audit to its caller', async (t) => {
  const raw = new MemoryObjectStore();
  const catalog = Catalog.open(':memory:');
  const store = new RecordingStore(raw, catalog);
  await store.put('cdp/vol0/mark/0000000000000001-first.json', Buffer.from('{}'));
  t.like(catalog.objects.get('cdp/vol0/mark/0000000000000001-first.json'), { ownerKind: 'cdp', owner: 'vol0', kind: 'cdp-bookmark', sizeBytes: 2, deletedAt: null });
  await store.delete(['cdp/vol0/mark/0000000000000001-first.json']);
  t.not(catalog.objects.get('cdp/vol0/mark/0000000000000001-first.json')?.deletedAt ?? null, null);
  t.deepEqual(catalog.audit.since(), []);
  // Part uploads are offered exactly when the store offers them: writers choose whole-object puts from their absence.
  t.is(typeof store.beginUpload, 'function');
  const plain = { kind: 'plain', put: raw.put.bind(raw), get: raw.get.bind(raw), head: raw.head.bind(raw), list: raw.list.bind(raw), delete: raw.delete.bind(raw) };
  t.is(new RecordingStore(plain, catalog).beginUpload, undefined);
  catalog.close();
});
