// READ(6) conformance (SSC-4 7.x): variable and fixed mode, ILI, SILI,
// filemarks, end of data and integrity errors, with READ POSITION after each.
import test from 'ava';
import { block, cdb, loadedDrive, position, run, writeScript } from './harness.ts';

const NO_SENSE = 0x0, MEDIUM_ERROR = 0x3, ILLEGAL_REQUEST = 0x5, BLANK_CHECK = 0x8;

async function setBlockLength(drive: Parameters<typeof run>[0], length: number): Promise<void> {
  const list = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
  const r = await run(drive, cdb.modeSelect6(list.length), { dataOut: list });
  if (r.status !== 0) throw new Error(`MODE SELECT failed ${JSON.stringify(r.sense)}`);
}

test('read6 variable: a block of exactly the requested length is returned with GOOD', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [1000]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(1000));
  t.log('the read completes with GOOD and the block data');
  t.is(r.status, 0);
  t.deepEqual(r.data, block(1000, 0));
  t.log('the position is after the block');
  t.is((await position(drive)).first, 1);
});

test('read6 variable underlength: ILI, NO SENSE, INFORMATION = requested - actual, short data, positioned after the block', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 100]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(300));
  t.log('CHECK CONDITION with NO SENSE 00/00 and ILI');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 0);
  t.true(r.sense?.ili);
  t.false(r.sense?.filemark);
  t.log('VALID with INFORMATION = 300 - 100');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 200);
  t.log('the 100 bytes of the block are transferred');
  t.deepEqual(r.data, block(100, 0));
  t.log('the position is after the short block, not before it');
  t.is((await position(drive)).first, 1);
});

test('read6 variable overlength: ILI with a negative INFORMATION, the requested bytes transferred, positioned after the block', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [300, 100]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(100));
  t.log('CHECK CONDITION, NO SENSE, ILI');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.ili);
  t.log('INFORMATION = 100 - 300 = -200 (two\'s complement)');
  t.is(r.sense?.info, -200);
  t.log('the first 100 bytes of the block are transferred');
  t.deepEqual(r.data, block(300, 0).subarray(0, 100));
  t.log('the next read starts with the next block');
  t.is((await position(drive)).first, 1);
  const next = await run(drive, cdb.read6(100));
  t.deepEqual(next.data, block(100, 1));
});

test('read6 SILI variable: an underlength block is returned with GOOD', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(300, { sili: true }));
  t.log('GOOD: SILI suppresses the incorrect length report');
  t.is(r.status, 0);
  t.is(r.data.length, 100);
  t.is((await position(drive)).first, 1);
});

test('read6 SILI variable with block length 0: an overlength block is truncated with GOOD', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [300]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(100, { sili: true }));
  t.log('GOOD with the first 100 bytes (SSC-4: overlength with BLOCK LENGTH 0 is not reported under SILI)');
  t.is(r.status, 0);
  t.deepEqual(r.data, block(300, 0).subarray(0, 100));
});

test('read6 with FIXED and SILI both set is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  await setBlockLength(drive, 512);
  const r = await run(drive, cdb.read6(1, { fixed: true, sili: true }));
  t.log('ILLEGAL REQUEST 24/00 pointing at byte 1');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
  t.true(r.sense?.sksv);
  t.is(r.sense?.fieldPointer, 1);
});

test('read6 variable hits a filemark: FM, NO SENSE 00/01, INFORMATION = requested length, positioned after the filemark', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 'F', 200]);
  await run(drive, cdb.rewind());
  await run(drive, cdb.read6(100));
  const r = await run(drive, cdb.read6(4096));
  t.log('CHECK CONDITION, NO SENSE, FILEMARK DETECTED with the FM bit');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 1);
  t.true(r.sense?.filemark);
  t.false(r.sense?.ili);
  t.log('INFORMATION is the whole request (nothing transferred)');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 4096);
  t.is(r.data.length, 0);
  t.log('the position is after the filemark: the next read returns the next file\'s block');
  t.is((await position(drive)).first, 2);
  const next = await run(drive, cdb.read6(200));
  t.is(next.status, 0);
  t.deepEqual(next.data, block(200, 1));
});

test('read6 at end of data: BLANK CHECK 00/05 with INFORMATION = requested length, position unchanged', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100]);
  const r = await run(drive, cdb.read6(512));
  t.log('BLANK CHECK, END-OF-DATA DETECTED');
  t.is(r.status, 2);
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 5);
  t.log('VALID and INFORMATION = 512; no EOM (not the physical end)');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 512);
  t.false(r.sense?.eom);
  t.log('the position stays at EOD');
  t.is((await position(drive)).first, 1);
});

test('read6 on a blank tape: BLANK CHECK at BOP', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.read6(512));
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.ascq, 5);
  const p = await position(drive);
  t.log('READ POSITION still says BOP, block 0');
  t.true(p.bop);
  t.is(p.first, 0);
});

test('read6 fixed: whole blocks of the mode block length are returned', async (t) => {
  const { drive } = await loadedDrive();
  await setBlockLength(drive, 512);
  const data = Buffer.concat([block(512, 1), block(512, 2), block(512, 3)]);
  t.is((await run(drive, cdb.write6(3, { fixed: true }), { dataOut: data })).status, 0);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(3, { fixed: true }));
  t.log('GOOD with 3 x 512 bytes');
  t.is(r.status, 0);
  t.deepEqual(r.data, data);
  t.is((await position(drive)).first, 3);
});

