// Recovery from the catalog's own copies in the store: the copy brings back
// what no manifest carries (audit rows, every other table such as restore
// points), the manifests in the store still decide what is written, and a
// damaged newest copy falls back to the one before.
import test from 'ava';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Catalog } from '../../src/catalog/catalog.ts';
import { backupKey, listCatalogBackups, writeCatalogBackup } from '../../src/catalog/catalog-backup.ts';
import { RecordingStore } from '../../src/catalog/recording-store.ts';
import { describeSource, recoverCatalogFile } from '../../src/recovery/catalog-file.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { listAll } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

interface Gateway { file: string; catalog: Catalog; pool: CartridgePool; store: RecordingStore; tmp: string }

/** A gateway's catalog file with a table of its own beside the migrations' (every table must survive), and a pool writing through a recording store. */
async function gateway(raw: MemoryObjectStore): Promise<Gateway> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'catalog-file-'));
  const file = path.join(tmp, 'catalog.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE site_notes (id INTEGER PRIMARY KEY, barcode TEXT, label TEXT)');
  db.close();
  const catalog = Catalog.open(file);
  const store = new RecordingStore(raw, catalog, { actor: 'pipeline' });
  for (const b of ['REC001L6', 'REC002L6']) catalog.cartridges.add({ barcode: b, capacityBytes: 2 ** 30 });
  const pool = new CartridgePool({ store, prefix: '', stagingDir: path.join(tmp, 'staging'), directory: catalog, sink: catalog, segments: { segmentBytes: 64 << 10 } });
  return { file, catalog, pool, store, tmp };
}

async function write(g: Gateway, barcode: string, blocks: number, fill: number): Promise<void> {
  const c = await g.pool.open(barcode);
  await c.write(Buffer.alloc(blocks * 1024, fill), 1024);
  await c.writeFilemarks(1);
  await c.close();
}

const point = (file: string, label: string): void => {
  const db = new Database(file);
  db.prepare('INSERT INTO site_notes (barcode, label) VALUES (?, ?)').run('REC001L6', label);
  db.close();
};

const rows = (file: string): unknown[] => {
  const db = new Database(file, { readonly: true });
  const r = db.prepare('SELECT barcode, label FROM site_notes ORDER BY id').all();
  db.close();
  return r;
};

const keys = async (store: MemoryObjectStore): Promise<string[]> => {
  const out: string[] = [];
  for await (const o of listAll(store, '')) out.push(o.key);
  return out;
};

test('recover from a backup keeps audit rows and every table, and takes manifests newer than the backup', async (t) => {
  const raw = new MemoryObjectStore();
  const g = await gateway(raw);
  await write(g, 'REC001L6', 10, 1);
  await write(g, 'REC002L6', 5, 2);
  g.catalog.audit.record({ actor: 'operator', action: 'protect', subject: 'REC002L6', detail: { why: 'test' } });
  point(g.file, 'amanda daily 1');
  const b = await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 3 });
  t.is(b.key, backupKey(1));
  // Written after the copy: only the manifest in the store knows this.
  await write(g, 'REC001L6', 20, 3);
  const newest = g.catalog.cartridges.require('REC001L6');
  await g.pool.closeAll();
  g.catalog.close();

  const out = path.join(g.tmp, 'recovered.sqlite');
  const r = await recoverCatalogFile(out, raw);
  t.like(r.source, { kind: 'backup', key: backupKey(1), skipped: [] });
  t.regex(describeSource(r.source)[0]!, /backup catalog\/0+1\.sqlite\.gz/);
  // The restore points table came back whole.
  t.deepEqual(rows(out), [{ barcode: 'REC001L6', label: 'amanda daily 1' }]);
  const c = Catalog.open(out);
  // The audit row made before the copy is there, and the recovery wrote its own.
  t.true(c.audit.since().some((a) => a.actor === 'operator' && a.subject === 'REC002L6'));
  t.true(c.audit.since().some((a) => a.actor === 'recover' && a.action === 'recover-catalog'));
  // REC001 has its newest manifest's state, not the copy's.
  t.like(c.cartridges.get('REC001L6'), { manifestVersion: newest.manifestVersion, bytesWritten: newest.bytesWritten, eodObjectId: newest.eodObjectId });
  t.like(c.cartridges.get('REC002L6'), { bytesWritten: 5 * 1024 });
  // The registry knows every object in the store (including the copy itself, which the copy could not know).
  t.deepEqual(c.objects.live().map((o) => o.key), await keys(raw));
  t.true(r.objects.registered >= 1);
  c.close();
  await rm(g.tmp, { recursive: true, force: true });
});

