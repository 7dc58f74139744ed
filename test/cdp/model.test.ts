import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CdpVolume, PointInTimeBackend, ReadOnlyVolumeError, recoverVolume, restoreToFile } from '../../src/cdp/index.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { Clock, fileEquals, payload, rng, settings, tempDir, volumeOptions } from './fixture.ts';


const SIZE = 4 << 20;
const BS = 512;
const BLOCKS = SIZE / BS;

interface Run {
  model: Buffer;
  instants: { at: Date; image: Buffer }[];
  marks: { name: string; image: Buffer }[];
  writes: number;
}

/** The seeded workload: writes of 1-128 blocks, half in a hot region, flushes, pauses where instants are taken. */
async function workload(vol: CdpVolume, clock: Clock, seed: number, writes: number, model: Buffer, run: Run): Promise<void> {
  const r = rng(seed);
  const hot = 512;
  let n = run.writes;
  for (let i = 0; i < writes; ) {
    const batch = 1 + Math.floor(r() * 4);
    const ps: Promise<void>[] = [];
    for (let k = 0; k < batch && i < writes; k++, i++) {
      const blocks = 1 + Math.floor(r() * 128);
      const span = r() < 0.5 ? hot : BLOCKS;
      const lba = Math.floor(r() * (span - blocks));
      const data = payload(++n, blocks, BS);
      data.copy(model, lba * BS);
      ps.push(vol.write(BigInt(lba), data));
    }
    await Promise.all(ps);
    if (r() < 0.1) await vol.flush();
    // A real pause now and then lets the shipping loop run (bases need several of its turns).
    if (r() < 0.3) await new Promise((res) => setTimeout(res, 1));
    if (r() < 0.22) run.instants.push({ at: clock.instant(), image: Buffer.from(model) });
    if (r() < 0.03) {
      const name = `mark-${n}`;
      await vol.bookmark(name);
      run.marks.push({ name, image: Buffer.from(model) });
    }
  }
  run.writes = n;
}

async function modelTest(t: import('ava').ExecutionContext, store: ObjectStore): Promise<void> {
  const dir = await tempDir(t);
  const clock = new Clock();
  const vdir = join(dir, 'vol');
  const opts = volumeOptions(vdir, store, clock, { settings: settings({ shipIntervalMs: 0 }) });
  const vol = await CdpVolume.open(opts);
  const run: Run = { model: Buffer.alloc(SIZE), instants: [], marks: [], writes: 0 };
  await workload(vol, clock, 7, 300, run.model, run);
  await vol.drain();
  // Bases were taken while writes went on, so restores start from them and not only from the first.
  t.true(vol.puts.index >= 2, JSON.stringify(vol.puts));
  const shipped = Buffer.from(run.model);
  const shippedAt = clock.instant();
  // More writes, some of which never reach the store: the gateway is lost before they ship.
  const after: Buffer[] = [shipped];
  const lostModel = Buffer.from(run.model);
  const r = rng(8);
  for (let i = 0; i < 20; i++) {
    const blocks = 1 + Math.floor(r() * 128);
    const lba = Math.floor(r() * (BLOCKS - blocks));
    const data = payload(100_000 + i, blocks, BS);
    data.copy(lostModel, lba * BS);
    await vol.write(BigInt(lba), data);
    after.push(Buffer.from(lostModel));
  }
  const seqShipped = (await vol.status()).newestDurable;
  await vol.close({ drain: false });
  await rm(vdir, { recursive: true, force: true });
  t.true(run.instants.length >= 20, `${run.instants.length} instants`);
  t.true(run.marks.length >= 2, `${run.marks.length} bookmarks`);

  const out = join(dir, 'out.img');
  const now = (): number => clock.t + 1000;
  for (const [i, s] of run.instants.entries()) {
    await restoreToFile(store, 'pfx', 'vol1', { at: s.at }, out, { now, sync: false });
    // The image at each instant is byte-identical to the model at that instant.
    t.true(await fileEquals(out, s.image), `instant ${i} at ${s.at.toISOString()}`);
  }
  for (const m of run.marks) {
    await restoreToFile(store, 'pfx', 'vol1', { bookmark: m.name }, out, { now, sync: false });
    // The image at each bookmark is the model at that bookmark.
    t.true(await fileEquals(out, m.image), m.name);
  }
  for (const [i, s] of [...run.instants.map((x) => ({ target: { at: x.at }, image: x.image })), ...run.marks.map((m) => ({ target: { bookmark: m.name }, image: m.image }))].entries()) {
    const pit = await PointInTimeBackend.open(store, 'pfx', 'vol1', s.target, { now });
    const parts: Buffer[] = [];
    for (let lba = 0; lba < BLOCKS; lba += 1000) parts.push(await pit.read(BigInt(lba), Math.min(1000, BLOCKS - lba)));
    // Reading the whole point-in-time volume gives the model at that instant.
    t.true(Buffer.concat(parts).equals(s.image), `point in time ${i}`);
    if (i === 0) await t.throwsAsync(pit.write(), { instanceOf: ReadOnlyVolumeError });
    await pit.close();
  }
  await restoreToFile(store, 'pfx', 'vol1', { at: shippedAt }, out, { now, sync: false });
  // The newest shipped instant restores too.
  t.true(await fileEquals(out, shipped));

  // Losing the gateway: recover the directory from the store alone.
  const rec = await recoverVolume(store, 'pfx', 'vol1', vdir);
  // The newest instant in the store is at least the newest durable one the volume reported.
  t.true(rec.newest !== null && seqShipped !== null && rec.newest >= seqShipped);
  const again = await CdpVolume.open(opts);
  const image = await again.read(0n, BLOCKS);
  const k = after.findIndex((m) => m.equals(image));
  // The recovered image is the model after some prefix of the writes (those shipped before the loss).
  t.true(k >= 0, 'recovered image matches the model after a prefix of the writes');
  const cont: Run = { model: Buffer.from(after[k]!), instants: [], marks: [], writes: run.writes + 1000 };
  await workload(again, clock, 9, 60, cont.model, cont);
  await again.drain();
  await again.close();
  for (const s of [...run.instants.slice(-3), ...cont.instants]) {
    await restoreToFile(store, 'pfx', 'vol1', { at: s.at }, out, { now, sync: false });
    // Instants before and after the recovery restore exactly.
    t.true(await fileEquals(out, s.image), s.at.toISOString());
  }
  await restoreToFile(store, 'pfx', 'vol1', { newest: true }, out, { now, sync: false });
  // The newest instant after going on from the recovered volume is the model.
  t.true(await fileEquals(out, cont.model));
}

test('model: restores at instants and bookmarks match the model (memory store)', async (t) => {
  await modelTest(t, new MemoryObjectStore());
});

test('model: the same on the directory store', async (t) => {
  const dir = await tempDir(t);
  await modelTest(t, new DirObjectStore({ root: join(dir, 'store'), fsync: false }));
});
