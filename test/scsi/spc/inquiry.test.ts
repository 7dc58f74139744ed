import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { readyDisk, run } from './fixture.ts';

test('standard INQUIRY data describes an SPC-4 disk with version descriptors', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x12, 0, 0, 0, 96, 0]);
  const d = r.dataIn ?? Buffer.alloc(0);
  // Verify that 96 bytes come back with ADDITIONAL LENGTH 91.
  t.deepEqual([d.length, d[4]], [96, 91]);
  // Verify that the peripheral type is 0 and VERSION is 06h (SPC-4).
  t.deepEqual([d[0], d[2]], [0, 6]);
  // Verify the vendor and product identification fields.
  t.is(d.subarray(8, 32).toString('ascii'), 'S3VTL   TEST DISK       ');
  // Verify that the SBC-3 version descriptor is present.
  t.true([0, 1, 2, 3, 4, 5, 6, 7].some((i) => d.readUInt16BE(58 + 2 * i) === 0x04c0));
});

test('INQUIRY data is cut to the allocation length', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x12, 0, 0, 0, 5, 0]);
  // Verify that exactly five bytes are returned.
  t.is(r.dataIn?.length, 5);
});

test('a page code without EVPD is an invalid field', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x12, 0, 0x80, 0, 255, 0]);
  // Verify 5/24/00.
  t.deepEqual([r.key, r.asc], [5, 0x24]);
});

test('VPD 00h lists the supported pages in ascending order', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x12, 1, 0, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify the list: 00, 80, 83, 86, B0, B1, B2.
  t.deepEqual([...d.subarray(4)], [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2]);
});

test('VPD 83h carries NAA, T10 vendor ID, relative port and port group designators', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x12, 1, 0x83, 0x01, 0, 0])).dataIn ?? Buffer.alloc(0);
  const types: number[] = [];
  for (let at = 4; at + 4 <= d.length; at += 4 + (d[at + 3] ?? 0)) types.push((d[at + 1] ?? 0) & 0x3f);
  // Verify that designator types 3 (NAA), 1 (T10), 4 (relative port), 5 (TPG) and 8 (name) appear.
  t.deepEqual(types, [3, 1, 0x14, 0x15, 0x18, 0x28]);
  // Verify that the NAA designator is locally assigned (NAA 3h) without an OUI.
  t.is((d[8] ?? 0) >> 4, 3);
});

test('VPD B2h claims LBPU, LBPWS, LBPWS10 and LBPRZ on a thin disk', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x12, 1, 0xb2, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify byte 5: E4h.
  t.is(d[5], 0xe4);
});

test('a thick disk has no VPD B2h', async (t) => {
  const { disk } = await readyDisk({ thick: true });
  const r = await run(disk, [0x12, 1, 0xb2, 0, 255, 0]);
  // Verify 5/24/00 for the unsupported page.
  t.deepEqual([r.status, r.asc], [Status.CHECK_CONDITION, 0x24]);
});

test('VPD B1h reports a non-rotating medium', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0x12, 1, 0xb1, 0, 255, 0])).dataIn ?? Buffer.alloc(0);
  // Verify MEDIUM ROTATION RATE = 1.
  t.is(d.readUInt16BE(4), 1);
});
