import test from 'ava';
import { join } from 'node:path';
import { CdpVolume, PointInTimeBackend } from '../../src/cdp/index.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { Clock, payload, settings, tempDir, volumeOptions } from './fixture.ts';

/** A store that records the keys it was asked to GET. */
function recording(inner: MemoryObjectStore): { store: ObjectStore; gets: string[] } {
  const gets: string[] = [];
  const store: ObjectStore = {
    kind: 'recording',
    put: (...a) => inner.put(...a),
    get: (key, ...rest) => {
      gets.push(key);
      return inner.get(key, ...rest);
    },
    head: (...a) => inner.head(...a),
    list: (...a) => inner.list(...a),
    delete: (...a) => inner.delete(...a),
  };
  return { store, gets };
}

test('opening a point in time reads indexes only; data comes on demand and is cached', async (t) => {
  const inner = new MemoryObjectStore();
  const clock = new Clock();
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), inner, clock, { settings: settings({ baseEveryBytes: 64 << 10 }) }));
  const model = Buffer.alloc(4 << 20);
  for (let i = 0; i < 60; i++) {
    const d = payload(i + 1, 32, 512);
    d.copy(model, ((i * 97) % 8000) * 512);
    await vol.write(BigInt((i * 97) % 8000), d);
    if (i % 5 === 0) await vol.drain();
  }
  await vol.drain();
  const deadline = Date.now() + 10_000;
  while (vol.puts.index < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await vol.drain();
  await vol.close();
  const { store, gets } = recording(inner);
  const pit = await PointInTimeBackend.open(store, 'pfx', 'vol1', { newest: true }, { now: () => clock.t + 1000 });
  // No base chunk is read at open.
  t.false(gets.some((k) => k.endsWith('.img')), gets.join(' '));
  const atOpen = gets.length;
  const first = await pit.read(0n, 64);
  // The first read gives the data of the instant.
  t.true(first.equals(model.subarray(0, 64 * 512)));
  const afterFirst = gets.length;
  await pit.read(0n, 64);
  // The same read again is served from the cache.
  t.is(gets.length, afterFirst);
  // Reading the whole volume gives the model.
  t.true((await pit.read(0n, 8192)).equals(model));
  t.true(afterFirst > atOpen);
  await pit.close();
});
