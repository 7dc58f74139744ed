// A crash between a manifest PUT and the catalog update leaves the catalog a
// version behind the store; opening the cartridge tells the sink again.

import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CartridgePool, type CartridgeSpec } from '../../tapes/cartridge-pool.ts';
import type { Manifest } from '../../tapes/manifest.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

test('opening a cartridge reports a manifest newer than the directory knows to the sink', async (t) => {
  const store = new MemoryObjectStore();
  const stagingDir = await mkdtemp(path.join(tmpdir(), 'sink-'));
  const spec: CartridgeSpec = { barcode: 'SNK001L6', mediaType: 'LTO-6', capacityBytes: 2 ** 30, worm: false, pool: null, manifestVersion: 0 };
  const told: Manifest[] = [];
  // First gateway: its sink "crashes" (never records anything).
  const lost = new CartridgePool({ store, prefix: '', stagingDir, directory: { describe: () => spec }, sink: { manifestCommitted: () => undefined } });
  const c = await lost.open('SNK001L6');
  await c.write(Buffer.alloc(4096, 7), 1024);
  await c.close();
  const newest = c.manifest.version;
  // The catalog still says version 1 (blank media).
  const pool = new CartridgePool({ store, prefix: '', stagingDir, directory: { describe: () => ({ ...spec, manifestVersion: 1 }) }, sink: { manifestCommitted: (m) => void told.push(m) } });
  const again = await pool.open('SNK001L6');
  // The sink hears of the newest manifest at open, before any new write.
  t.deepEqual(told.map((m) => m.version), [newest]);
  t.is(told[0]?.eodObjectId, 4);
  await again.close();
  await rm(stagingDir, { recursive: true, force: true });
});
