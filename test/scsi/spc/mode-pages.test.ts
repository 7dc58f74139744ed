import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { nexus, readyDisk, run } from './fixture.ts';

const controlSelect = (byte2: number, byte4 = 0) =>
  Buffer.from([0, 0, 0, 0, 0x0a, 0x0a, byte2, 0x10, byte4, 0, 0, 0, 0xff, 0xff, 0, 0]);

test('MODE SENSE(6) 3Fh returns the header, block descriptor and every page', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x1a, 0, 0x3f, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify MODE DATA LENGTH counts everything after itself.
  t.is(d[0], d.length - 1);
  // Verify DPOFUA in the device-specific parameter and an 8-byte block descriptor.
  t.deepEqual([d[2], d[3]], [0x10, 8]);
  // Verify the block length in the descriptor.
  t.is(d.readUIntBE(9, 3), 512);
  const codes: number[] = [];
  for (let at = 12; at < d.length; at += 2 + (d[at + 1] ?? 0)) codes.push((d[at] ?? 0) & 0x3f);
  // Verify pages 01h, 08h, 0Ah and 1Ch in ascending order.
  t.deepEqual(codes, [0x01, 0x08, 0x0a, 0x1c]);
});

test('MODE SENSE(10) with LLBAA returns a 16-byte block descriptor', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x5a, 0x10, 0x0a, 0, 0, 0, 0, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify LONGLBA and BLOCK DESCRIPTOR LENGTH 16.
  t.deepEqual([d[4], d.readUInt16BE(6)], [1, 16]);
  // Verify the number of blocks in the long descriptor.
  t.is(d.readBigUInt64BE(8), 2048n);
});

test('saved values are not supported', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x1a, 0, 0xca, 0, 255, 0]);
  // Verify ILLEGAL REQUEST / SAVING PARAMETERS NOT SUPPORTED.
  t.deepEqual([r.key, r.asc], [5, 0x39]);
});

test('an unsupported page is an invalid field in the CDB', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x1a, 0, 0x19, 0, 255, 0]);
  // Verify 5/24/00.
  t.deepEqual([r.key, r.asc], [5, 0x24]);
});

test('the changeable values of the control page show D_SENSE and SWP', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x1a, 0x08, 0x4a, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify byte 2 (D_SENSE) and byte 4 (SWP) of the page.
  t.deepEqual([d[6], d[8]], [0x04, 0x08]);
});

test('MODE SELECT of a non-changeable field is INVALID FIELD IN PARAMETER LIST', async (t) => {
  const { disk } = await readyDisk();
  const page = controlSelect(0x00);
  page[7] = 0x12; // QERR
  const r = await run(disk, [0x15, 0x10, 0, 0, page.length, 0], { dataOut: page });
  // Verify 5/26/00.
  t.deepEqual([r.key, r.asc], [5, 0x26]);
});

test('MODE SELECT with SP=1 is an invalid field', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x15, 0x11, 0, 0, 16, 0], { dataOut: controlSelect(0) });
  // Verify 5/24/00.
  t.is(r.asc, 0x24);
});

test('a MODE SELECT change raises MODE PARAMETERS CHANGED for the other nexus only', async (t) => {
  const { disk } = await readyDisk({}, [1, 2]);
  const r = await run(disk, [0x15, 0x10, 0, 0, 16, 0], { dataOut: controlSelect(0x04) });
  t.is(r.status, Status.GOOD);
  // Verify that nexus 1 sees nothing pending.
  t.is((await run(disk, [0, 0, 0, 0, 0, 0])).status, Status.GOOD);
  const other = await run(disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(2) });
  // Verify that nexus 2 sees 2A/01.
  t.deepEqual([other.key, other.asc, other.ascq], [6, 0x2a, 0x01]);
});

test('SWP makes the disk write protected', async (t) => {
  const { disk } = await readyDisk();
  await run(disk, [0x15, 0x10, 0, 0, 16, 0], { dataOut: controlSelect(0, 0x08) });
  const w = await run(disk, [0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0], { dataOut: Buffer.alloc(512) });
  // Verify DATA PROTECT / WRITE PROTECTED.
  t.deepEqual([w.key, w.asc], [7, 0x27]);
  const ms = (await run(disk, [0x1a, 0, 0x3f, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify WP in the mode header.
  t.is((ms[2] ?? 0) & 0x80, 0x80);
});

test('LOG SENSE page 00h lists the supported pages', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x4d, 0, 0, 0, 0, 0, 0, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify a page 00h header with one entry, 00h.
  t.deepEqual([...d], [0, 0, 0, 1, 0]);
  const bad = await run(disk, [0x4d, 0, 0x33, 0, 0, 0, 0, 0, 255, 0]);
  // Verify that an unsupported log page is 5/24/00.
  t.is(bad.asc, 0x24);
});
