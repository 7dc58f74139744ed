// The disaster case: the gateway and its catalog are gone, the bucket is not.

import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

test('a catalog rebuilt from the store alone knows every cartridge and what is written on it', async (t) => {
  const store = new MemoryObjectStore();
  const stagingDir = await mkdtemp(path.join(tmpdir(), 'rebuild-'));
  const original = Catalog.open(':memory:');
  original.cartridges.add({ barcode: 'AAA001L6', pool: 'daily', capacityBytes: 2 ** 30 });
  original.cartridges.add({ barcode: 'BBB001LW', pool: 'vault', capacityBytes: 2 ** 30 });
  original.cartridges.add({ barcode: 'CCC001L9', capacityBytes: 2 ** 30 });
  const pool = new CartridgePool({ store, prefix: 'site1', stagingDir, directory: original, sink: original, segments: { segmentBytes: 64 << 10 } });
  const a = await pool.open('AAA001L6');
  await a.write(Buffer.alloc(200 * 1024, 1), 1024);
  await a.writeFilemarks(1);
  await a.close();
  const b = await pool.open('BBB001LW');
  await b.write(Buffer.alloc(8 * 1024, 2), 1024);
  await b.close();
  const c = await pool.open('CCC001L9');
  await c.close();
  original.close();

  const rebuilt = Catalog.open(':memory:');
  const report = await rebuilt.rebuildFromStore(store, 'site1');
  // All three cartridges are found, none failed.
  t.deepEqual(report.cartridges, ['AAA001L6', 'BBB001LW', 'CCC001L9']);
  t.deepEqual(report.failed, []);
  // Medium metadata comes back from the manifests: pool, WORM, capacity.
  t.like(rebuilt.cartridges.get('BBB001LW'), { pool: 'vault', worm: true, mediaType: 'LTO-6', capacityBytes: 2 ** 30 });
  // What is written comes back too: EOD, bytes, filemarks, state.
  t.like(rebuilt.cartridges.get('AAA001L6'), { eodObjectId: 201, bytesWritten: 200 * 1024, filemarkCount: 1, state: 'in-use' });
  t.like(rebuilt.cartridges.get('CCC001L9'), { eodObjectId: 0, state: 'scratch' });
  // Segments of the current manifest are listed.
  t.true(rebuilt.segments('AAA001L6').length >= 3);

  // A pool on the rebuilt catalog reads the data back.
  const pool2 = new CartridgePool({ store, prefix: 'site1', stagingDir, directory: rebuilt, sink: rebuilt });
  const again = await pool2.open('AAA001L6');
  await again.locate(199);
  t.deepEqual(await again.read(), { kind: 'block', data: Buffer.alloc(1024, 1) });
  await again.close();
  rebuilt.close();
  await rm(stagingDir, { recursive: true, force: true });
});

test('rebuild reports a cartridge whose manifest is unreadable and goes on', async (t) => {
  const store = new MemoryObjectStore();
  await store.put('tapes/BAD001L6/manifest/0000000000000001.json', Buffer.from('{not json'));
  await store.put('tapes/GOOD01L6/manifest/0000000000000001.json', Buffer.from(JSON.stringify({
    format: 's3vtl.cartridge-manifest', formatVersion: 1, barcode: 'GOOD01L6', version: 1, createdAt: '2026-01-01T00:00:00Z',
    medium: { mediaType: 'LTO-6', capacityBytes: 2 ** 30, worm: false, pool: null },
    segments: [], filemarks: [], eodObjectId: 0, usedBytes: 0, attributes: {}, nextSeq: 1,
  })));
  const cat = Catalog.open(':memory:');
  const report = await cat.rebuildFromStore(store);
  // The good cartridge is restored, the bad one reported with a reason.
  t.deepEqual(report.cartridges, ['GOOD01L6']);
  t.is(report.failed[0]?.barcode, 'BAD001L6');
  t.regex(report.failed[0]?.reason ?? '', /not JSON/);
  cat.close();
});