test('read6 fixed with block length 0 in the mode is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.read6(1, { fixed: true }));
  t.log('ILLEGAL REQUEST 24/00: no fixed block length is set');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('read6 fixed hits a filemark: FM with INFORMATION = blocks not read, the blocks before it transferred', async (t) => {
  const { drive } = await loadedDrive();
  await setBlockLength(drive, 512);
  await run(drive, cdb.write6(2, { fixed: true }), { dataOut: Buffer.concat([block(512, 1), block(512, 2)]) });
  await run(drive, cdb.writeFilemarks6(1));
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(5, { fixed: true }));
  t.log('NO SENSE, FM, 00/01');
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.filemark);
  t.is(r.sense?.ascq, 1);
  t.log('INFORMATION = 5 - 2');
  t.is(r.sense?.info, 3);
  t.log('the two blocks are transferred');
  t.deepEqual(r.data, Buffer.concat([block(512, 1), block(512, 2)]));
  t.log('positioned after the filemark');
  t.is((await position(drive)).first, 3);
});

test('read6 fixed meets a block of another length: ILI, INFORMATION excludes that block, positioned after it', async (t) => {
  const { drive } = await loadedDrive();
  await setBlockLength(drive, 512);
  await run(drive, cdb.write6(1, { fixed: true }), { dataOut: block(512, 1) });
  await run(drive, cdb.write6(100), { dataOut: block(100, 2) });
  await run(drive, cdb.write6(1, { fixed: true }), { dataOut: block(512, 3) });
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(3, { fixed: true }));
  t.log('NO SENSE with ILI');
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.ili);
  t.log('INFORMATION = requested (3) minus blocks read (1)');
  t.is(r.sense?.info, 2);
  t.deepEqual(r.data, block(512, 1));
  t.log('positioned after the incorrect-length block');
  t.is((await position(drive)).first, 2);
});

test('read6 fixed reaches end of data: BLANK CHECK with INFORMATION = blocks not read', async (t) => {
  const { drive } = await loadedDrive();
  await setBlockLength(drive, 512);
  await run(drive, cdb.write6(2, { fixed: true }), { dataOut: Buffer.concat([block(512, 1), block(512, 2)]) });
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(4, { fixed: true }));
  t.log('BLANK CHECK 00/05, INFORMATION 2, the two blocks transferred, at EOD');
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.ascq, 5);
  t.is(r.sense?.info, 2);
  t.is(r.data.length, 1024);
  t.is((await position(drive)).first, 2);
});

test('read6 of a record whose CRC fails: MEDIUM ERROR 11/00 with INFORMATION', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100, 100]);
  medium.corrupt.add(1);
  await run(drive, cdb.rewind());
  t.is((await run(drive, cdb.read6(100))).status, 0);
  const r = await run(drive, cdb.read6(100));
  t.log('MEDIUM ERROR, UNRECOVERED READ ERROR');
  t.is(r.sense?.key, MEDIUM_ERROR);
  t.is(r.sense?.asc, 0x11);
  t.is(r.sense?.ascq, 0);
  t.log('INFORMATION carries the residue');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 100);
});

test('read6 of zero length is a no-op', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100]);
  await run(drive, cdb.rewind());
  t.log('GOOD and the position does not move');
  t.is((await run(drive, cdb.read6(0))).status, 0);
  t.is((await position(drive)).first, 0);
});

test('verify6 variable: GOOD over a block, FM at a filemark, position advances like READ', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 'F']);
  await run(drive, cdb.rewind());
  t.is((await run(drive, cdb.verify6(100))).status, 0);
  t.is((await position(drive)).first, 1);
  const r = await run(drive, cdb.verify6(100));
  t.true(r.sense?.filemark);
  t.is(r.sense?.info, 100);
  t.log('no data is transferred by VERIFY');
  t.is(r.data.length, 0);
});

test('verify6 with BYTCMP compares with the data-out: MISCOMPARE 1D/00 on a difference', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 100]);
  await run(drive, cdb.rewind());
  t.log('the first block matches; the second differs: MISCOMPARE');
  t.is((await run(drive, cdb.verify6(100, { bytcmp: true }), { dataOut: block(100, 0) })).status, 0);
  const r = await run(drive, cdb.verify6(100, { bytcmp: true }), { dataOut: block(100, 0) });
  t.is(r.sense?.key, 0xe);
  t.is(r.sense?.asc, 0x1d);
});

test('an integrity error of another class with the same name (as tapes/ throws) is MEDIUM ERROR too', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100]);
  await run(drive, cdb.rewind());
  class ForeignIntegrityError extends Error {
    readonly objectId = 0;
    constructor() {
      super('crc mismatch');
      this.name = 'MediumIntegrityError';
    }
  }
  medium.read = async () => {
    throw new ForeignIntegrityError();
  };
  const r = await run(drive, cdb.read6(100));
  t.log('MEDIUM ERROR 11/00, not HARDWARE ERROR');
  t.is(r.sense?.key, MEDIUM_ERROR);
  t.is(r.sense?.asc, 0x11);
});
