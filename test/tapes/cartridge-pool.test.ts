import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CartridgePool, type CartridgeSpec } from '../../tapes/cartridge-pool.ts';
import type { Manifest } from '../../tapes/manifest.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const spec: CartridgeSpec = { barcode: 'POOL01L7', mediaType: 'LTO-7', capacityBytes: 1 << 30, worm: false, pool: 'daily' };

async function pool(): Promise<{ pool: CartridgePool; store: MemoryObjectStore; seen: Manifest[]; cleanup: () => Promise<void> }> {
  const store = new MemoryObjectStore();
  const stagingDir = await mkdtemp(path.join(tmpdir(), 'pool-'));
  const seen: Manifest[] = [];
  const p = new CartridgePool({
    store, prefix: 'lib', stagingDir,
    directory: { describe: (b) => (b === spec.barcode ? spec : undefined) },
    sink: { manifestCommitted: (m) => void seen.push(m) },
  });
  return { pool: p, store, seen, cleanup: () => rm(stagingDir, { recursive: true, force: true }) };
}

test('open creates blank media for a catalogued barcode', async (t) => {
  const { pool: p, store, seen, cleanup } = await pool();
  const c = await p.open('POOL01L7');
  // The cartridge is blank, and manifest version 1 is in the store and told to the sink.
  t.is(c.position().eodObjectId, 0);
  t.deepEqual(store.keys(), ['lib/tapes/POOL01L7/manifest/0000000000000001.json']);
  t.is(seen[0]?.version, 1);
  t.is(seen[0]?.medium.pool, 'daily');
  await c.close();
  await cleanup();
});

test('open of an unknown barcode fails with VTL_CARTRIDGE_NOT_FOUND', async (t) => {
  const { pool: p, cleanup } = await pool();
  // The directory does not know it.
  await t.throwsAsync(p.open('NOPE01L7'), { code: 'VTL_CARTRIDGE_NOT_FOUND' });
  await cleanup();
});

test('a barcode can be open only once until closed', async (t) => {
  const { pool: p, cleanup } = await pool();
  const c = await p.open('POOL01L7');
  // A second open is refused while the first is loaded.
  await t.throwsAsync(p.open('POOL01L7'), { code: 'VTL_CARTRIDGE_BUSY' });
  await c.close();
  // After close it opens again.
  const d = await p.open('POOL01L7');
  t.false(d.position().eodObjectId > 0);
  await d.close();
  await cleanup();
});

test('closeAll commits what open cartridges hold', async (t) => {
  const { pool: p, seen, cleanup } = await pool();
  const c = await p.open('POOL01L7');
  await c.write(Buffer.alloc(4096, 1), 1024);
  await p.closeAll();
  // The last manifest the sink saw names 4 objects.
  t.is(seen[seen.length - 1]?.eodObjectId, 4);
  t.false(p.isOpen('POOL01L7'));
  await cleanup();
});

test('live() tells what a loaded cartridge holds before any manifest names it, and nothing once it is closed', async (t) => {
  const { pool: p, cleanup } = await pool();
  t.is(p.live('POOL01L7'), undefined, 'not open');
  const c = await p.open('POOL01L7');
  await c.write(Buffer.alloc(3000, 7), 1000);
  await c.writeFilemarks(1);
  // Three blocks and a filemark, 3000 bytes: what the drive holds, though the catalog's manifest is still blank.
  t.deepEqual(p.live('POOL01L7'), { usedBytes: 3000, eodObjectId: 4 });
  await c.close();
  t.is(p.live('POOL01L7'), undefined, 'closed: the catalog has it now');
  await cleanup();
});
