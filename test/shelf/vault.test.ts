// The shelf as a Glacier vault (pools.<name>.vault), over a store in memory
// and a fake vault: export uploads every segment as an archive and records the
// ids (catalog and shelf record) before the bucket's copies go; retrieve
// starts one job per archive, polls, and writes the checked output back.
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { validateConfig } from '../../src/config.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { readShelfRecord } from '../../src/shelf/records.ts';
import { Shelf } from '../../src/shelf/shelf.ts';
import { VaultShelf } from '../../src/shelf/vault.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import { GlacierVault } from '../../tapes/stores/glacier-vault.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { treeHash } from '../../tapes/stores/tree-hash.ts';
import { FakeGlacier } from '../tapes/stores/fake-glacier.ts';

const keys = new TapeKeys('');
const SEG = (i: number): string => keys.segment('VLT001L6', i * 10, i);

async function setup(): Promise<{ catalog: Catalog; store: MemoryObjectStore; fake: FakeGlacier; shelf: Shelf; bodies: Buffer[] }> {
  const catalog = Catalog.open(':memory:');
  catalog.cartridges.add({ barcode: 'VLT001L6', pool: 'offsite', state: 'in-use' });
  const store = new MemoryObjectStore();
  const bodies = [0, 1, 2].map((i) => Buffer.alloc(5000 + i, i + 1));
  for (const [i, b] of bodies.entries()) await store.put(SEG(i), b);
  const fake = new FakeGlacier();
  const mover = new VaultShelf(new GlacierVault({ name: 'tapes-offsite' }, fake), store);
  const pools = { offsite: { archiveClass: 'GLACIER', compression: 'none' as const, vault: { name: 'tapes-offsite' } } };
  const shelf = new Shelf({ catalog, store, pools, vault: (p) => (p === 'offsite' ? mover : undefined) });
  return { catalog, store, fake, shelf, bodies };
}

test('export to a vault: one archive per segment, ids recorded, then the bucket copies go', async (t) => {
  const { catalog, store, fake, shelf, bodies } = await setup();
  t.teardown(() => catalog.close());
  await shelf.shelve('VLT001L6', 'lib0');
  const s = await shelf.archiveStep('VLT001L6');
  t.like(s, { phase: 'archived', state: 'archived', medium: 'vault', objects: 3, archived: 3, complete: true });
  // One UploadArchive per segment, each with the segment's tree hash.
  const uploads = fake.calls.filter((c) => c.name === 'UploadArchive');
  t.deepEqual(uploads.map((u) => u.input.checksum), bodies.map((b) => treeHash(b).toString('hex')));
  // The catalog and the bucket's shelf record hold every archive id.
  const archives = catalog.shelf.get('VLT001L6')!.detail.vault!.archives;
  t.deepEqual(archives.map((a) => a.key), [0, 1, 2].map(SEG));
  const record = await readShelfRecord(store, keys, 'VLT001L6');
  t.deepEqual(record?.detail.vault?.archives, archives);
  t.is(record?.phase, 'archived');
  // The segments left the bucket; the vault has them.
  t.deepEqual((await store.list(keys.segmentPrefix('VLT001L6'))).objects, []);
  t.is(fake.archives.size, 3);
  // recover on a fresh catalog finds the cartridge archived in the vault, with the ids.
  const fresh = Catalog.open(':memory:');
  t.teardown(() => fresh.close());
  const summary = await recoverCatalog(fresh, store);
  t.deepEqual(summary.shelf, [{ barcode: 'VLT001L6', phase: 'archived', state: 'archived', medium: 'vault' }]);
  t.deepEqual(fresh.shelf.get('VLT001L6')?.detail.vault?.archives, archives);
});

test('retrieve from a vault: jobs started once, polled, output written back; the cartridge is readable again', async (t) => {
  const { catalog, store, fake, shelf, bodies } = await setup();
  t.teardown(() => catalog.close());
  await shelf.shelve('VLT001L6', 'lib0');
  await shelf.archiveStep('VLT001L6');
  fake.jobPolls = 1;
  const first = await shelf.retrieveStep('VLT001L6', { tier: 'Bulk', days: 1 });
  t.like(first, { phase: 'retrieving', restoring: 3, requested: 3, restored: 0, complete: false });
  // One archive-retrieval job per archive, Bulk tier.
  const jobs = fake.calls.filter((c) => c.name === 'InitiateJob').map((c) => c.input.jobParameters as { Type: string; Tier: string });
  t.deepEqual(jobs.map((j) => [j.Type, j.Tier]), [['archive-retrieval', 'Bulk'], ['archive-retrieval', 'Bulk'], ['archive-retrieval', 'Bulk']]);
  const second = await shelf.retrieveStep('VLT001L6', { tier: 'Bulk', days: 1 });
  t.like(second, { restoring: 3, requested: 0, complete: false });
  const third = await shelf.retrieveStep('VLT001L6', { tier: 'Bulk', days: 1 });
  t.like(third, { phase: 'shelved', state: 'exported', restored: 3, copied: 3, complete: true });
  // No job was started twice; every segment is back, byte for byte.
  t.is(fake.calls.filter((c) => c.name === 'InitiateJob').length, 3);
  for (const [i, b] of bodies.entries()) t.true((await store.get(SEG(i))).equals(b));
  // Back in a library: the state it had before the export.
  await shelf.returned('VLT001L6');
  t.is(catalog.cartridges.get('VLT001L6')?.state, 'in-use');
  t.is(catalog.shelf.get('VLT001L6'), undefined);
  t.is((await readShelfRecord(store, keys, 'VLT001L6'))?.phase, 'returned');
});

test('config: pools.<name>.vault names a vault instead of storage classes', (t) => {
  const base = { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', library: { name: 'lib0' } }] };
  const c = validateConfig({ ...base, pools: { offsite: { vault: { name: 'tapes-offsite', region: 'eu-west-1', accountId: '123456789012' } } } });
  // The vault is optional and sits beside archiveClass (which keeps its default).
  t.deepEqual(c.pools.offsite?.vault, { name: 'tapes-offsite', region: 'eu-west-1', accountId: '123456789012' });
  t.is(c.pools.offsite?.archiveClass, 'GLACIER');
  // A bad account id names its key.
  t.throws(() => validateConfig({ ...base, pools: { offsite: { vault: { name: 'v', accountId: '12' } } } }), { message: /pools\.offsite\.vault\.accountId/ });
});
