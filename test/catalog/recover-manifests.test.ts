// `s3vtl recover` trusts the bucket no more than a load does: every manifest
// passes the same checks (own keys, bounds, MAC with a manifest key), and a
// cartridge whose newest manifest fails comes back from the version before,
// reported in the summary.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import type { ManifestAuth } from '../../tapes/manifest-auth.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const keys = new TapeKeys('');

/** Two cartridges written through a pool signing with `auth`: AAA001L6 (3 commits of 4 blocks), BBB001L6 (4 blocks). */
async function bucket(auth: ManifestAuth): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  const stagingDir = await mkdtemp(path.join(tmpdir(), 'recover-manifests-'));
  const catalog = Catalog.open(':memory:');
  catalog.cartridges.add({ barcode: 'AAA001L6', capacityBytes: 2 ** 30 });
  catalog.cartridges.add({ barcode: 'BBB001L6', capacityBytes: 2 ** 30 });
  const pool = new CartridgePool({ store, prefix: '', stagingDir, directory: catalog, sink: catalog, manifestAuth: auth });
  for (let i = 0; i < 3; i++) {
    const a = await pool.open('AAA001L6');
    await a.spaceToEndOfData();
    await a.write(Buffer.alloc(4 * 1024, i + 1), 1024);
    await a.close();
  }
  const b = await pool.open('BBB001L6');
  await b.write(Buffer.alloc(4 * 1024, 9), 1024);
  await b.close();
  catalog.close();
  await rm(stagingDir, { recursive: true, force: true });
  return store;
}

const newestKey = (store: MemoryObjectStore, barcode: string): string => store.keys().filter((k) => k.startsWith(keys.manifestPrefix(barcode))).at(-1)!;

test('recover with a tampered newest manifest restores the cartridge from the version before and reports it', async (t) => {
  const auth: ManifestAuth = { key: randomBytes(32), acceptUnsigned: false };
  const store = await bucket(auth);
  const key = newestKey(store, 'AAA001L6');
  const m = JSON.parse((await store.get(key)).toString()) as { version: number; medium: { pool: string | null } };
  // Altered in place by a writer without the key: the MAC no longer matches.
  await store.put(key, Buffer.from(JSON.stringify({ ...m, medium: { ...m.medium, pool: 'elsewhere' } })));
  const catalog = Catalog.open(':memory:');
  const summary = await recoverCatalog(catalog, store, [], { auth });
  t.log('both cartridges are recovered, none failed');
  t.is(summary.fromManifests, 2);
  t.deepEqual(summary.failed, []);
  t.log('AAA001L6 comes from the version before the tampered one, and the summary says so');
  t.is(summary.fellBack.length, 1);
  t.like(summary.fellBack[0], { barcode: 'AAA001L6', version: m.version - 1 });
  t.is(summary.fellBack[0]?.refused[0]?.version, m.version);
  t.regex(summary.fellBack[0]?.refused[0]?.reason ?? '', /MAC does not match/);
  t.like(catalog.cartridges.get('AAA001L6'), { manifestVersion: m.version - 1, eodObjectId: 8, pool: null });
  t.like(catalog.cartridges.get('BBB001L6'), { eodObjectId: 4 });
  catalog.close();
});

test('recover refuses a cutAway naming another cartridge, and with the wrong key trusts no manifest', async (t) => {
  const auth: ManifestAuth = { key: randomBytes(32), acceptUnsigned: false };
  const store = await bucket(auth);
  const victimSeg = store.keys().find((k) => k.startsWith(keys.segmentPrefix('BBB001L6')))!;
  const key = newestKey(store, 'AAA001L6');
  const m = JSON.parse((await store.get(key)).toString()) as { version: number };
  // Unsigned, as a writer without the key would put it; recover without a key still checks the keys it names.
  const { mac: _mac, ...rest } = m as { mac?: string; version: number };
  await store.put(keys.manifest('AAA001L6', m.version + 1), Buffer.from(JSON.stringify({ ...rest, version: m.version + 1, cutAway: [{ key: victimSeg, until: 1 }] })));
  const catalog = Catalog.open(':memory:');
  const summary = await recoverCatalog(catalog, store);
  t.like(summary.fellBack[0], { barcode: 'AAA001L6', version: m.version });
  t.regex(summary.fellBack[0]?.refused[0]?.reason ?? '', /cutAway key .* is not a segment of AAA001L6/);
  catalog.close();
  t.log('under another key every manifest is refused: both cartridges are reported as failed');
  const other = Catalog.open(':memory:');
  const refused = await recoverCatalog(other, store, [], { auth: { key: randomBytes(32), acceptUnsigned: false } });
  t.deepEqual(refused.failed.map((f) => f.barcode).sort(), ['AAA001L6', 'BBB001L6']);
  t.regex(refused.failed[0]?.reason ?? '', /no manifest passes the checks/);
  other.close();
});
