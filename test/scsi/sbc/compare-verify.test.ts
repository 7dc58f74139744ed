import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { be16, be32, be64, readyDisk, run } from '../spc/fixture.ts';

test('VERIFY(10) BYTCHK=1 matches and miscompares with the byte offset', async (t) => {
  const { disk, backend } = await readyDisk();
  backend.data.fill(0x41, 0, 1024);
  const same = Buffer.alloc(1024, 0x41);
  // Verify GOOD when the data matches.
  t.is((await run(disk, [0x2f, 0x02, ...be32(0), 0, ...be16(2), 0], { dataOut: same })).status, Status.GOOD);
  same[700] = 0x42;
  const r = await run(disk, [0x2f, 0x02, ...be32(0), 0, ...be16(2), 0], { dataOut: same });
  // Verify MISCOMPARE 1D/00 with INFORMATION 700.
  t.deepEqual([r.key, r.asc, r.info], [0x0e, 0x1d, 700n]);
});

test('VERIFY BYTCHK=0 needs no Data-Out', async (t) => {
  const { disk } = await readyDisk();
  // Verify GOOD.
  t.is((await run(disk, [0x8f, 0, ...be64(0n), ...be32(4), 0, 0])).status, Status.GOOD);
});

test('WRITE AND VERIFY(16) writes and reads back', async (t) => {
  const { disk, backend } = await readyDisk();
  const r = await run(disk, [0x8e, 0x02, ...be64(3n), ...be32(1), 0, 0], { dataOut: Buffer.alloc(512, 3) });
  // Verify GOOD and the block written.
  t.deepEqual([r.status, backend.data[3 * 512]], [Status.GOOD, 3]);
});

test('COMPARE AND WRITE writes when the compare matches', async (t) => {
  const { disk, backend } = await readyDisk();
  const data = Buffer.concat([Buffer.alloc(512, 0), Buffer.alloc(512, 0x77)]);
  const r = await run(disk, [0x89, 0, ...be64(5n), 0, 0, 0, 1, 0, 0], { dataOut: data });
  // Verify GOOD and the new data.
  t.deepEqual([r.status, backend.data[5 * 512]], [Status.GOOD, 0x77]);
});

test('COMPARE AND WRITE miscompare reports the offset and writes nothing', async (t) => {
  const { disk, backend } = await readyDisk();
  const data = Buffer.concat([Buffer.alloc(512, 0), Buffer.alloc(512, 0x77)]);
  data[33] = 1;
  const r = await run(disk, [0x89, 0, ...be64(5n), 0, 0, 0, 1, 0, 0], { dataOut: data });
  // Verify MISCOMPARE with INFORMATION 33.
  t.deepEqual([r.key, r.asc, r.info], [0x0e, 0x1d, 33n]);
  // Verify the block is unchanged.
  t.is(backend.data[5 * 512], 0);
});

test('COMPARE AND WRITE is atomic against a concurrent write of the same block', async (t) => {
  const { disk, backend } = await readyDisk();
  const slow = backend.read.bind(backend);
  backend.read = async (lba, n) => {
    const r = await slow(lba, n);
    await new Promise((res) => setTimeout(res, 20));
    return r;
  };
  const caw = run(disk, [0x89, 0, ...be64(9n), 0, 0, 0, 1, 0, 0], { dataOut: Buffer.concat([Buffer.alloc(512, 0), Buffer.alloc(512, 0x11)]) });
  const w = run(disk, [0x2a, 0, ...be32(9), 0, 0, 1, 0], { dataOut: Buffer.alloc(512, 0x22) });
  const [a, b] = await Promise.all([caw, w]);
  // Verify both succeed and the later WRITE wins (it waited for the COMPARE AND WRITE).
  t.deepEqual([a.status, b.status, backend.data[9 * 512]], [Status.GOOD, Status.GOOD, 0x22]);
});

test('COMPARE AND WRITE with a wrong Data-Out size fails', async (t) => {
  const { disk } = await readyDisk();
  // Verify CHECK CONDITION with one block instead of two.
  t.is((await run(disk, [0x89, 0, ...be64(0n), 0, 0, 0, 1, 0, 0], { dataOut: Buffer.alloc(512) })).status, Status.CHECK_CONDITION);
});

test('PRE-FETCH answers CONDITION MET, or GOOD with IMMED', async (t) => {
  const { disk } = await readyDisk();
  // Verify CONDITION MET.
  t.is((await run(disk, [0x34, 0, ...be32(0), 0, 0, 8, 0])).status, Status.CONDITION_MET);
  // Verify GOOD with IMMED=1.
  t.is((await run(disk, [0x90, 0x02, ...be64(0n), ...be32(8), 0, 0])).status, Status.GOOD);
});

test('SYNCHRONIZE CACHE flushes the backend', async (t) => {
  const { disk, backend } = await readyDisk();
  const before = backend.flushes;
  await run(disk, [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // Verify one flush.
  t.is(backend.flushes, before + 1);
});

test('ORWRITE(16) ORs the Data-Out into the stored blocks', async (t) => {
  const { disk, backend } = await readyDisk();
  backend.data[0] = 0x0f;
  await run(disk, [0x8b, 0, ...be64(0n), ...be32(1), 0, 0], { dataOut: Buffer.alloc(512, 0xf0) });
  // Verify 0Fh | F0h = FFh.
  t.is(backend.data[0], 0xff);
});
