// The disaster case with the library: the gateway, its catalog and its data
// dir are gone, the bucket is not. A catalog rebuilt from the bucket knows
// every cartridge, its data, its pool and state, and which slot it is in.

import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { LibraryKeys, LibrarySnapshotWriter, listSnapshotVersions, readLatestSnapshot } from '../../src/catalog/library-snapshot.ts';
import type { LibraryConfig } from '../../src/config.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { CatalogLibraryState, type Geometry } from '../../src/wiring/library-state.ts';
import { provision } from '../../src/wiring/provision.ts';
import { changerProfiles } from '../../scsi/profiles/index.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';

const bases = changerProfiles.get('stk-l700')!.addressBases;
const geometry: Geometry = { bases, slots: 6, mailslots: 2, drives: 2 };
const cfg = {
  name: 'lib0', changer: 'stk-l700', drive: 'ibm-ult3580-td6', drives: 2, slots: 6, mailslots: 2,
  cartridges: [{ prefix: 'REC', first: 1, count: 4, media: 'L6', capacity: 2 ** 30, pool: 'daily' }],
} as unknown as LibraryConfig;
const silent = { warn: () => undefined } as never;

const slot = (i: number) => ({ kind: 'storage' as const, index: i });
const drive = (i: number) => ({ kind: 'data-transfer' as const, index: i });

async function original(store: ObjectStore, stagingDir: string) {
  const catalog = Catalog.open(':memory:');
  const errors: unknown[] = [];
  const state = new CatalogLibraryState(catalog, geometry, {
    writer: new LibrarySnapshotWriter({ store, library: 'lib0', keep: 3 }),
    library: 'lib0', personality: { changer: 'stk-l700', drive: 'ibm-ult3580-td6' }, onError: (e) => errors.push(e),
  });
  provision(catalog, cfg, geometry, silent);
  await state.publish();
  const pool = new CartridgePool({ store, prefix: '', stagingDir, directory: catalog, sink: catalog, segments: { segmentBytes: 64 << 10 } });
  return { catalog, state, pool, errors };
}

