import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { be16, be32, be64, readyDisk, run } from '../spc/fixture.ts';

test('WRITE(10) then READ(10) returns the data', async (t) => {
  const { disk } = await readyDisk();
  const data = Buffer.alloc(1024, 0x5a);
  // Verify the write succeeds and reports its transfer length.
  t.deepEqual(await run(disk, [0x2a, 0, ...be32(10), 0, ...be16(2), 0], { dataOut: data }), { status: Status.GOOD, dataOutUsed: 1024 });
  const r = await run(disk, [0x28, 0, ...be32(10), 0, ...be16(2), 0]);
  // Verify the data read back.
  t.true(r.dataIn?.equals(data));
});

test('READ(6) with TRANSFER LENGTH 0 reads 256 blocks', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x08, 0, 0, 0, 0, 0]);
  // Verify 256 x 512 bytes.
  t.is(r.dataIn?.length, 256 * 512);
});

test('READ(16) and WRITE(16) beyond the end are LBA OUT OF RANGE', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x88, 0, ...be64(2047n), ...be32(2), 0, 0]);
  // Verify 5/21/00.
  t.deepEqual([r.key, r.asc], [5, 0x21]);
  const w = await run(disk, [0x8a, 0, ...be64(0xffffffffffffffffn), ...be32(1), 0, 0], { dataOut: Buffer.alloc(512) });
  // Verify that an LBA that would wrap is out of range too.
  t.is(w.asc, 0x21);
});

test('a zero-length transfer at the capacity is GOOD, one past it is out of range', async (t) => {
  const { disk } = await readyDisk();
  // Verify LBA = capacity with 0 blocks.
  t.is((await run(disk, [0x28, 0, ...be32(2048), 0, 0, 0, 0])).status, Status.GOOD);
  // Verify LBA = capacity + 1 with 0 blocks.
  t.is((await run(disk, [0x28, 0, ...be32(2049), 0, 0, 0, 0])).asc, 0x21);
});

test('RDPROTECT and WRPROTECT are invalid fields (no protection information)', async (t) => {
  const { disk } = await readyDisk();
  // Verify READ(10) with RDPROTECT=1.
  t.is((await run(disk, [0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0])).asc, 0x24);
  // Verify WRITE(12) with WRPROTECT=1.
  t.is((await run(disk, [0xaa, 0x20, 0, 0, 0, 0, ...be32(1), 0, 0], { dataOut: Buffer.alloc(512) })).asc, 0x24);
});

test('FUA makes the write durable before GOOD', async (t) => {
  const { disk, backend } = await readyDisk();
  const before = backend.flushes;
  await run(disk, [0x2a, 0x08, 0, 0, 0, 0, 0, 0, 1, 0], { dataOut: Buffer.alloc(512, 1) });
  // Verify that the backend was flushed once.
  t.is(backend.flushes, before + 1);
});

test('Data-Out shorter than the transfer length writes only what was sent', async (t) => {
  const { disk, backend } = await readyDisk();
  backend.data.fill(0x61, 0, 1024);
  const r = await run(disk, [0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0], { dataOut: Buffer.alloc(700, 0x62), expectedLength: 700 });
  // Verify GOOD with the CDB's transfer length reported for the overflow residual.
  t.deepEqual([r.status, r.dataOutUsed], [Status.GOOD, 1024]);
  // Verify that the first 700 bytes changed and the rest did not.
  t.true(backend.data.subarray(0, 700).every((x) => x === 0x62) && backend.data.subarray(700, 1024).every((x) => x === 0x61));
});

test('a read-only disk refuses writes with DATA PROTECT', async (t) => {
  const { disk } = await readyDisk({ readOnly: true });
  const r = await run(disk, [0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0], { dataOut: Buffer.alloc(512) });
  // Verify 7/27/00.
  t.deepEqual([r.key, r.asc], [7, 0x27]);
});

test('a transfer above MAXIMUM TRANSFER LENGTH is an invalid field', async (t) => {
  const { disk } = await readyDisk({ blocks: 200000 });
  const r = await run(disk, [0x88, 0, ...be64(0n), ...be32(disk.limits.maxTransfer + 1), 0, 0]);
  // Verify 5/24/00.
  t.is(r.asc, 0x24);
});
