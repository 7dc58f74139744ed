import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { objectStoreContract } from './object-store-contract.ts';

objectStoreContract('dir', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'dir-store-'));
  return { store: new DirObjectStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
}, { parts: false });

test('dir: a key is stored at the same relative path under the root', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'dir-store-'));
  const store = new DirObjectStore({ root });
  await store.put('tapes/ABC123L6/seg/x.seg', Buffer.from('x'));
  // The object is a plain file at root/<key>.
  t.deepEqual(await readdir(path.join(root, 'tapes', 'ABC123L6', 'seg')), ['x.seg']);
  // No temporary file is left behind.
  t.deepEqual(await readdir(path.join(root, '.tmp')), []);
  await rm(root, { recursive: true, force: true });
});
