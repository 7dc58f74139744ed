import test from 'ava';
import { join } from 'node:path';
import { addBookmarkOffline, CdpVolume, listCdpVolumes, loadHistory, restoreToFile, storeStatus } from '../../src/cdp/index.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { Clock, fileEquals, payload, tempDir, volumeOptions } from './fixture.ts';

test('offline: list volumes, status, history and a bookmark added from the store alone', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const model = Buffer.alloc(4 << 20);
  for (const name of ['alpha', 'beta']) {
    const vol = await CdpVolume.open(volumeOptions(join(dir, name), store, clock, { name }));
    for (let i = 0; i < 5; i++) {
      const d = payload(i + 1, 8, 512);
      if (name === 'beta') d.copy(model, i * 4096);
      await vol.write(BigInt(i * 8), d);
    }
    if (name === 'alpha') await vol.bookmark('ready');
    await vol.close();
  }
  // Both volumes are listed, in key order.
  t.deepEqual(await listCdpVolumes(store, 'pfx'), ['alpha', 'beta']);
  const st = await storeStatus(store, 'pfx', 'alpha');
  // The status gives the window, the bookmark and bytes in the store.
  t.truthy(st.windowStart);
  t.truthy(st.windowEnd);
  t.deepEqual(st.bookmarks.map((b) => b.name), ['ready']);
  t.true(st.bytesInStore > 0);
  const h = await loadHistory(store, 'pfx', 'beta');
  // The history holds the journal objects (seqs 1-5 in all) and the first, full base.
  t.is(h.journals.at(-1)!.lastSeq, 5);
  t.true(h.bases[0]!.full);
  const mark = await addBookmarkOffline(store, 'pfx', 'beta', 'later');
  // The offline bookmark names the newest seq.
  t.is(mark.seq, 5n);
  const out = join(dir, 'out');
  await restoreToFile(store, 'pfx', 'beta', { bookmark: 'later' }, out, { now: () => clock.t + 1000, sync: false });
  // Restoring at it gives every write.
  t.true(await fileEquals(out, model));
  // The same name twice is refused.
  await t.throwsAsync(addBookmarkOffline(store, 'pfx', 'beta', 'later'), { code: 'VTL_CDP_INVALID' });
});
