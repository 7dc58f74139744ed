// WRITE(6) and WRITE FILEMARKS conformance (SSC-4): positions, early warning,
// volume overflow, WORM, write protect, sync points.
import test from 'ava';
import { ibmUlt3580Td6 } from '../../../scsi/profiles/ibm-ult3580-td6.ts';
import { MAX_FILEMARKS_PER_COMMAND } from '../../../scsi/ssc/read-write.ts';
import { block, cdb, loadedDrive, position, run, writeScript } from './harness.ts';

const NO_SENSE = 0x0, ILLEGAL_REQUEST = 0x5, DATA_PROTECT = 0x7, VOLUME_OVERFLOW = 0xd;

test('write6 variable: GOOD, and READ POSITION counts one object per block', async (t) => {
  const { drive, medium } = await loadedDrive();
  const r = await run(drive, cdb.write6(64512), { dataOut: block(64512, 9) });
  t.log('GOOD');
  t.is(r.status, 0);
  t.log('first and last logical object are both 1, no LOLU');
  const p = await position(drive);
  t.is(p.first, 1);
  t.is(p.last, 1);
  t.false(p.lolu);
  t.false(p.bop);
  t.log('the medium holds the block');
  t.is(medium.objects.length, 1);
});

test('write6 larger than the maximum block length is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  const max = drive.profile.blockLimits.max;
  const r = await run(drive, cdb.write6(max + 1), { dataOut: Buffer.alloc(max + 1) });
  t.log('ILLEGAL REQUEST 24/00 and nothing moved');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
  t.is((await position(drive)).first, 0);
});

test('write6 in the middle of the tape makes the written block the last before EOD', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [10, 10, 10, 'F']);
  await run(drive, cdb.locate10(1));
  t.is((await run(drive, cdb.write6(20), { dataOut: block(20, 5) })).status, 0);
  t.log('EOD is now right after the new block');
  t.is(medium.objects.length, 2);
  const r = await run(drive, cdb.read6(20));
  t.is(r.sense?.key, 0x8);
});

test('write6 past early warning: data written, NO SENSE with EOM and 00/02, INFORMATION 0', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 10_000, earlyWarningBytes: 2_000 });
  t.is((await run(drive, cdb.write6(7000), { dataOut: block(7000, 1) })).status, 0);
  const r = await run(drive, cdb.write6(2000), { dataOut: block(2000, 2) });
  t.log('CHECK CONDITION, NO SENSE, END-OF-PARTITION/MEDIUM DETECTED, EOM');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 2);
  t.true(r.sense?.eom);
  t.log('nothing is left unwritten: INFORMATION 0');
  t.is(r.sense?.info, 0);
  t.log('the block is on the medium and the position moved past it');
  t.is(medium.objects.length, 2);
  t.is((await position(drive)).first, 2);
  t.log('a further write that fits still succeeds, again with early warning');
  const again = await run(drive, cdb.write6(500), { dataOut: block(500, 3) });
  t.is(again.sense?.key, NO_SENSE);
  t.true(again.sense?.eom);
  t.is(medium.objects.length, 3);
});

test('write6 that does not fit: VOLUME OVERFLOW, EOM, 00/02, INFORMATION = bytes not written, nothing written', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 10_000, earlyWarningBytes: 2_000 });
  await run(drive, cdb.write6(9000), { dataOut: block(9000, 1) });
  const r = await run(drive, cdb.write6(2000), { dataOut: block(2000, 2) });
  t.log('VOLUME OVERFLOW with EOM');
  t.is(r.sense?.key, VOLUME_OVERFLOW);
  t.is(r.sense?.asc, 0);
  t.is(r.sense?.ascq, 2);
  t.true(r.sense?.eom);
  t.log('INFORMATION = the whole transfer length');
  t.true(r.sense?.valid);
  t.is(r.sense?.info, 2000);
  t.log('the medium is unchanged and the position too');
  t.is(medium.objects.length, 1);
  t.is((await position(drive)).first, 1);
});

test('write6 at BOP on a full tape replaces the tape: GOOD, no early warning (relabelling a full volume)', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 10_000, earlyWarningBytes: 2_000 });
  await run(drive, cdb.write6(9000), { dataOut: block(9000, 1) });
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.write6(1000), { dataOut: block(1000, 2) });
  t.log('the write at BOP fits because everything after the position goes');
  t.is(r.status, 0);
  t.is(r.sense, undefined);
  t.log('the new block is the only object on the tape');
  t.is(medium.objects.length, 1);
  t.is((await position(drive)).first, 1);
});

