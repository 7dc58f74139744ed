import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { be16, be32, be64, readyDisk, run } from '../spc/fixture.ts';

test('WRITE SAME(10) repeats the block', async (t) => {
  const { disk, backend } = await readyDisk();
  const r = await run(disk, [0x41, 0, ...be32(4), 0, ...be16(3), 0], { dataOut: Buffer.alloc(512, 7) });
  t.is(r.status, Status.GOOD);
  // Verify blocks 4-6 hold the pattern and block 7 does not.
  t.true(backend.data.subarray(4 * 512, 7 * 512).every((x) => x === 7) && backend.data[7 * 512] === 0);
});

test('WRITE SAME(16) with UNMAP deallocates and reads back zeros', async (t) => {
  const { disk, backend } = await readyDisk();
  backend.data.fill(0xff, 0, 4 * 512);
  await backend.write(0n, Buffer.alloc(4 * 512, 0xff));
  await run(disk, [0x93, 0x08, ...be64(0n), ...be32(4), 0, 0], { dataOut: Buffer.alloc(512, 0xff) });
  // Verify the blocks are deallocated and zero.
  t.true(backend.unmapped.has(3n) && backend.data.subarray(0, 2048).every((x) => x === 0));
});

test('NUMBER OF LOGICAL BLOCKS 0 means to the end of the disk', async (t) => {
  const { disk, backend } = await readyDisk();
  await run(disk, [0x93, 0, ...be64(2040n), ...be32(0), 0, 0], { dataOut: Buffer.alloc(512, 9) });
  // Verify the last block was written.
  t.is(backend.data[2047 * 512], 9);
});

test('ANCHOR is not supported', async (t) => {
  const { disk } = await readyDisk();
  // Verify 5/24/00 for ANCHOR=1.
  t.is((await run(disk, [0x93, 0x10, ...be64(0n), ...be32(1), 0, 0], { dataOut: Buffer.alloc(512) })).asc, 0x24);
});

test('WRITE SAME longer than MAXIMUM WRITE SAME LENGTH is an invalid field', async (t) => {
  const { disk } = await readyDisk({ blocks: 100000 });
  // Verify 5/24/00 for a whole-disk WRITE SAME.
  t.is((await run(disk, [0x93, 0, ...be64(0n), ...be32(0), 0, 0], { dataOut: Buffer.alloc(512) })).asc, 0x24);
});

test('WRITE SAME with a Data-Out that is not one block fails', async (t) => {
  const { disk } = await readyDisk();
  // Verify CHECK CONDITION for two blocks of Data-Out.
  t.is((await run(disk, [0x41, 0, ...be32(0), 0, 0, 1, 0], { dataOut: Buffer.alloc(1024) })).status, Status.CHECK_CONDITION);
});

test('UNMAP: a parameter list of 1-7 bytes is a PARAMETER LIST LENGTH ERROR', async (t) => {
  const { disk } = await readyDisk();
  // Verify 5/1A/00.
  t.is((await run(disk, [0x42, 0, 0, 0, 0, 0, 0, 0, 4, 0], { dataOut: Buffer.alloc(4) })).asc, 0x1a);
});

test('UNMAP: zero blocks at the capacity is GOOD, past it is out of range', async (t) => {
  const { disk } = await readyDisk();
  const list = (lba: bigint, n: number) => Buffer.from([0, 22, 0, 16, 0, 0, 0, 0, ...be64(lba), ...be32(n), 0, 0, 0, 0]);
  // Verify GOOD for LBA 2048, 0 blocks.
  t.is((await run(disk, [0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], { dataOut: list(2048n, 0) })).status, Status.GOOD);
  // Verify 5/21/00 for LBA 2047, 2 blocks.
  t.is((await run(disk, [0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], { dataOut: list(2047n, 2) })).asc, 0x21);
});

test('a thick disk does not support UNMAP', async (t) => {
  const { disk } = await readyDisk({ thick: true });
  // Verify INVALID COMMAND OPERATION CODE.
  t.is((await run(disk, [0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0])).asc, 0x20);
});
