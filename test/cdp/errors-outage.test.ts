import test from 'ava';
import { join } from 'node:path';
import { CdpCorruptError, CdpVolume, restoreToFile } from '../../src/cdp/index.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { OutageStore } from '../tapes/outage-store.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { Clock, fileEquals, payload, settings, tempDir, volumeOptions } from './fixture.ts';

async function filled(t: import('ava').ExecutionContext, store: ObjectStore, clock: Clock, writes = 40): Promise<{ model: Buffer; dir: string }> {
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, clock));
  const model = Buffer.alloc(4 << 20);
  for (let i = 0; i < writes; i++) {
    const d = payload(i + 1, 1 + (i % 16), 512);
    d.copy(model, i * 4096);
    await vol.write(BigInt(i * 8), d);
    if (i % 10 === 9) await vol.drain();
  }
  await vol.bookmark('b1');
  await vol.close();
  return { model, dir };
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('a damaged journal object gives VTL_CDP_CORRUPT naming volume, object and instant', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const { dir } = await filled(t, store, clock);
  const key = (await store.list('pfx/cdp/vol1/jnl/')).objects[1]!.key;
  const body = await store.get(key);
  body.writeUInt8(body.readUInt8(body.length - 20) ^ 0xff, body.length - 20);
  await store.put(key, body);
  const err = await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { newest: true }, join(dir, 'o'), { now: () => clock.t }), { instanceOf: CdpCorruptError });
  // The error names the volume, the object and an instant.
  t.is(err?.code, 'VTL_CDP_CORRUPT');
  t.true(err!.message.includes('vol1') && err!.message.includes(key) && /instant 20/.test(err!.message));
});

test('a missing journal object between others is an error, not a silent skip', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const { dir } = await filled(t, store, clock);
  const keys = (await store.list('pfx/cdp/vol1/jnl/')).objects;
  await store.delete([keys[1]!.key]);
  // Restoring the newest instant across the hole fails with VTL_CDP_CORRUPT.
  await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { newest: true }, join(dir, 'o'), { now: () => clock.t }), { code: 'VTL_CDP_CORRUPT' });
});

test('before the window, in the future, unknown bookmark, unknown volume: each its error', async (t) => {
  const store = new MemoryObjectStore();
  const clock = new Clock();
  const { dir } = await filled(t, store, clock);
  const out = join(dir, 'o');
  const now = (): number => clock.t;
  // In the future: IN_FUTURE, with the window in the message.
  const fut = await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { at: new Date(clock.t + 60_000) }, out, { now }), { code: 'VTL_CDP_IN_FUTURE' });
  t.regex(fut!.message, /window 20.* \.\. 20/);
  // Unknown bookmark: lists the bookmarks.
  const bm = await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { bookmark: 'nope' }, out, { now }), { code: 'VTL_CDP_UNKNOWN_BOOKMARK' });
  t.regex(bm!.message, /b1/);
  // Unknown volume: lists the volumes.
  const uv = await t.throwsAsync(restoreToFile(store, 'pfx', 'other', { newest: true }, out, { now }), { code: 'VTL_CDP_UNKNOWN_VOLUME' });
  t.regex(uv!.message, /vol1/);
  // Before the volume's first write: before the window, not an empty image.
  const before = await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { at: new Date(1_000_000_000_000) }, out, { now }), { code: 'VTL_CDP_BEFORE_WINDOW' });
  t.regex(before!.message, /before the restorable window/);
  // Once the oldest journal is gone (thinned), an instant before it is before the window.
  const first = (await store.list('pfx/cdp/vol1/jnl/')).objects[0]!.key;
  await store.delete([first]);
  await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { at: new Date(1_700_000_000_000) }, out, { now }), { code: 'VTL_CDP_BEFORE_WINDOW' });
});

test('through a store outage writes are acknowledged and nothing is lost; at the journal limit a gap then a base', async (t) => {
  const store = new OutageStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, clock, { settings: settings({ journalLimitBytes: 64 << 10 }) }));
  await vol.drain();
  const model = Buffer.alloc(4 << 20);
  const write = async (i: number, lba: number): Promise<void> => {
    const d = payload(i, 16, 512);
    d.copy(model, lba * 512);
    await vol.write(BigInt(lba), d);
  };
  for (let i = 0; i < 4; i++) await write(i + 1, i * 16);
  const beforeOutage = clock.instant();
  const atOutage = Buffer.from(model);
  store.down = true;
  let inGapAt = new Date(0);
  for (let i = 0; i < 40; i++) {
    await write(100 + i, 200 * i);
    if (i === 30) inGapAt = clock.instant();
  }
  store.down = false;
  await vol.drain();
  await until(() => vol.puts.index >= 2);
  await vol.drain();
  const out = join(dir, 'o');
  const now = (): number => clock.t + 1000;
  await restoreToFile(store, 'pfx', 'vol1', { newest: true }, out, { now });
  // Every acknowledged write is in the newest image.
  t.true(await fileEquals(out, model));
  await restoreToFile(store, 'pfx', 'vol1', { at: beforeOutage }, out, { now });
  // The instant before the outage still restores exactly.
  t.true(await fileEquals(out, atOutage));
  // An instant inside the overflow gap is refused with its nearest instants.
  await t.throwsAsync(restoreToFile(store, 'pfx', 'vol1', { at: inGapAt }, out, { now }), { code: 'VTL_CDP_IN_GAP' });
  await vol.close();
});

test('shipping cadence: no request while idle, at most one PUT per interval under load', async (t) => {
  const inner = new MemoryObjectStore();
  const clock = new Clock(1_750_000_000_000, 1);
  const putTimes: number[] = [];
  const store: ObjectStore = {
    kind: 'counting',
    put: (...a) => {
      putTimes.push(clock.t);
      return inner.put(...a);
    },
    get: (...a) => inner.get(...a),
    head: (...a) => inner.head(...a),
    list: (...a) => inner.list(...a),
    delete: (...a) => inner.delete(...a),
  };
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, clock, { settings: settings({ shipIntervalMs: 50 }) }));
  await vol.drain();
  for (let i = 0; i < 600; i++) await vol.write(BigInt((i * 37) % 8000), payload(i, 4, 512));
  const loadPuts = [...putTimes];
  await vol.drain();
  await new Promise((r) => setTimeout(r, 200));
  const settled = putTimes.length;
  const calls = { ...inner.calls };
  await new Promise((r) => setTimeout(r, 300));
  // Idle: no request at all.
  t.is(putTimes.length, settled);
  t.deepEqual(inner.calls, calls);
  // Under load several objects were shipped, each at least one interval after the previous one.
  t.true(loadPuts.length >= 3, `${loadPuts.length} puts`);
  // (The first two are the metadata and first base, sent by the drain at open.)
  for (let i = 3; i < loadPuts.length; i++) t.true(loadPuts[i]! - loadPuts[i - 1]! >= 50, `put ${i}`);
  await vol.close();
});
