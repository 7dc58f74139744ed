// Medium presence, loading and unloading (SSC-4 LOAD UNLOAD, PREVENT ALLOW,
// unit attentions) and the bay a changer uses.
import test from 'ava';
import { genericTape } from '../../../scsi/profiles/generic-tape.ts';
import { ibmUlt3580Td9 } from '../../../scsi/profiles/ibm-ult3580-td9.ts';
import type { SequentialMedium } from '../../../scsi/ssc/medium.ts';
import { TapeDrive } from '../../../scsi/ssc/tape-drive.ts';
import { MemoryMedium, MemoryMediaSource } from '../../helpers/memory-medium.ts';
import { cdb, clearUnitAttentions, loadedDrive, nexus, position, quietLog, run, writeScript } from './harness.ts';

const NOT_READY = 0x2, ILLEGAL_REQUEST = 0x5, UNIT_ATTENTION = 0x6;

function emptyDrive() {
  const media = new MemoryMediaSource();
  const drive = new TapeDrive({ profile: genericTape, serial: '42', media, log: quietLog });
  return { drive, media };
}

test('no cartridge: TEST UNIT READY and READ are NOT READY 3A/00', async (t) => {
  const { drive } = emptyDrive();
  await clearUnitAttentions(drive);
  const tur = await run(drive, cdb.tur());
  t.is(tur.sense?.key, NOT_READY);
  t.is(tur.sense?.asc, 0x3a);
  const rd = await run(drive, cdb.read6(10));
  t.is(rd.sense?.key, NOT_READY);
  t.is(rd.sense?.asc, 0x3a);
  t.log('READ BLOCK LIMITS and INQUIRY still work without a cartridge');
  t.is((await run(drive, cdb.readBlockLimits())).status, 0);
  t.is((await run(drive, cdb.inquiry())).status, 0);
});

test('a cartridge put in by the changer: UNIT ATTENTION 28/00 once, then ready at BOP', async (t) => {
  const { drive, media } = emptyDrive();
  media.add(new MemoryMedium({ barcode: 'B00001L6' }));
  await clearUnitAttentions(drive);
  t.is((await run(drive, cdb.tur())).sense?.asc, 0x3a);
  await drive.insert('B00001L6');
  const ua = await run(drive, cdb.tur());
  t.log('NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED');
  t.is(ua.sense?.key, UNIT_ATTENTION);
  t.is(ua.sense?.asc, 0x28);
  t.is(ua.sense?.ascq, 0);
  t.is((await run(drive, cdb.tur())).status, 0);
  t.true((await position(drive)).bop);
});

test('while the cartridge is being opened: NOT READY 04/01 becoming ready', async (t) => {
  const media = new MemoryMediaSource();
  media.add(new MemoryMedium({ barcode: 'B00002L6' }));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => { release = r; });
  const slow = { open: async (b: string): Promise<SequentialMedium> => { await gate; return media.open(b); } };
  const drive = new TapeDrive({ profile: genericTape, serial: '43', media: slow, log: quietLog });
  await clearUnitAttentions(drive);
  const inserting = drive.insert('B00002L6');
  await new Promise((r) => setImmediate(r));
  t.log('TEST UNIT READY during the open is answered at once: NOT READY, BECOMING READY');
  const tur = await run(drive, cdb.tur());
  t.is(tur.sense?.key, NOT_READY);
  t.is(tur.sense?.asc, 0x04);
  t.is(tur.sense?.ascq, 0x01);
  t.log('READ POSITION too');
  t.is((await run(drive, cdb.readPosition(0))).sense?.ascq, 0x01);
  release();
  await inserting;
  await clearUnitAttentions(drive);
  t.is((await run(drive, cdb.tur())).status, 0);
});

test('unload ejects: NOT READY 3A/00 afterwards, the medium is flushed and closed, LOAD brings it back', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100]);
  const flushes = medium.flushes;
  t.is((await run(drive, cdb.loadUnload({ load: false }))).status, 0);
  t.log('flushed and closed');
  t.true(medium.flushes > flushes);
  t.true(medium.closed);
  t.is((await run(drive, cdb.tur())).sense?.asc, 0x3a);
  t.log('the changer still sees the cartridge in the drive');
  t.is(drive.cartridge(), medium.attributes.barcode);
  t.is((await run(drive, cdb.loadUnload({ load: true }))).status, 0);
  t.is((await run(drive, cdb.tur())).status, 0);
  t.true((await position(drive)).bop);
});

test('unload with HOLD keeps the cartridge in the drive: NOT READY 04/02 until LOAD', async (t) => {
  const { drive } = await loadedDrive();
  t.log('UNLOAD with HOLD is GOOD; TEST UNIT READY then says a LOAD is required');
  t.is((await run(drive, cdb.loadUnload({ load: false, hold: true }))).status, 0);
  const tur = await run(drive, cdb.tur());
  t.is(tur.sense?.key, NOT_READY);
  t.is(tur.sense?.asc, 0x04);
  t.is(tur.sense?.ascq, 0x02);
  t.is((await run(drive, cdb.loadUnload({ load: true }))).status, 0);
  t.is((await run(drive, cdb.tur())).status, 0);
});

