import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { VolumeHistory } from '../../src/cdp/types.ts';
import { gatherRetentionInput } from '../../src/retention/gather.ts';
import type { RetentionPolicies } from '../../src/retention/types.ts';

const D = 86_400_000;
const policies: RetentionPolicies = { pools: { locked: { keepMs: 30 * D, from: 'last-write', then: 'recycle' } }, volumes: {} };

function catalog(t: { teardown(f: () => void): void }): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-gather-'));
  const c = Catalog.open(join(dir, 'catalog.sqlite'));
  t.teardown(() => { c.close(); rmSync(dir, { recursive: true, force: true }); });
  return c;
}

test('cartridges: Object Lock from the pool (and the catalog), shelf facts, live drives and reservations', async (t) => {
  const c = catalog(t);
  for (const [barcode, pool] of [['LCK001L6', 'locked'], ['LCK002L6', 'locked'], ['ARC001L6', null], ['VLT001L6', null], ['RTV001L6', null], ['SHV001L6', null], ['NEW001L6', null]] as const) {
    c.cartridges.add({ barcode, pool });
  }
  c.cartridges.recordWritten('LCK001L6', 1, 100, 1, 1, '2026-11-01T00:00:00.000Z');
  c.cartridges.recordWritten('LCK002L6', 1, 200, 1, 1, '2026-11-01T00:00:00.000Z');
  // A recorded retain-until later than the pool's lock wins.
  c.cartridges.restoreFacts({ barcode: 'LCK002L6', pool: 'locked', state: 'in-use', writeProtected: false, retainUntil: '2027-06-01T00:00:00.000Z', createdAt: '2026-10-01T00:00:00.000Z' });
  const shelf = (barcode: string, phase: 'archived' | 'retrieving' | 'shelved', medium: 'storage-class' | 'vault', archiveClass: string | null) =>
    c.shelf.put({ barcode, phase, medium, archiveClass, previousState: 'full', library: 'lib0', since: '2026-10-15T00:00:00.000Z', detail: {} });
  shelf('ARC001L6', 'archived', 'storage-class', 'DEEP_ARCHIVE');
  shelf('VLT001L6', 'archived', 'vault', null);
  shelf('RTV001L6', 'retrieving', 'storage-class', 'GLACIER');
  shelf('SHV001L6', 'shelved', 'storage-class', 'GLACIER');
  const input = await gatherRetentionInput({
    now: new Date('2026-12-01T00:00:00Z'),
    policies,
    pools: { locked: { objectLock: { mode: 'GOVERNANCE', days: 45 } } },
    catalog: c,
    live: {
      loaded: () => [{ barcode: 'LCK001L6', drive: 'drive 1', prevented: false }, { barcode: 'NEW001L6', drive: 'drive 0', prevented: true }],
      reserved: () => new Map([['SHV001L6', 'mail slots locked']]),
      volumeReaders: () => [],
    },
  });
  const by = new Map(input.cartridges.map((x) => [x.barcode, x]));
  t.deepEqual(by.get('LCK001L6')!.lockedUntil, new Date('2026-12-16T00:00:00Z'));
  t.deepEqual(by.get('LCK002L6')!.lockedUntil, new Date('2027-06-01T00:00:00Z'));
  t.is(by.get('ARC001L6')!.lockedUntil, null);
  t.is(by.get('LCK001L6')!.loadedIn, 'drive 1');
  t.false(by.get('LCK001L6')!.reserved);
  t.is(by.get('NEW001L6')!.loadedIn, 'drive 0');
  t.true(by.get('NEW001L6')!.reserved);
  t.true(by.get('SHV001L6')!.reserved);
  t.deepEqual(by.get('ARC001L6')!.archive, { storageClass: 'DEEP_ARCHIVE', since: new Date('2026-10-15T00:00:00Z') });
  t.deepEqual(by.get('ARC001L6')!.exportedAt, new Date('2026-10-15T00:00:00Z'));
  t.is(by.get('VLT001L6')!.archive?.storageClass, 'GLACIER');
  t.deepEqual(by.get('RTV001L6')!.readers, ['retrieve from the archive under way']);
  t.is(by.get('SHV001L6')!.archive, null);
  t.is(by.get('NEW001L6')!.lastWrittenAt, null);
  t.is(by.get('LCK001L6')!.pool, 'locked');
  t.is(by.get('ARC001L6')!.pool, 'default');
});

test('offline (no live state): nothing loaded, reserved or read; volumes get only their own readers', async (t) => {
  const c = catalog(t);
  c.cartridges.add({ barcode: 'LCK001L6', pool: 'locked' });
  const empty = (volume: string): VolumeHistory => ({ volume, root: `p/cdp/${volume}/`, sizeBytes: 1, blockSize: 512, chunkBytes: 1, journals: [], bases: [], bookmarks: [] });
  const offline = await gatherRetentionInput({ now: new Date(0), policies, pools: {}, catalog: c, cdp: { volumes: async () => ['b', 'a'], history: async (v) => empty(v) } });
  t.deepEqual(offline.cartridges.map((x) => [x.loadedIn, x.reserved, x.readers]), [[null, false, []]]);
  t.deepEqual(offline.volumes.map((v) => [v.volume, v.readers]), [['a', []], ['b', []]]);
  const live = await gatherRetentionInput({
    now: new Date(0), policies, pools: {},
    live: { loaded: () => [], volumeReaders: () => [{ volume: 'b', seq: 7, baseSeq: 3, what: 'exposed point-in-time LUN 0 at x' }] },
    cdp: { volumes: async () => ['a', 'b'], history: async (v) => empty(v) },
  });
  t.deepEqual(live.cartridges, []);
  t.deepEqual(live.volumes.map((v) => [v.volume, v.readers]), [['a', []], ['b', [{ seq: 7, baseSeq: 3, what: 'exposed point-in-time LUN 0 at x' }]]]);
});
