import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import type { Disk } from '../../../scsi/sbc/disk.ts';
import { be32, be64, nexus, readyDisk, run } from './fixture.ts';

const prout = (disk: Disk, n: number, sa: number, type: number, key: bigint, saKey: bigint) =>
  run(disk, [0x5f, sa, type, 0, 0, ...be32(24), 0], { nexus: nexus(n), dataOut: Buffer.from([...be64(key), ...be64(saKey), ...new Array<number>(8).fill(0)]) });
const prin = (disk: Disk, n: number, sa: number) => run(disk, [0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0, 0], { nexus: nexus(n) });
const read10 = (disk: Disk, n: number) => run(disk, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], { nexus: nexus(n) });
const write10 = (disk: Disk, n: number) => run(disk, [0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0], { nexus: nexus(n), dataOut: Buffer.alloc(512) });

async function twoRegistered(): Promise<Disk> {
  const { disk } = await readyDisk({}, [1, 2]);
  await prout(disk, 1, 6, 0, 0n, 0xaan);
  await prout(disk, 2, 6, 0, 0n, 0xbbn);
  return disk;
}

test('READ KEYS lists every registration and PRgeneration counts them', async (t) => {
  const disk = await twoRegistered();
  const d = (await prin(disk, 1, 0)).dataIn ?? Buffer.alloc(0);
  // Verify PRgeneration 2 and two keys.
  t.deepEqual([d.readUInt32BE(0), d.readUInt32BE(4)], [2, 16]);
  t.deepEqual([d.readBigUInt64BE(8), d.readBigUInt64BE(16)], [0xaan, 0xbbn]);
});

test('READ KEYS keeps ADDITIONAL LENGTH when truncated', async (t) => {
  const disk = await twoRegistered();
  const r = await run(disk, [0x5e, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
  // Verify 8 bytes with ADDITIONAL LENGTH 16.
  t.deepEqual([r.dataIn?.length, r.dataIn?.readUInt32BE(4)], [8, 16]);
});

test('REGISTER with a wrong reservation key conflicts', async (t) => {
  const disk = await twoRegistered();
  // Verify RESERVATION CONFLICT.
  t.is((await prout(disk, 1, 0, 0, 0x1n, 0x2n)).status, Status.RESERVATION_CONFLICT);
});

test('PRIN service actions 4 to 1Fh are invalid', async (t) => {
  const { disk } = await readyDisk();
  // Verify 5/24/00 for service action 4.
  t.is((await prin(disk, 1, 4)).asc, 0x24);
});

test('Write Exclusive: others may read but not write', async (t) => {
  const disk = await twoRegistered();
  t.is((await prout(disk, 1, 1, 1, 0xaan, 0n)).status, Status.GOOD);
  // Verify that the other registrant can read.
  t.is((await read10(disk, 2)).status, Status.GOOD);
  // Verify that its write conflicts.
  t.is((await write10(disk, 2)).status, Status.RESERVATION_CONFLICT);
  // Verify that the holder can write.
  t.is((await write10(disk, 1)).status, Status.GOOD);
});

test('Exclusive Access: others may neither read nor write, but TUR and INQUIRY work', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 3, 0xaan, 0n);
  // Verify that the other nexus' read conflicts.
  t.is((await read10(disk, 2)).status, Status.RESERVATION_CONFLICT);
  // Verify that TEST UNIT READY is allowed.
  t.is((await run(disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(2) })).status, Status.GOOD);
});

test('Registrants Only: every registrant may write, an unregistered nexus may not', async (t) => {
  const { disk } = await readyDisk({}, [1, 2, 3]);
  await prout(disk, 1, 6, 0, 0n, 0xaan);
  await prout(disk, 2, 6, 0, 0n, 0xbbn);
  await prout(disk, 1, 1, 5, 0xaan, 0n);
  // Verify that registrant 2 can write.
  t.is((await write10(disk, 2)).status, Status.GOOD);
  // Verify that unregistered nexus 3 cannot.
  t.is((await write10(disk, 3)).status, Status.RESERVATION_CONFLICT);
});

test('READ RESERVATION reports key 0 for an all registrants type', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 8, 0xaan, 0n);
  const d = (await prin(disk, 2, 1)).dataIn ?? Buffer.alloc(0);
  // Verify ADDITIONAL LENGTH 16, key 0, type 8.
  t.deepEqual([d.readUInt32BE(4), d.readBigUInt64BE(8), d[21]], [16, 0n, 8]);
});

test('the holder unregistering releases a Registrants Only reservation and tells the others', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 6, 0xaan, 0n);
  await prout(disk, 1, 0, 0, 0xaan, 0n);
  const d = (await prin(disk, 1, 1)).dataIn ?? Buffer.alloc(0);
  // Verify that no reservation remains (and nexus 1 got no unit attention).
  t.is(d.readUInt32BE(4), 0);
  const r = await run(disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(2) });
  // Verify that nexus 2 sees RESERVATIONS RELEASED.
  t.deepEqual([r.asc, r.ascq], [0x2a, 0x04]);
});

