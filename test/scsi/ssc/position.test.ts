// LOCATE(10)/(16), READ POSITION (short, long, extended) and REWIND (SSC-4).
import test from 'ava';
import { cdb, loadedDrive, position, run, writeScript } from './harness.ts';

const ILLEGAL_REQUEST = 0x5, BLANK_CHECK = 0x8;

async function tape() {
  const f = await loadedDrive();
  await writeScript(f.drive, [100, 100, 'F', 100, 100, 'F', 100]);
  await run(f.drive, cdb.rewind());
  return f;
}

test('read position short form at BOP: BOP set, LOLU clear, block 0 (not the zeros tgt returns)', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.readPosition(0));
  t.is(r.status, 0);
  t.log('20 bytes, BOP bit set, LOLU (byte 0 bit 2) clear');
  t.is(r.data.length, 20);
  t.is((r.data[0] ?? 0) & 0x80, 0x80);
  t.is((r.data[0] ?? 0) & 0x04, 0);
  t.is(r.data.readUInt32BE(4), 0);
});

test('read position with the old BT bit (service action 01h, what Linux st sends) reports the same numbers', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(1, 1));
  const r = await run(drive, cdb.readPosition(1));
  t.log('after one filemark, first and last block are both 3 and BOP is clear');
  t.is(r.status, 0);
  t.is(r.data.readUInt32BE(4), 3);
  t.is(r.data.readUInt32BE(8), 3);
  t.is((r.data[0] ?? 0) & 0x80, 0);
});

test('read position long form reports the logical object and the file number', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(1, 1));
  await run(drive, cdb.space6(0, 1));
  const r = await run(drive, cdb.readPosition(6));
  t.is(r.data.length, 32);
  t.log('logical object number 4');
  t.is(r.data.readBigUInt64BE(8), 4n);
  t.log('logical file identifier 1 (one filemark before the position)');
  t.is(r.data.readBigUInt64BE(16), 1n);
  t.log('no MPU/LONU flags');
  t.is((r.data[0] ?? 0) & 0x0c, 0);
});

test('read position extended form: 32 bytes, additional length 1Ch, cut at the allocation length', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(0, 2));
  const r = await run(drive, cdb.readPosition(8, 32));
  t.log('32 bytes, additional length 1Ch, first and last object 2; 16 when the allocation is 16');
  t.is(r.data.length, 32);
  t.is(r.data.readUInt16BE(2), 0x1c);
  t.is(r.data.readBigUInt64BE(8), 2n);
  t.is(r.data.readBigUInt64BE(16), 2n);
  const cut = await run(drive, cdb.readPosition(8, 16));
  t.is(cut.data.length, 16);
});

test('read position with an unknown service action is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.readPosition(3));
  t.log('service action 03h is not a READ POSITION form');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('locate(10) moves to the logical object', async (t) => {
  const { drive } = await tape();
  t.log('the position is object 4 and a READ there succeeds');
  t.is((await run(drive, cdb.locate10(4))).status, 0);
  t.is((await position(drive)).first, 4);
  const r = await run(drive, cdb.read6(100));
  t.is(r.status, 0);
});

test('locate(10) with BT=1 (st seek) uses the same block numbers', async (t) => {
  const { drive } = await tape();
  t.log('object 3 is reached whatever BT says');
  t.is((await run(drive, cdb.locate10(3, { bt: true }))).status, 0);
  t.is((await position(drive)).first, 3);
});

test('locate(10) to EOD exactly is GOOD', async (t) => {
  const { drive } = await tape();
  t.log('object 7 is EOD: GOOD, positioned there');
  t.is((await run(drive, cdb.locate10(7))).status, 0);
  t.is((await position(drive)).first, 7);
});

test('locate(10) past EOD: BLANK CHECK 00/05, positioned at EOD', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.locate10(100));
  t.log('BLANK CHECK, END-OF-DATA DETECTED, and the position is EOD (7)');
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 5);
  t.is((await position(drive)).first, 7);
});

test('locate(10) to another partition with CP is INVALID FIELD IN CDB (one partition)', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.locate10(0, { cp: true, partition: 1 }));
  t.log('ILLEGAL REQUEST 24/00: only partition 0 exists');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('locate(16) by logical file identifier goes to the start of that file', async (t) => {
  const { drive } = await tape();
  t.log('file 2 starts at object 6; file 5 does not exist: BLANK CHECK');
  t.is((await run(drive, cdb.locate16(2n, 1))).status, 0);
  t.is((await position(drive)).first, 6);
  t.is((await run(drive, cdb.locate16(5n, 1))).sense?.key, BLANK_CHECK);
});

test('locate(16) to EOD (dest type 3) and by object', async (t) => {
  const { drive } = await tape();
  t.log('dest type 3 goes to EOD (7); dest type 0 to object 1');
  t.is((await run(drive, cdb.locate16(0n, 3))).status, 0);
  t.is((await position(drive)).first, 7);
  t.is((await run(drive, cdb.locate16(1n, 0))).status, 0);
  t.is((await position(drive)).first, 1);
});

test('rewind returns to BOP and is a sync point', async (t) => {
  const { drive, medium } = await tape();
  await run(drive, cdb.space6(3, 0));
  await writeScript(drive, [10]);
  const before = medium.flushes;
  t.log('REWIND after a write flushes once and leaves BOP, block 0');
  t.is((await run(drive, cdb.rewind())).status, 0);
  t.is(medium.flushes, before + 1);
  const p = await position(drive);
  t.true(p.bop);
  t.is(p.first, 0);
});

test('read position reports EOP once the data reaches early warning', async (t) => {
  const { drive } = await loadedDrive({ capacityBytes: 1000, earlyWarningBytes: 200 });
  await run(drive, cdb.write6(900), { dataOut: Buffer.alloc(900) });
  const p = await position(drive);
  t.log('900 of 1000 bytes with early warning at 800: EOP set');
  t.true(p.eop);
});
