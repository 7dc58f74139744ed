// StagingSegment's batching: records that cross batch boundaries, and records
// larger than a batch, are read back, synced, sealed and recovered in order.

import test from 'ava';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RECORD_HEADER_BYTES, RecordKind } from '../../tapes/record-format.ts';
import { FLUSH_BEHIND_BYTES, flushBehindFor, StagingSegment, TRASH_DIR } from '../../tapes/staging-segment.ts';

const block = (i: number, size: number): Buffer => {
  const b = Buffer.alloc(size, i & 0xff);
  if (size >= 4) b.writeUInt32BE(i, 0);
  return b;
};

test('records across many batches: reads, sync and recovery see every record', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'seg');
  const s = await StagingSegment.create(file, 1, 0, 64 << 10);
  const size = 20_000;
  for (let i = 0; i < 40; i++) await s.append(RecordKind.DATA, block(i, size));
  for (const i of [0, 3, 17, 39]) {
    const image = await s.read(s.index.offset(i), RECORD_HEADER_BYTES + size);
    t.deepEqual(image.subarray(RECORD_HEADER_BYTES), block(i, size));
  }
  await s.append(RecordKind.DATA, block(40, 100));
  await s.sync();
  t.is(s.synced.records, 41);
  t.is((await stat(file)).size, s.synced.bytes);
  await s.close();
  const r = await StagingSegment.recover(file, 1, 0, s.synced.bytes, false, 64 << 10);
  t.is(r.index.count, 41);
  const last = await r.read(r.index.offset(40), RECORD_HEADER_BYTES + 100);
  t.deepEqual(last.subarray(RECORD_HEADER_BYTES), block(40, 100));
  await r.close();
});

test('a record larger than the batch is written directly, in order with the batched ones', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = await StagingSegment.create(path.join(dir, 'seg'), 1, 0, 64 << 10);
  const sizes = [30_000, 30_000, 200_000, 10, 50_000, 300_000, 1];
  for (const [i, n] of sizes.entries()) await s.append(RecordKind.DATA, block(i, n));
  const { size } = await s.seal();
  t.is((await stat(path.join(dir, 'seg'))).size, size);
  for (const [i, n] of sizes.entries()) {
    const image = await s.read(s.index.offset(i), RECORD_HEADER_BYTES + n);
    t.deepEqual(image.subarray(RECORD_HEADER_BYTES), block(i, n), `record ${i}`);
  }
  await s.close();
});

/** Replace FileHandle.prototype.datasync for one test (StagingSegment's handles are plain fs.promises ones). */
async function patchDatasync(t: { teardown(fn: () => void): void }, dir: string, fn: (original: () => Promise<void>) => Promise<void>): Promise<void> {
  const probe = await open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const original = proto.datasync;
  proto.datasync = function (this: unknown) {
    return fn(() => original.call(this));
  };
  t.teardown(() => {
    proto.datasync = original;
  });
}

test.serial('a long write is flushed behind the writes, so a sync point has only the rest left', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let calls = 0;
  await patchDatasync(t, dir, (original) => {
    calls++;
    return original();
  });
  const s = await StagingSegment.create(path.join(dir, 'seg'), 1, 0, 1 << 20, FLUSH_BEHIND_BYTES);
  const records = Math.ceil((2 * FLUSH_BEHIND_BYTES) / (256 << 10)) + 4;
  for (let i = 0; i < records; i++) await s.append(RecordKind.DATA, block(i, 256 << 10));
  t.true(calls >= 1, `datasync started behind ${records} records of 256 KiB: ${calls}`);
  const before = calls;
  await s.sync();
  t.is(calls, before + 1);
  t.is(s.synced.records, records);
  await s.close();
});