test('an all registrants reservation survives its creator unregistering', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 7, 0xaan, 0n);
  await prout(disk, 1, 0, 0, 0xaan, 0n);
  const d = (await prin(disk, 2, 1)).dataIn ?? Buffer.alloc(0);
  // Verify that the reservation is still there.
  t.is(d.readUInt32BE(4), 16);
  // Verify that the remaining registrant can release it.
  t.is((await prout(disk, 2, 2, 7, 0xbbn, 0n)).status, Status.GOOD);
});

test('RELEASE with the wrong type is INVALID RELEASE OF PERSISTENT RESERVATION', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 1, 0xaan, 0n);
  const r = await prout(disk, 1, 2, 3, 0xaan, 0n);
  // Verify 5/26/04.
  t.deepEqual([r.key, r.asc, r.ascq], [5, 0x26, 0x04]);
});

test('PREEMPT takes the reservation and removes the preempted registration', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 3, 0xaan, 0n);
  t.is((await prout(disk, 2, 4, 3, 0xbbn, 0xaan)).status, Status.GOOD);
  const keys = (await prin(disk, 2, 0)).dataIn ?? Buffer.alloc(0);
  // Verify that only key BBh remains.
  t.deepEqual([keys.readUInt32BE(4), keys.readBigUInt64BE(8)], [8, 0xbbn]);
  const r = await read10(disk, 1);
  // Verify that nexus 1 is told REGISTRATIONS PREEMPTED.
  t.deepEqual([r.asc, r.ascq], [0x2a, 0x05]);
});

test('CLEAR removes everything and tells the other registrants', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 1, 0xaan, 0n);
  t.is((await prout(disk, 1, 3, 0, 0xaan, 0n)).status, Status.GOOD);
  const keys = (await prin(disk, 1, 0)).dataIn ?? Buffer.alloc(0);
  // Verify no keys.
  t.is(keys.readUInt32BE(4), 0);
  // Verify RESERVATIONS PREEMPTED for nexus 2.
  t.is((await run(disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(2) })).ascq, 0x03);
});

test('REPORT CAPABILITIES: length 8, TMV and all six types', async (t) => {
  const { disk } = await readyDisk();
  const d = (await prin(disk, 1, 2)).dataIn ?? Buffer.alloc(0);
  // Verify LENGTH 8, TMV, and the type mask EAh 01h.
  t.deepEqual([d.readUInt16BE(0), (d[3] ?? 0) & 0x80, d[4], d[5]], [8, 0x80, 0xea, 0x01]);
});

test('READ FULL STATUS carries the holder flag and an iSCSI TransportID', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 1, 0xaan, 0n);
  const d = (await prin(disk, 1, 3)).dataIn ?? Buffer.alloc(0);
  // Verify R_HOLDER and type on the first descriptor.
  t.deepEqual([d[20], d[21]], [1, 1]);
  const tid = d.subarray(32, 32 + d.readUInt32BE(28));
  // Verify the TransportID format and name.
  t.is(tid[0], 0x45);
  t.true(tid.toString('utf8').includes('iqn.2026-01.test:init1,i,0x000000000001'));
});

test('REGISTER AND MOVE hands the reservation to another I_T nexus', async (t) => {
  const disk = await twoRegistered();
  await prout(disk, 1, 1, 1, 0xaan, 0n);
  const name = Buffer.alloc(48);
  name.write('iqn.2026-01.test:init2,i,0x000000000002');
  const tid = Buffer.concat([Buffer.from([0x45, 0, 0, 48]), name]);
  const list = Buffer.concat([Buffer.from([...be64(0xaan), ...be64(0xccn), 0, 0, 0, 0, ...be32(tid.length)]), tid]);
  const r = await run(disk, [0x5f, 7, 1, 0, 0, ...be32(list.length), 0], { dataOut: list });
  t.is(r.status, Status.GOOD);
  // Verify that nexus 2 now holds it and may write.
  t.is((await write10(disk, 2)).status, Status.GOOD);
  // Verify that nexus 1 no longer may.
  t.is((await write10(disk, 1)).status, Status.RESERVATION_CONFLICT);
});

test('RESERVE(6) conflicts while persistent registrations exist', async (t) => {
  const disk = await twoRegistered();
  // Verify RESERVATION CONFLICT.
  t.is((await run(disk, [0x16, 0, 0, 0, 0, 0])).status, Status.RESERVATION_CONFLICT);
});

test('RELEASE(6) from a non-holder is GOOD and leaves the reservation', async (t) => {
  const { disk } = await readyDisk({}, [1, 2]);
  await run(disk, [0x16, 0, 0, 0, 0, 0]);
  // Verify that the other nexus' RELEASE(6) is GOOD.
  t.is((await run(disk, [0x17, 0, 0, 0, 0, 0], { nexus: nexus(2) })).status, Status.GOOD);
  // Verify that it still conflicts on a read.
  t.is((await read10(disk, 2)).status, Status.RESERVATION_CONFLICT);
});
