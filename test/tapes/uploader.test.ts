import test from 'ava';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { S3StoreError } from '../../tapes/stores/s3-errors.ts';
import { SegmentUploader } from '../../tapes/uploader.ts';
import { BARCODE, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';
import { OutageStore } from './outage-store.ts';

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

test('a retryable failure is retried past ten attempts (an outage costs time, not data)', async (t) => {
  const store = new MemoryObjectStore();
  store.failPuts = 15;
  const { file: f, done } = await file(Buffer.from('segment'));
  await new SegmentUploader(store, { backoffMs: 1, maxBackoffMs: 2 }).upload({ key: 'a/x.seg', path: f, size: 7 });
  // Fifteen failures, then the sixteenth attempt succeeds.
  t.is(store.calls.put, 16);
  t.deepEqual(await store.get('a/x.seg'), Buffer.from('segment'));
  await done();
});

test('a permanent failure is not retried', async (t) => {
  const inner = new MemoryObjectStore();
  let puts = 0;
  const store = Object.assign(Object.create(inner) as MemoryObjectStore, {
    put: async () => {
      puts++;
      throw new S3StoreError(StoreErrorCode.UNAVAILABLE, 's3 put: AccessDenied: check the credentials', { s3Code: 'AccessDenied', retryable: false });
    },
  });
  const { file: f, done } = await file(Buffer.from('segment'));
  // Credentials or a missing bucket need a person: the first failure is reported.
  await t.throwsAsync(new SegmentUploader(store, { backoffMs: 1 }).upload({ key: 'a/x.seg', path: f, size: 7 }), { message: /AccessDenied/ });
  t.is(puts, 1);
  await done();
});

test('an aborted upload stops retrying', async (t) => {
  const store = new OutageStore();
  store.down = true;
  const { file: f, done } = await file(Buffer.from('segment'));
  const abort = new AbortController();
  const up = new SegmentUploader(store, { backoffMs: 5, maxBackoffMs: 5 }).upload({ key: 'a/x.seg', path: f, size: 7, signal: abort.signal });
  await sleep(50);
  abort.abort();
  const reason = await up.then(() => undefined, (e: unknown) => e);
  t.is((reason as { name?: string } | undefined)?.name, 'AbortError');
  const refused = store.refused;
  await sleep(50);
  // No attempt after the abort.
  t.is(store.refused, refused);
  await done();
});

test('retries are logged at warn, at most once per logEveryMs, and the recovery once', async (t) => {
  const store = new MemoryObjectStore();
  store.failPuts = 6;
  const lines: string[] = [];
  const log = { info: (m: string) => void lines.push(`info ${m}`), warn: (m: string) => void lines.push(`warn ${m}`), error: (m: string) => void lines.push(`error ${m}`) };
  const { file: f, done } = await file(Buffer.from('segment'));
  await new SegmentUploader(store, { backoffMs: 1, maxBackoffMs: 2, logEveryMs: 60_000, log }).upload({ key: 'a/x.seg', path: f, size: 7 });
  // Six failures: one warning, then one line when it went through.
  t.deepEqual(lines, ['warn segment upload failed, retrying', 'info segment upload succeeded after retries']);
  await done();
});

test('resume: sealed segments left in staging by a crash during an outage upload when the cartridge is opened again', async (t) => {
  const store = new OutageStore();
  const fx = await makeFixture({ store, uploader: new SegmentUploader(store, { backoffMs: 2, maxBackoffMs: 10 }), commitBackoffMs: 2 });
  const a = await fx.open();
  store.down = true;
  // 160 KiB in 4 KiB blocks: two sealed 64 KiB segments and an open one, made durable by a sync point.
  await writeBlocks(a, 0, 40, 4096);
  await a.flush();
  t.deepEqual(store.segments(), []);
  // Crash: nothing more happens to this cartridge.
  await a.abandon();
  store.down = false;
  // The restarted gateway opens it with a working store: the sealed segments upload and commit by themselves.
  const b = await fx.open({ uploader: new SegmentUploader(store, { backoffMs: 2, maxBackoffMs: 10 }) });
  for (let i = 0; i < 200 && b.manifest.segments.length < 2; i++) await sleep(10);
  t.is(b.manifest.segments.length, 2);
  t.is(store.segments().length, 2);
  // Unload uploads the open segment too; the staging area of the cartridge is then empty.
  await b.close();
  await t.throwsAsync(stat(path.join(fx.stagingDir, BARCODE)), { code: 'ENOENT' });
  // A gateway without that staging area reads every block from the store.
  const other = await mkdtemp(path.join(tmpdir(), 'staging-'));
  const c = await fx.open({ stagingDir: other });
  t.deepEqual(await readAll(c), Array.from({ length: 40 }, (_, i) => `b${i}`));
  await c.close();
  await rm(other, { recursive: true, force: true });
  await fx.cleanup();
});
