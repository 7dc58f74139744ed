// Staging files, the journal, the lock and a directory store's segments and
// manifests are the owner's alone (files 0600, directories 0700) even when
// the process runs under umask 000.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CartridgePool, type CartridgeSpec } from '../../tapes/cartridge-pool.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { modes, wider } from '../helpers/modes.ts';

const spec: CartridgeSpec = { barcode: 'PRIV01L7', mediaType: 'LTO-7', capacityBytes: 1 << 30, worm: false, pool: null };

test('under umask 000, staging, journal, lock, segments and manifests are created private', async (t) => {
  const previous = process.umask(0o000);
  t.teardown(() => void process.umask(previous));
  const root = await mkdtemp(path.join(tmpdir(), 'private-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const stagingDir = path.join(root, 'staging');
  const storeDir = path.join(root, 'store');
  const pool = new CartridgePool({
    store: new DirObjectStore({ root: storeDir }), prefix: '', stagingDir,
    directory: { describe: (b) => (b === spec.barcode ? spec : undefined) },
    segments: { segmentBytes: 64 * 1024 },
  });
  const c = await pool.open(spec.barcode);
  for (let i = 0; i < 40; i++) await c.write(Buffer.alloc(4096, i), 4096);
  await c.writeFilemarks(1);
  await c.flush();
  const staged = await modes(stagingDir);
  t.log('While the cartridge is open its staging directory holds the lock, the journal and segment files.');
  t.true([...staged.keys()].some((n) => n.endsWith('lock')));
  t.true(staged.size >= 3, [...staged.keys()].join(', '));
  t.deepEqual(wider(staged), []);
  await c.close();
  const stored = await modes(storeDir);
  t.true([...stored.keys()].some((n) => n.endsWith('.seg')));
  t.true([...stored.keys()].some((n) => n.includes('manifest')));
  t.deepEqual(wider(stored), []);
});
