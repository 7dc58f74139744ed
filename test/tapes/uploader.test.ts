import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StoreError } from '../../tapes/errors.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { SegmentUploader } from '../../tapes/uploader.ts';

async function file(bytes: Buffer): Promise<{ file: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'up-'));
  const f = path.join(dir, 'x.seg');
  await writeFile(f, bytes);
  return { file: f, done: () => rm(dir, { recursive: true, force: true }) };
}

test('a failed put is retried until it succeeds', async (t) => {
  const store = new MemoryObjectStore();
  store.failPuts = 2;
  const { file: f, done } = await file(Buffer.from('segment'));
  await new SegmentUploader(store, { backoffMs: 1 }).upload({ key: 'a/x.seg', path: f, size: 7 });
  // Three attempts: two failures and a success.
  t.is(store.calls.put, 3);
  t.deepEqual(await store.get('a/x.seg'), Buffer.from('segment'));
  await done();
});

test('the last failure is reported after all attempts', async (t) => {
  const store = new MemoryObjectStore();
  store.failPuts = 10;
  const { file: f, done } = await file(Buffer.from('segment'));
  // With 3 attempts the third failure is thrown.
  await t.throwsAsync(new SegmentUploader(store, { attempts: 3, backoffMs: 1 }).upload({ key: 'a/x.seg', path: f, size: 7 }), { instanceOf: StoreError });
  t.is(store.calls.put, 3);
  await done();
});

test('an object already uploaded with the same size counts as done', async (t) => {
  const store = new MemoryObjectStore();
  await store.put('a/x.seg', Buffer.from('segment'));
  const { file: f, done } = await file(Buffer.from('segment'));
  // Resuming after a crash does not fail on the existing object.
  await t.notThrowsAsync(new SegmentUploader(store).upload({ key: 'a/x.seg', path: f, size: 7 }));
  await done();
});

test('concurrency is bounded', async (t) => {
  let active = 0;
  let peak = 0;
  const inner = new MemoryObjectStore();
  const store = Object.assign(Object.create(inner) as MemoryObjectStore, {
    put: async (...args: Parameters<MemoryObjectStore['put']>) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return inner.put(...args);
    },
  });
  const { file: f, done } = await file(Buffer.from('s'));
  const up = new SegmentUploader(store, { concurrency: 2 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => up.upload({ key: `c/${i}`, path: f, size: 1 })));
  // Never more than two puts at once.
  t.is(peak, 2);
  await done();
});
