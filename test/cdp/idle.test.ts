import test from 'ava';
import { join } from 'node:path';
import { CdpVolume } from '../../src/cdp/index.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { Clock, payload, settings, tempDir, volumeOptions } from './fixture.ts';

const until = async (f: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 2000 && !(await f()); i++) await new Promise((r) => setTimeout(r, 5));
};

test('status says when everything is stored (a base begun under load included); after that, no request at all', async (t) => {
  const inner = new MemoryObjectStore();
  let requests = 0;
  const count = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A): Promise<R> => {
    requests++;
    return f(...a);
  };
  const store: ObjectStore = { kind: 'counting', put: count(inner.put.bind(inner)), get: count(inner.get.bind(inner)), head: count(inner.head.bind(inner)), list: count(inner.list.bind(inner)), delete: count(inner.delete.bind(inner)) };
  const dir = await tempDir(t);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, new Clock(), { settings: settings({ shipIntervalMs: 2, baseEveryBytes: 32 << 10 }) }));
  await vol.drain();
  for (let i = 0; i < 64; i++) await vol.write(BigInt(i * 128), payload(i, 16, 512));
  await vol.drain();
  await until(async () => !(await vol.status()).shipping);
  // Status says everything is stored only once the base the load made due is in the store too.
  t.false((await vol.status()).shipping);
  t.true(inner.keys().filter((k) => k.endsWith('/index.json')).length >= 2, inner.keys().join(' '));
  const before = requests;
  await new Promise((r) => setTimeout(r, 300));
  // Idle: not one request.
  t.is(requests, before);
  await vol.close();
});