test('write filemarks at BOP on a tape past early warning: GOOD without EOM', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 10_000, earlyWarningBytes: 2_000 });
  await run(drive, cdb.write6(9000), { dataOut: block(9000, 1) });
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.writeFilemarks6(1));
  t.log('nothing before the position, so no early warning');
  t.is(r.status, 0);
  t.is(medium.objects.length, 1);
});

test('write6 fixed that partly fits: the whole blocks that fit are written, INFORMATION = blocks not written', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 2048, earlyWarningBytes: 512 });
  const list = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0x02, 0x00]);
  t.is((await run(drive, cdb.modeSelect6(12), { dataOut: list })).status, 0);
  const r = await run(drive, cdb.write6(6, { fixed: true }), { dataOut: Buffer.alloc(6 * 512) });
  t.is(r.sense?.key, VOLUME_OVERFLOW);
  t.true(r.sense?.eom);
  t.log('4 blocks of 512 fit in 2048 bytes: INFORMATION = 6 - 4');
  t.is(r.sense?.info, 2);
  t.is(medium.objects.length, 4);
  t.is((await position(drive)).first, 4);
});

test('write6 to a write-protected cartridge: DATA PROTECT 27/00, and MODE SENSE shows WP', async (t) => {
  const { drive, medium } = await loadedDrive({ writeProtected: true });
  const r = await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  t.is(r.sense?.key, DATA_PROTECT);
  t.is(r.sense?.asc, 0x27);
  t.is(r.sense?.ascq, 0);
  t.is(medium.objects.length, 0);
  const ms = await run(drive, cdb.modeSense6(0x00, { alloc: 12 }));
  t.log('mode header device-specific parameter has WP set');
  t.is((ms.data[2] ?? 0) & 0x80, 0x80);
  t.log('write filemarks and erase are refused too');
  t.is((await run(drive, cdb.writeFilemarks6(1))).sense?.asc, 0x27);
  t.is((await run(drive, cdb.erase6())).sense?.asc, 0x27);
});

test('write6 of an older generation the drive only reads: DATA PROTECT 30/05', async (t) => {
  const { drive } = await loadedDrive({ mediaType: 'LTO-4', barcode: 'A00001L4' }, ibmUlt3580Td6);
  const r = await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  t.log('an LTO-6 drive writing an LTO-4 cartridge: CANNOT WRITE MEDIUM, INCOMPATIBLE FORMAT');
  t.is(r.sense?.key, DATA_PROTECT);
  t.is(r.sense?.asc, 0x30);
  t.is(r.sense?.ascq, 0x05);
});

test('WORM: appending at EOD works, overwriting is DATA PROTECT 30/0C', async (t) => {
  const { drive, medium } = await loadedDrive({ worm: true });
  t.log('writing at EOD (append) is allowed');
  await writeScript(drive, [100, 'F', 100]);
  t.is(medium.objects.length, 3);
  await run(drive, cdb.rewind());
  const w = await run(drive, cdb.write6(100), { dataOut: block(100, 7) });
  t.log('a write before EOD is WORM MEDIUM - OVERWRITE ATTEMPTED');
  t.is(w.sense?.key, DATA_PROTECT);
  t.is(w.sense?.asc, 0x30);
  t.is(w.sense?.ascq, 0x0c);
  t.log('so are filemarks and erase before EOD');
  t.is((await run(drive, cdb.writeFilemarks6(1))).sense?.ascq, 0x0c);
  t.is((await run(drive, cdb.erase6())).sense?.ascq, 0x0c);
  t.log('the tape is untouched');
  t.is(medium.objects.length, 3);
  t.log('after spacing to EOD, appending works again');
  await run(drive, cdb.space6(3, 0));
  t.is((await run(drive, cdb.write6(100), { dataOut: block(100, 8) })).status, 0);
  t.is(medium.objects.length, 4);
});

test('WORM: MODE SENSE medium configuration page reports WORMM', async (t) => {
  const { drive } = await loadedDrive({ worm: true });
  const r = await run(drive, cdb.modeSense6(0x1d, { dbd: true }));
  t.log('page 1Dh byte 2 bit 0 (WORMM) is set');
  t.is(r.status, 0);
  t.is((r.data[4 + 2] ?? 0) & 1, 1);
});

test('write filemarks with IMMED=0 is a sync point; IMMED=1 is not', async (t) => {
  const { drive, medium } = await loadedDrive();
  await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  const before = medium.flushes;
  t.is((await run(drive, cdb.writeFilemarks6(1, true))).status, 0);
  t.log('IMMED=1 returned without a flush');
  t.is(medium.flushes, before);
  t.is((await run(drive, cdb.writeFilemarks6(1))).status, 0);
  t.log('IMMED=0 flushed before GOOD');
  t.is(medium.flushes, before + 1);
  t.log('two filemarks are on the tape and the position counts them');
  t.is((await position(drive)).first, 3);
});