for (const kind of ['memory', 'dir'] as const) {
  test(`${kind} store: recover restores every cartridge, its data, pool, state and slot`, async (t) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'recover-'));
    const store: ObjectStore = kind === 'memory' ? new MemoryObjectStore() : new DirObjectStore({ root: path.join(tmp, 'store') });
    const o = await original(store, path.join(tmp, 'staging'));
    // REC001 and REC003 are written; REC003 ends up in slot 6, REC002 stays in a drive; REC004 is never loaded.
    for (const [barcode, fill] of [['REC001L6', 1], ['REC003L6', 3]] as const) {
      const c = await o.pool.open(barcode);
      await c.write(Buffer.alloc(100 * 1024, fill), 1024);
      await c.writeFilemarks(1);
      await c.close();
    }
    await o.state.save([{ element: slot(2), occupant: undefined }, { element: slot(5), occupant: { barcode: 'REC003L6', source: slot(2) } }]);
    await o.state.save([{ element: slot(1), occupant: undefined }, { element: drive(1), occupant: { barcode: 'REC002L6', source: slot(1) } }]);
    o.catalog.cartridges.setState('REC001L6', 'full');
    o.catalog.cartridges.setWriteProtected('REC001L6', true);
    await o.state.publish();
    t.deepEqual(o.errors, []);
    // Each change wrote one state object; only the newest 3 are kept.
    const keys = new LibraryKeys('');
    t.deepEqual(await listSnapshotVersions(store, keys, 'lib0'), [2, 3, 4]);
    // Publishing an unchanged library writes nothing.
    t.false(await o.state.publish());
    o.catalog.close();

    const rebuilt = Catalog.open(':memory:');
    const summary = await recoverCatalog(rebuilt, store, [cfg]);
    t.is(summary.cartridges, 4);
    t.is(summary.fromManifests, 2);
    t.deepEqual(summary.fromStateOnly, ['REC002L6', 'REC004L6']);
    t.deepEqual(summary.failed, []);
    t.is(summary.libraries[0]?.stateVersion, 4);
    const where = (b: string) => rebuilt.elements.whereIs(b);
    // Every cartridge is in the element the newest state object names, with its source element.
    t.like(where('REC001L6'), { address: bases.storage + 0, sourceAddress: null });
    t.like(where('REC002L6'), { address: bases.dataTransfer + 1, sourceAddress: bases.storage + 1 });
    t.like(where('REC003L6'), { address: bases.storage + 5, sourceAddress: bases.storage + 2 });
    t.like(where('REC004L6'), { address: bases.storage + 3 });
    // Pool, state and protection come from the state object; what is written from the manifest.
    t.like(rebuilt.cartridges.get('REC001L6'), { pool: 'daily', state: 'full', writeProtected: true, eodObjectId: 101, bytesWritten: 100 * 1024 });
    t.like(rebuilt.cartridges.get('REC003L6'), { pool: 'daily', state: 'in-use', eodObjectId: 101 });
    t.like(rebuilt.cartridges.get('REC004L6'), { pool: 'daily', state: 'scratch', eodObjectId: 0, capacityBytes: 2 ** 30 });
    // The data reads back through a pool on the rebuilt catalog.
    const pool2 = new CartridgePool({ store, prefix: '', stagingDir: path.join(tmp, 'staging2'), directory: rebuilt, sink: rebuilt });
    const c = await pool2.open('REC003L6');
    await c.locate(99);
    t.deepEqual(await c.read(), { kind: 'block', data: Buffer.alloc(1024, 3) });
    t.deepEqual(await c.read(), { kind: 'filemark' });
    await c.close();
    // A state store over the rebuilt catalog finds nothing to publish: the bucket already says this.
    const again = new CatalogLibraryState(rebuilt, geometry, {
      writer: new LibrarySnapshotWriter({ store, library: 'lib0' }), library: 'lib0',
      personality: { changer: 'stk-l700', drive: 'ibm-ult3580-td6' }, onError: (e) => t.fail(String(e)),
    });
    t.false(await again.publish());
    rebuilt.close();
    await rm(tmp, { recursive: true, force: true });
  });
}

test('recover without a config places by the geometry the state object records', async (t) => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'recover-'));
  const store = new MemoryObjectStore();
  const o = await original(store, path.join(tmp, 'staging'));
  await o.state.save([{ element: slot(0), occupant: undefined }, { element: { kind: 'import-export', index: 1 }, occupant: { barcode: 'REC001L6', source: slot(0) } }]);
  o.catalog.close();
  const rebuilt = Catalog.open(':memory:');
  const summary = await recoverCatalog(rebuilt, store);
  t.is(summary.libraries[0]?.geometry, 'state-object');
  t.like(rebuilt.elements.whereIs('REC001L6'), { address: bases.importExport + 1, type: 'import-export' });
  t.is(rebuilt.elements.list().length, 1 + 6 + 2 + 2);
  rebuilt.close();
  await rm(tmp, { recursive: true, force: true });
});

test('an unreadable newest state object falls back to the one before', async (t) => {
  const store = new MemoryObjectStore();
  const writer = new LibrarySnapshotWriter({ store, library: 'x' });
  const content = { library: 'x', personality: { changer: 'a', drive: 'b' }, geometry: { bases, slots: 1, mailslots: 0, drives: 1 }, elements: [], cartridges: [] };
  await writer.write(content);
  const keys = new LibraryKeys('');
  await store.put(keys.state('x', 2), Buffer.from('{torn'));
  const found = await readLatestSnapshot(store, keys, 'x');
  t.is(found?.snapshot.version, 1);
  t.is(found?.skipped.length, 1);
  // A writer that finds version 2 taken writes 3 (create-only, never overwriting).
  const w2 = new LibrarySnapshotWriter({ store, library: 'x' });
  t.is((await w2.write({ ...content, geometry: { ...content.geometry, slots: 2 } }))?.version, 3);
});
