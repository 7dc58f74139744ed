import test from 'ava';
import { appendFile, cp, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CdpVolume, recoverVolume, restoreToFile } from '../../src/cdp/index.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { Clock, fileEquals, payload, settings, tempDir, volumeOptions } from './fixture.ts';

test('after a crash the local journal is replayed into the image and shipped: nothing acknowledged is lost', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const opts = volumeOptions(join(dir, 'v'), store, clock, { settings: settings({ shipIntervalMs: 3_600_000 }) });
  const vol = await CdpVolume.open(opts);
  await vol.drain();
  const model = Buffer.alloc(4 << 20);
  for (let i = 0; i < 30; i++) {
    const d = payload(i + 1, 8 + i, 512);
    d.copy(model, i * 9216);
    await vol.write(BigInt((i * 9216) / 512), d);
    if (i === 10) await vol.drain();
  }
  await vol.flush();
  // The files as a crash leaves them (the process gone, the page cache kept)...
  const crashed = join(dir, 'crashed');
  await cp(join(dir, 'v'), crashed, { recursive: true });
  await vol.close({ drain: false });
  // ...with the image writes lost (as if their pages never reached the disk) and a torn record at the journal's end.
  const img = await open(join(crashed, 'image.img'), 'r+');
  await img.write(Buffer.alloc(4 << 20), 0, 4 << 20, 0);
  await img.close();
  const segs = (await readdir(join(crashed, 'journal'))).sort();
  await appendFile(join(crashed, 'journal', segs.at(-1)!), Buffer.from('CDPL-torn-record-garbage'));

  const again = await CdpVolume.open({ ...opts, dir: crashed });
  const image = await again.read(0n, (4 << 20) / 512);
  // The writes not yet shipped are back in the image from the journal (the shipped ones came before the drain and stay lost here: only the journal after the shipped point is replayed).
  t.true(image.subarray(11 * 9216).equals(model.subarray(11 * 9216)));
  await again.drain();
  await again.close();
  const out = join(dir, 'out');
  await restoreToFile(store, 'pfx', 'vol1', { newest: true }, out, { now: () => clock.t + 1000, sync: false });
  // The store holds every acknowledged write.
  t.true(await fileEquals(out, model));
});

test('a volume that exists in the store without local state refuses to start fresh', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, clock));
  await vol.write(0n, payload(1, 1, 512));
  await vol.close();
  // A new directory for the same volume: recover it first.
  await t.throwsAsync(CdpVolume.open(volumeOptions(join(dir, 'w'), store, clock)), { code: 'VTL_CDP_INVALID', message: /run recover/ });
});

test('after a recover, seqs a lost gateway used for an unfinished base are skipped, never reused', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const opts = volumeOptions(join(dir, 'v'), store, clock, { settings: settings({ baseEveryBytes: 4096 }) });
  const vol = await CdpVolume.open(opts);
  const model = Buffer.alloc(4 << 20);
  for (let i = 0; i < 5; i++) {
    const d = payload(i + 1, 16, 512);
    d.copy(model, i * 8192);
    await vol.write(BigInt(i * 16), d);
  }
  await vol.drain();
  await vol.close({ drain: false });
  // The lost gateway had begun a base at seq 9 (past its newest journal) and stored one chunk of it.
  await store.put('pfx/cdp/vol1/base/0000000000000009/00000000.img', Buffer.alloc(64 << 10, 0x5a));
  const rec = await recoverVolume(store, 'pfx', 'vol1', join(dir, 'r'));
  t.is(rec.seq, 5n);
  // The planted object is at seq 9: the next journal starts after it.
  const again = await CdpVolume.open({ ...opts, dir: join(dir, 'r') });
  for (let i = 5; i < 12; i++) {
    const d = payload(i + 1, 16, 512);
    d.copy(model, i * 8192);
    await again.write(BigInt(i * 16), d);
    await again.drain();
  }
  const deadline = Date.now() + 10_000;
  while (again.puts.index < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  // Bases go on after the recover (none stuck on the lost gateway's objects).
  t.true(again.puts.index >= 1, JSON.stringify({ puts: again.puts, st: await again.status() }));
  await again.drain();
  await again.close();
  const out = join(dir, 'out');
  await restoreToFile(store, 'pfx', 'vol1', { newest: true }, out, { now: () => clock.t + 1000, sync: false });
  // The newest image is every write, before and after the recover.
  t.true(await fileEquals(out, model));
  const keys = (await store.list('pfx/cdp/vol1/jnl/')).objects.map((o) => o.key);
  // The writes after the recover took seqs after the skipped ones: 5 before, 6 to 10 skipped, 7 writes end at 17.
  t.regex(keys.at(-1)!, /-0000000000000011-/);
});