test('load with a cartridge already loaded rewinds', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 100]);
  t.log('LOAD on a loaded cartridge is GOOD and leaves BOP');
  t.is((await run(drive, cdb.loadUnload({ load: true }))).status, 0);
  t.true((await position(drive)).bop);
});

test('LOAD with EOT is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.loadUnload({ load: true, eot: true }));
  t.log('ILLEGAL REQUEST 24/00');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('unload while removal is prevented: ILLEGAL REQUEST 53/02; allowed again after ALLOW', async (t) => {
  const { drive } = await loadedDrive();
  t.log('PREVENT is GOOD and the bay reports removal prevented');
  t.is((await run(drive, cdb.preventAllow(true))).status, 0);
  t.true(drive.removalPrevented());
  const r = await run(drive, cdb.loadUnload({ load: false }));
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x53);
  t.is(r.sense?.ascq, 0x02);
  await run(drive, cdb.preventAllow(false));
  t.false(drive.removalPrevented());
  t.is((await run(drive, cdb.loadUnload({ load: false }))).status, 0);
});

test('prevent is per I_T nexus and dropped when the nexus goes away', async (t) => {
  const { drive } = await loadedDrive();
  await clearUnitAttentions(drive, nexus(2));
  await run(drive, cdb.preventAllow(true), { nexus: nexus(2) });
  await run(drive, cdb.preventAllow(false));
  t.log('nexus 2 still prevents after nexus 1 allows; its loss lifts the prevention');
  t.true(drive.removalPrevented());
  drive.nexusLost(nexus(2));
  t.false(drive.removalPrevented());
});

test('another initiator sees 28/00 after a LOAD, the one that sent it does not', async (t) => {
  const { drive } = await loadedDrive();
  await clearUnitAttentions(drive, nexus(2));
  await run(drive, cdb.loadUnload({ load: false }));
  await run(drive, cdb.loadUnload({ load: true }));
  t.log('the loading nexus gets GOOD, the other NOT READY TO READY CHANGE');
  t.is((await run(drive, cdb.tur())).status, 0);
  t.is((await run(drive, cdb.tur(), { nexus: nexus(2) })).sense?.asc, 0x28);
});

test('the bay: remove() unloads a threaded cartridge and returns its barcode', async (t) => {
  const { drive, medium } = await loadedDrive({ barcode: 'C00001L6' });
  await writeScript(drive, [100]);
  t.log('the barcode comes back, the medium is closed, the drive is empty');
  t.is(await drive.remove(), 'C00001L6');
  t.true(medium.closed);
  t.is(drive.cartridge(), undefined);
  t.is((await run(drive, cdb.tur())).sense?.asc, 0x3a);
});

test('the bay: a generation the drive cannot take is refused with IncompatibleMediumError', async (t) => {
  const media = new MemoryMediaSource();
  media.add(new MemoryMedium({ barcode: 'D00001L5', mediaType: 'LTO-5' }));
  const drive = new TapeDrive({ profile: ibmUlt3580Td9, serial: '44', media, log: quietLog });
  t.log('an LTO-9 drive refuses an LTO-5 cartridge and stays empty');
  await t.throwsAsync(drive.insert('D00001L5'), { name: 'IncompatibleMediumError' });
  t.is(drive.cartridge(), undefined);
});

test('erase from the current position makes it EOD', async (t) => {
  const { drive, medium } = await loadedDrive();
  await writeScript(drive, [100, 100, 'F']);
  await run(drive, cdb.locate10(1));
  t.log('erasing at object 1 leaves one object; reading there is BLANK CHECK');
  t.is((await run(drive, cdb.erase6())).status, 0);
  t.is(medium.objects.length, 1);
  t.is((await run(drive, cdb.read6(10))).sense?.key, 0x8);
});

test('commands run one at a time in arrival order', async (t) => {
  const { drive, medium } = await loadedDrive();
  const order: string[] = [];
  const write = medium.write.bind(medium);
  medium.write = async (d, l) => {
    order.push('write-start');
    await new Promise((r) => setTimeout(r, 20));
    await write(d, l);
    order.push('write-end');
  };
  const a = run(drive, cdb.write6(10), { dataOut: Buffer.alloc(10) });
  const b = run(drive, cdb.readPosition(0)).then((r) => { order.push(`position ${r.data.readUInt32BE(4)}`); });
  await Promise.all([a, b]);
  t.log('READ POSITION waits for the WRITE before it and sees position 1');
  t.deepEqual(order, ['write-start', 'write-end', 'position 1']);
});

test('REQUEST SENSE reports the standing NOT READY condition when no unit attention is pending', async (t) => {
  const { drive } = emptyDrive();
  await clearUnitAttentions(drive);
  const r = await run(drive, [0x03, 0, 0, 0, 18, 0]);
  t.log('GOOD with NOT READY 3A/00 in the returned sense data');
  t.is(r.status, 0);
  t.is((r.data[2] ?? 0) & 0x0f, NOT_READY);
  t.is(r.data[12], 0x3a);
});
