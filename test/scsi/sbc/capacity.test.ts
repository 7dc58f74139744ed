import test from 'ava';
import { be32, be64, readyDisk, run } from '../spc/fixture.ts';

test('READ CAPACITY(10) returns the last LBA and block length', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0])).dataIn ?? Buffer.alloc(0);
  // Verify 2047 and 512.
  t.deepEqual([d.readUInt32BE(0), d.readUInt32BE(4)], [2047, 512]);
});

test('READ CAPACITY(16) sets LBPME and LBPRZ on a thin disk', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x9e, 0x10, ...be64(0n), ...be32(32), 0, 0])).dataIn ?? Buffer.alloc(0);
  // Verify the last LBA, and byte 14 = C0h.
  t.deepEqual([d.readBigUInt64BE(0), d[14]], [2047n, 0xc0]);
});

test('READ CAPACITY(16) honours small allocation lengths', async (t) => {
  const { disk } = await readyDisk();
  // Verify that 0 bytes are returned for allocation length 0.
  t.is((await run(disk, [0x9e, 0x10, ...be64(0n), ...be32(0), 0, 0])).dataIn?.length, 0);
});

test('GET LBA STATUS follows writes and unmaps', async (t) => {
  const { disk } = await readyDisk();
  await run(disk, [0x2a, 0, ...be32(0), 0, 0, 8, 0], { dataOut: Buffer.alloc(8 * 512, 1) });
  const unmap = Buffer.from([0, 22, 0, 16, 0, 0, 0, 0, ...be64(2n), ...be32(3), 0, 0, 0, 0]);
  await run(disk, [0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], { dataOut: unmap });
  const d = (await run(disk, [0x9e, 0x12, ...be64(0n), ...be32(8 + 3 * 16), 0, 0])).dataIn ?? Buffer.alloc(0);
  const desc = (i: number) => [d.readBigUInt64BE(8 + 16 * i), d.readUInt32BE(16 + 16 * i), d[20 + 16 * i]];
  // Verify mapped 0-1, deallocated 2-4, mapped 5-7.
  t.deepEqual([desc(0), desc(1), desc(2)], [[0n, 2, 0], [2n, 3, 1], [5n, 3, 0]]);
});

test('GET LBA STATUS past the last LBA is LBA OUT OF RANGE', async (t) => {
  const { disk } = await readyDisk();
  // Verify 5/21/00 at LBA = capacity.
  t.is((await run(disk, [0x9e, 0x12, ...be64(2048n), ...be32(24), 0, 0])).asc, 0x21);
});