test('write filemarks with a count of 0 and IMMED=0 flushes and writes nothing', async (t) => {
  const { drive, medium } = await loadedDrive();
  await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  const before = medium.flushes;
  t.log('one flush, no new object');
  t.is((await run(drive, cdb.writeFilemarks6(0))).status, 0);
  t.is(medium.flushes, before + 1);
  t.is(medium.objects.length, 1);
});

test('write filemarks with WSMK (setmarks) is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, [0x10, 0x02, 0, 0, 1, 0]);
  t.log('ILLEGAL REQUEST 24/00');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('write filemarks with a count above the per-command maximum is INVALID FIELD IN CDB at once, nothing written', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100]);
  const r = await run(drive, cdb.writeFilemarks6(0xffffff));
  t.log('ILLEGAL REQUEST 24/00, the field pointer on the count (CDB byte 2)');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
  t.true(r.sense?.sksv);
  t.is(r.sense?.fieldPointer, 2);
  t.log('no filemark is on the tape');
  t.is(medium.objects.length, 1);
  t.log('WRITE FILEMARKS(16): the same, on its count (CDB byte 12)');
  const r16 = await run(drive, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0]);
  t.is(r16.sense?.asc, 0x24);
  t.is(r16.sense?.fieldPointer, 12);
  t.is(medium.objects.length, 1);
  t.log('the largest count allowed is written');
  t.is((await run(drive, cdb.writeFilemarks6(MAX_FILEMARKS_PER_COMMAND))).status, 0);
  t.is(medium.objects.length, 1 + MAX_FILEMARKS_PER_COMMAND);
});

test('write filemarks(16) at the current position writes filemarks; another position is refused', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100]);
  const ok = await run(drive, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0]);
  t.log('two filemarks at object 1 are written; a stale position is refused');
  t.is(ok.status, 0);
  t.is(medium.objects.length, 3);
  const bad = await run(drive, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]);
  t.is(bad.sense?.key, ILLEGAL_REQUEST);
});

test('write filemarks past early warning reports EOM with NO SENSE (st: filemarks written at EOM)', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 1000, earlyWarningBytes: 500 });
  await run(drive, cdb.write6(800), { dataOut: block(800, 1) });
  const r = await run(drive, cdb.writeFilemarks6(1));
  t.log('NO SENSE, EOM, 00/02, and the filemark is on the tape');
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.eom);
  t.is(r.sense?.ascq, 2);
  t.is(medium.objects.length, 2);
});

test('buffered mode 0 (MODE SELECT header only, as st MTSETDRVBUFFER sends): every WRITE flushes', async (t) => {
  const { drive, medium } = await loadedDrive();
  const header = Buffer.from([0, 0, 0x00, 0]);
  t.is((await run(drive, cdb.modeSelect6(4), { dataOut: header })).status, 0);
  const ms = await run(drive, cdb.modeSense6(0, { alloc: 4 }));
  t.log('BUFFERED MODE reads back 0');
  t.is(((ms.data[2] ?? 0) >> 4) & 7, 0);
  const before = medium.flushes;
  await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  t.is(medium.flushes, before + 1);
});

test('a failing medium write is MEDIUM ERROR 0C/00 and raises TapeAlert write failure', async (t) => {
  const { drive, medium } = await loadedDrive();
  medium.write = async () => {
    throw new Error('staging disk full');
  };
  const r = await run(drive, cdb.write6(100), { dataOut: block(100, 1) });
  t.log('MEDIUM ERROR, WRITE ERROR, and TapeAlert flag 6');
  t.is(r.sense?.key, 0x3);
  t.is(r.sense?.asc, 0x0c);
  t.true(drive.tapeAlerts.has(6));
});

test('a filemark can still close the file on a full tape (after VOLUME OVERFLOW)', async (t) => {
  const { drive, medium } = await loadedDrive({ capacityBytes: 1000, earlyWarningBytes: 100 });
  await run(drive, cdb.write6(1000), { dataOut: block(1000, 1) });
  t.log('the next block does not fit');
  t.is((await run(drive, cdb.write6(10), { dataOut: block(10, 2) })).sense?.key, VOLUME_OVERFLOW);
  const r = await run(drive, cdb.writeFilemarks6(1));
  t.log('the filemark is written, reported with EOM past early warning');
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.eom);
  t.is(medium.objects.length, 2);
});
