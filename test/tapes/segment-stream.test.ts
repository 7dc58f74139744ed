// A segment uploaded in parts while it is written (tapes/segment-stream.ts,
// PipelineOptions.partBytes): parts go up before the seal, the object only
// appears complete, and a cut, a failed part, a store that refuses parts or
// a crash never change what reads back.

import test from 'ava';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import { MIN_PART_BYTES, type PartUpload } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { SegmentUploader } from '../../tapes/uploader.ts';
import { BARCODE, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';

const BLOCK = 64 << 10;
const SEGMENT = 16 << 20;
const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `b${from + i}`);
const streaming = { segmentBytes: SEGMENT, partBytes: MIN_PART_BYTES, batchBytes: 256 << 10 };

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('parts go up while the segment is written; the object appears only when sealed', async (t) => {
  const f = await makeFixture(streaming);
  const c = await f.open();
  // 12 MiB: two whole 5 MiB parts, no seal yet (segments seal at 16 MiB).
  await writeBlocks(c, 0, 192, BLOCK);
  await until('two parts', () => f.store.calls.part >= 2);
  t.is(f.store.calls.beginUpload, 1);
  // No segment object is visible while the segment is open.
  t.deepEqual(f.store.keys().filter((k) => k.includes('/seg/')), []);
  await c.writeFilemarks(1);
  await c.close();
  // One object, completed from three parts: two sent while writing, the
  // 2 MiB tail at the seal (close).
  t.is(f.store.keys().filter((k) => k.includes('/seg/')).length, 1);
  t.is(f.store.calls.complete, 1);
  t.is(f.store.calls.part, 3);
  const d = await f.open();
  // Every block and the filemark read back.
  t.deepEqual(await readAll(d), [...numbered(0, 192), 'F']);
  await d.close();
  await f.cleanup();
});

test('the tail left at the seal is split so its parts go up side by side', async (t) => {
  const f = await makeFixture({ ...streaming, segmentBytes: 32 << 20, partBytes: 20 << 20 });
  const c = await f.open();
  // 540 blocks of 64 KiB: the first segment seals past 32 MiB (one 20 MiB
  // part sent while writing, a 12 MiB tail at the seal); the 28 blocks after
  // it are less than a part and go up whole at close.
  await writeBlocks(c, 0, 540, BLOCK);
  await c.close();
  // The 12 MiB tail went as two parts of at least 5 MiB: three parts in all.
  t.is(f.store.calls.complete, 1);
  t.is(f.store.calls.part, 3);
  t.is(f.store.keys().filter((k) => k.includes('/seg/')).length, 2);
  const d = await f.open();
  t.deepEqual(await readAll(d), numbered(0, 540));
  await d.close();
  await f.cleanup();
});

test('a cut inside the open segment discards its parts and starts over', async (t) => {
  const f = await makeFixture(streaming);
  const c = await f.open();
  await writeBlocks(c, 0, 192, BLOCK);
  await until('two parts', () => f.store.calls.part >= 2);
  // Overwrite from block 10: records in parts already sent are cut away.
  await c.locate(10);
  await writeBlocks(c, 1000, 1200, BLOCK);
  await c.close();
  // The first upload was aborted; a new one carried the rewritten segment.
  t.true(f.store.calls.abort >= 1);
  t.true(f.store.calls.beginUpload >= 2);
  const d = await f.open();
  t.deepEqual(await readAll(d), [...numbered(0, 10), ...numbered(1000, 1200)]);
  await d.close();
  await f.cleanup();
});

test('a part that fails while the store is away is sent again', async (t) => {
  const f = await makeFixture(streaming);
  const uploader = new SegmentUploader(f.store, { backoffMs: 5 });
  f.store.failParts = 3;
  const c = await f.open({ uploader });
  await writeBlocks(c, 0, 300, BLOCK);
  await c.close();
  // Three injected failures, each retried; the object completed from parts.
  t.is(f.store.failParts, 0);
  t.true(f.store.calls.complete >= 1);
  const d = await f.open({ uploader });
  t.deepEqual(await readAll(d), numbered(0, 300));
  await d.close();
  await f.cleanup();
});

test('a store that refuses parts for good gets the sealed segment whole', async (t) => {
  const f = await makeFixture(streaming);
  const begin = f.store.beginUpload.bind(f.store);
  f.store.beginUpload = async (key: string): Promise<PartUpload> => {
    const up = await begin(key);
    // A permanent refusal (credentials lacking s3:PutObject on parts, say): not worth retrying.
    const denied = Object.assign(new StoreError(StoreErrorCode.UNAVAILABLE, 'AccessDenied', { key }), { retryable: false });
    return { key, part: () => Promise.reject(denied), complete: up.complete, abort: up.abort };
  };
  const c = await f.open();
  await writeBlocks(c, 0, 300, BLOCK);
  await c.close();
  // Nothing was completed from parts; the upload was discarded and both segments went up whole.
  t.is(f.store.calls.complete, 0);
  t.true(f.store.calls.abort >= 1);
  t.is(f.store.keys().filter((k) => k.includes('/seg/')).length, 2);
  const d = await f.open();
  t.deepEqual(await readAll(d), numbered(0, 300));
  await d.close();
  await f.cleanup();
});

test('a crash with parts in flight: reopened, the open segment is sent again and reads back to the last sync point', async (t) => {
  const f = await makeFixture(streaming);
  const c = await f.open();
  await writeBlocks(c, 0, 150, BLOCK);
  await c.writeFilemarks(1);
  await c.flush(); // sync point: blocks 0-149 and the filemark are durable
  await writeBlocks(c, 150, 160, BLOCK);
  await until('a part', () => f.store.calls.part >= 1);
  await c.abandon();
  const d = await f.open();
  // The acknowledged records up to the sync point are there.
  const got = await readAll(d);
  t.deepEqual(got.slice(0, 151), [...numbered(0, 150), 'F']);
  await d.close();
  // After the close, the bucket holds the segment (streamed again from the start) and the manifest names it.
  t.is(f.store.keys().filter((k) => k.includes(`/${BARCODE}/seg/`)).length, 1);
  await f.cleanup();
});

test('a locked pool: the object completed from parts carries the lock', async (t) => {
  const store = new MemoryObjectStore({ objectLock: true });
  const f = await makeFixture(streaming);
  const c = await f.open({ store, lock: { mode: 'COMPLIANCE', days: 30 } });
  await writeBlocks(c, 0, 192, BLOCK);
  await c.close();
  const seg = store.keys().find((k) => k.includes('/seg/'))!;
  // Completed from parts (no whole put), and locked as the pool says, about 30 days out.
  t.is(store.calls.complete, 1);
  const lock = store.locks.get(seg)?.[0];
  t.is(lock?.mode, 'COMPLIANCE');
  t.true(Math.abs(lock!.retainUntil.getTime() - Date.now() - 30 * 86_400_000) < 60_000);
  await f.cleanup();
});
