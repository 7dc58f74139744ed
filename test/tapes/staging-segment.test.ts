// StagingSegment's batching: records that cross batch boundaries, and records
// larger than a batch, are read back, synced, sealed and recovered in order.

import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RECORD_HEADER_BYTES, RecordKind } from '../../tapes/record-format.ts';
import { StagingSegment } from '../../tapes/staging-segment.ts';

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