test('a damaged newest backup falls back to the one before; none usable falls back to the manifests', async (t) => {
  const raw = new MemoryObjectStore();
  const g = await gateway(raw);
  await write(g, 'REC001L6', 4, 1);
  point(g.file, 'first');
  await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 3 });
  point(g.file, 'second');
  await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 3 });
  await g.pool.closeAll();
  g.catalog.close();
  // The newest copy decompresses but is not a database; the one before is intact.
  await raw.put(backupKey(2), gzipSync(Buffer.alloc(8192, 7)));
  const out = path.join(g.tmp, 'recovered.sqlite');
  const r = await recoverCatalogFile(out, raw);
  t.is(r.source.kind, 'backup');
  t.is(r.source.key, backupKey(1));
  t.is(r.source.skipped[0]?.key, backupKey(2));
  t.deepEqual(rows(out), [{ barcode: 'REC001L6', label: 'first' }]);

  // A truncated gzip is no better: with both copies damaged, the manifests alone rebuild the cartridges.
  const one = await raw.get(backupKey(1));
  await raw.put(backupKey(1), one.subarray(0, one.length >> 1));
  const out2 = path.join(g.tmp, 'recovered2.sqlite');
  const r2 = await recoverCatalogFile(out2, raw);
  t.like(r2.source, { kind: 'manifests' });
  t.deepEqual(r2.source.skipped.map((s) => s.key), [backupKey(2), backupKey(1)]);
  t.regex(describeSource(r2.source)[0]!, /manifests in the store \(no usable catalog backup\)/);
  t.is(r2.summary.fromManifests, 1);
  await rm(g.tmp, { recursive: true, force: true });
});

test('a cartridge the backup knows as written but whose objects are gone comes back empty', async (t) => {
  const raw = new MemoryObjectStore();
  const g = await gateway(raw);
  await write(g, 'REC001L6', 4, 1);
  await write(g, 'REC002L6', 4, 2);
  await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 3 });
  await g.pool.closeAll();
  g.catalog.close();
  // Recycled after the copy: every object of REC002 deleted.
  await raw.delete((await keys(raw)).filter((k) => k.startsWith('tapes/REC002L6/')));
  const out = path.join(g.tmp, 'recovered.sqlite');
  const r = await recoverCatalogFile(out, raw);
  t.deepEqual(r.summary.emptied, ['REC002L6']);
  t.true(r.objects.markedDeleted >= 2);
  const c = Catalog.open(out);
  t.like(c.cartridges.get('REC002L6'), { state: 'scratch', bytesWritten: 0, manifestVersion: 0 });
  t.deepEqual(c.segments('REC002L6'), []);
  t.like(c.cartridges.get('REC001L6'), { bytesWritten: 4 * 1024 });
  c.close();
  await rm(g.tmp, { recursive: true, force: true });
});

test('only the newest copies are kept; each one deleted is audited', async (t) => {
  const raw = new MemoryObjectStore();
  const g = await gateway(raw);
  for (let i = 0; i < 5; i++) await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 2 });
  t.deepEqual((await listCatalogBackups(raw)).map((b) => b.version), [4, 5]);
  const audited = g.catalog.audit.since().filter((a) => a.action === 'delete-object').map((a) => a.subject).sort();
  t.deepEqual(audited, [backupKey(1), backupKey(2), backupKey(3)]);
  g.catalog.close();
  await rm(g.tmp, { recursive: true, force: true });
});

test('a backup that knows a newer manifest than the store holds gives way to the store', async (t) => {
  const raw = new MemoryObjectStore();
  const g = await gateway(raw);
  await write(g, 'REC001L6', 4, 1);
  const older = g.catalog.cartridges.require('REC001L6');
  await write(g, 'REC001L6', 8, 2);
  await writeCatalogBackup(g.catalog, { store: g.store, tmpDir: g.tmp, keep: 3 });
  const newer = g.catalog.cartridges.require('REC001L6');
  await g.pool.closeAll();
  // The manifests of the second write are gone from the store (lost or refused): the first write's is the truth.
  t.true(newer.manifestVersion > older.manifestVersion);
  const newerManifests = g.catalog.manifests('REC001L6').filter((m) => m.version > older.manifestVersion).map((m) => m.objectKey);
  g.catalog.close();
  await raw.delete(newerManifests);
  const out = path.join(g.tmp, 'recovered.sqlite');
  await recoverCatalogFile(out, raw);
  const c = Catalog.open(out);
  t.like(c.cartridges.get('REC001L6'), { manifestVersion: older.manifestVersion, eodObjectId: older.eodObjectId, bytesWritten: older.bytesWritten });
  t.is(c.manifests('REC001L6').at(-1)?.version, older.manifestVersion);
  c.close();
  await rm(g.tmp, { recursive: true, force: true });
});
