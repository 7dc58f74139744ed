// SPACE(6)/(16) conformance (SSC-4): blocks, filemarks and end of data, both
// directions, with the sense, residue and READ POSITION after every step.
// Tape used by most tests: B0 B1 FM B3 B4 FM B6 EOD (objects 0..6, EOD 7).
import test from 'ava';
import { cdb, loadedDrive, position, run, writeScript } from './harness.ts';

const NO_SENSE = 0x0, ILLEGAL_REQUEST = 0x5, BLANK_CHECK = 0x8;
const BLOCKS = 0, FILEMARKS = 1, EOD = 3;

async function tape() {
  const f = await loadedDrive();
  await writeScript(f.drive, [100, 100, 'F', 100, 100, 'F', 100]);
  await run(f.drive, cdb.rewind());
  return f;
}

test('space blocks forward within a file: GOOD and the position moves by the count', async (t) => {
  const { drive } = await tape();
  t.log('GOOD, at object 2');
  t.is((await run(drive, cdb.space6(BLOCKS, 2))).status, 0);
  t.is((await position(drive)).first, 2);
});

test('space blocks forward meets a filemark: FM, 00/01, INFORMATION = residue, positioned after the filemark', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.space6(BLOCKS, 5));
  t.log('NO SENSE, FILEMARK DETECTED, FM bit');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.is(r.sense?.ascq, 1);
  t.true(r.sense?.filemark);
  t.log('two blocks were spaced: INFORMATION = 5 - 2');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 3);
  t.log('position is on the end-of-partition side of the filemark');
  t.is((await position(drive)).first, 3);
});

test('space blocks backward meets a filemark: FM, residue as a magnitude, positioned before the filemark', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(FILEMARKS, 1)); // at 3
  await run(drive, cdb.space6(BLOCKS, 1)); // at 4
  const r = await run(drive, cdb.space6(BLOCKS, -3));
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.filemark);
  t.log('one block spaced of 3 backwards: INFORMATION = 2 (a magnitude, as IBM drives report and st expects)');
  t.is(r.sense?.info, 2);
  t.log('position is on the beginning-of-partition side of the filemark');
  t.is((await position(drive)).first, 2);
});

test('space blocks forward to end of data: BLANK CHECK 00/05 with the residue', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(FILEMARKS, 2)); // at 6
  const r = await run(drive, cdb.space6(BLOCKS, 4));
  t.log('from object 6, one block spaced of 4: BLANK CHECK, INFORMATION 3, at EOD');
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.ascq, 5);
  t.is(r.sense?.info, 3);
  t.is((await position(drive)).first, 7);
});

test('space blocks backward to BOP: NO SENSE, EOM, 00/04 with the residue, at BOP', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(BLOCKS, 2));
  const r = await run(drive, cdb.space6(BLOCKS, -5));
  t.log('BEGINNING-OF-PARTITION/MEDIUM DETECTED with EOM');
  t.is(r.sense?.key, NO_SENSE);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 4);
  t.true(r.sense?.eom);
  t.is(r.sense?.info, 3);
  const p = await position(drive);
  t.log('READ POSITION reports BOP');
  t.true(p.bop);
  t.is(p.first, 0);
});

test('space filemarks forward: positioned after the n-th filemark', async (t) => {
  const { drive } = await tape();
  t.log('after two filemarks the position is object 6');
  t.is((await run(drive, cdb.space6(FILEMARKS, 2))).status, 0);
  t.is((await position(drive)).first, 6);
});

test('space filemarks forward past the last one (mt eod as st does it): BLANK CHECK 00/05, INFORMATION = filemarks not spaced', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.space6(FILEMARKS, 0x7fffff));
  t.is(r.sense?.key, BLANK_CHECK);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 5);
  t.log('st computes the file number as 0x7fffff - INFORMATION: 2 filemarks were spaced');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 0x7fffff - 2);
  t.is((await position(drive)).first, 7);
});

test('space filemarks -1 from EOD lands before the last filemark, so the next read reports it (tgt gets this wrong)', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(EOD, 0));
  t.is((await run(drive, cdb.space6(FILEMARKS, -1))).status, 0);
  t.log('position is the last filemark itself (object 5)');
  t.is((await position(drive)).first, 5);
  const r = await run(drive, cdb.read6(100));
  t.log('the next READ meets the filemark');
  t.true(r.sense?.filemark);
});

test('space filemarks backward to BOP: 00/04 with EOM', async (t) => {
  const { drive } = await tape();
  await run(drive, cdb.space6(FILEMARKS, 1)); // at 3
  const r = await run(drive, cdb.space6(FILEMARKS, -2));
  t.log('one filemark spaced of two backwards: 00/04, EOM, INFORMATION 1, at BOP');
  t.is(r.sense?.ascq, 4);
  t.true(r.sense?.eom);
  t.is(r.sense?.info, 1);
  t.true((await position(drive)).bop);
});

test('space to end of data (code 3): GOOD, positioned at EOD', async (t) => {
  const { drive } = await tape();
  t.log('GOOD at object 7');
  t.is((await run(drive, cdb.space6(EOD, 0))).status, 0);
  t.is((await position(drive)).first, 7);
});

test('space(16) behaves like space(6) with a 64-bit count', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.space16(BLOCKS, 5n));
  t.log('the same filemark stop and residue as SPACE(6); then back one filemark');
  t.true(r.sense?.filemark);
  t.is(r.sense?.info, 3);
  t.is((await position(drive)).first, 3);
  t.is((await run(drive, cdb.space16(FILEMARKS, -1n))).status, 0);
  t.is((await position(drive)).first, 2);
});

test('space with setmark codes is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await tape();
  const r = await run(drive, cdb.space6(4, 1));
  t.log('code 4 (setmarks) is ILLEGAL REQUEST 24/00');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('space after writes is a sync point', async (t) => {
  const { drive, medium } = await tape();
  await run(drive, cdb.space6(EOD, 0));
  await writeScript(drive, [100]);
  const before = medium.flushes;
  await run(drive, cdb.space6(BLOCKS, -1));
  t.log('the SPACE flushed the written block first');
  t.is(medium.flushes, before + 1);
});