test.serial('a failed background datasync fails every later sync point', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let failed = false;
  await patchDatasync(t, dir, (original) => {
    if (failed) return original();
    failed = true;
    return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  });
  const s = await StagingSegment.create(path.join(dir, 'seg'), 1, 0, 1 << 20, FLUSH_BEHIND_BYTES);
  for (let i = 0; i < Math.ceil(FLUSH_BEHIND_BYTES / (256 << 10)) + 8; i++) await s.append(RecordKind.DATA, block(i, 256 << 10));
  await t.throwsAsync(s.sync(), { message: /datasync failed: EIO/ });
  t.is(s.synced.records, 0);
  // The next datasync would succeed, but what the failed one covered may be lost: still refused.
  await t.throwsAsync(s.sync(), { message: /datasync failed/ });
  await t.throwsAsync(s.seal(), { message: /datasync failed/ });
  await s.close();
});

test('remove() with a trash directory takes the file out of its directory at once', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'cart'));
  const s = await StagingSegment.create(path.join(dir, 'cart', 'seg'), 1, 0, 1 << 20);
  await s.append(RecordKind.DATA, block(1, 1000));
  await s.sync();
  await s.remove(path.join(dir, TRASH_DIR));
  t.deepEqual(await readdir(path.join(dir, 'cart')), []);
  // Unlinked in the background.
  for (let i = 0; i < 100 && (await readdir(path.join(dir, TRASH_DIR))).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(await readdir(path.join(dir, TRASH_DIR)), []);
});

test('flush-behind is for large segments only', (t) => {
  t.is(flushBehindFor(64 << 20), 0);
  t.is(flushBehindFor(1 << 30), FLUSH_BEHIND_BYTES);
});

/** Replace FileHandle.prototype.write for one test: `full()` true makes every write fail with ENOSPC. */
async function patchWrite(t: { teardown(fn: () => void): void }, dir: string, full: () => boolean): Promise<void> {
  const probe = await open(path.join(dir, 'probe-w'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown>; writev: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const { write, writev } = proto;
  const enospc = (): Promise<never> => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  proto.write = function (this: unknown, ...args: unknown[]) {
    return full() ? enospc() : write.apply(this, args);
  };
  proto.writev = function (this: unknown, ...args: unknown[]) {
    return full() ? enospc() : writev.apply(this, args);
  };
  t.teardown(() => {
    proto.write = write;
    proto.writev = writev;
  });
}

test.serial('a batch that meets a full disk keeps its records; the record refused is not appended; all is whole once space returns', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let full = false;
  await patchWrite(t, dir, () => full);
  const file = path.join(dir, 'seg');
  const s = await StagingSegment.create(file, 1, 0, 64 << 10);
  const size = 10_000;
  let n = 0;
  // Fill the batch: the next record makes it drain.
  const fit = Math.floor((64 << 10) / (RECORD_HEADER_BYTES + size));
  while (n < fit) t.is(s.append(RecordKind.DATA, block(n++, size)), undefined);
  const inBatch = s.index.count;
  full = true;
  await t.throwsAsync(async () => s.append(RecordKind.DATA, block(n, size)), { code: 'ENOSPC' });
  await t.throwsAsync(async () => s.append(RecordKind.DATA, block(n, 200_000)), { code: 'ENOSPC' }, 'a record larger than the batch');
  await t.throwsAsync(s.sync(), { code: 'ENOSPC' });
  t.is(s.index.count, inBatch, 'the refused records are not in the index');
  full = false;
  for (let i = 0; i < 5; i++) await s.append(RecordKind.DATA, block(n++, i === 2 ? 200_000 : size));
  await s.sync();
  t.is(s.synced.records, n);
  t.is((await stat(file)).size, s.synced.bytes, 'the synced length is what the file holds');
  await s.close();
  const r = await StagingSegment.recover(file, 1, 0, s.synced.bytes, false, 64 << 10);
  t.is(r.index.count, n);
  for (let i = 0; i < n; i++) {
    const len = r.index.length(i);
    const image = await r.read(r.index.offset(i), RECORD_HEADER_BYTES + len);
    t.is(image.readUInt32BE(RECORD_HEADER_BYTES), i, `record ${i} in its place`);
  }
  await r.close();
});
