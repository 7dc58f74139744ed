// MOVE MEDIUM, EXCHANGE MEDIUM and friends (SMC-3) with real TapeDrives behind
// the data transfer elements.
import test from 'ava';
import { genericChanger } from '../../../scsi/profiles/generic-changer.ts';
import { MemoryMedium } from '../../helpers/memory-medium.ts';
import { block, cdb, clearUnitAttentions, position, run, writeScript } from '../ssc/harness.ts';
import { library, parseElementStatus, smc } from './fixture.ts';

const ILLEGAL_REQUEST = 0x5;
const SLOT0 = 1000, SLOT3 = 1003, DRIVE0 = 500, DRIVE1 = 501, MAIL0 = 10;

async function status(changer: Parameters<typeof run>[0]) {
  const es = parseElementStatus((await run(changer, smc.readElementStatus())).data);
  return new Map(es.pages.flatMap((p) => p.descriptors).map((d) => [d.address, d]));
}

test('move slot -> drive: the drive loads the cartridge, the element shows FULL with the source slot', async (t) => {
  const { changer, drives } = await library();
  const r = await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  t.is(r.status, 0);
  const s = await status(changer);
  t.log('the drive element is full, SVALID, source = slot 1000, volume tag A00001L6');
  t.true(s.get(DRIVE0)?.full);
  t.true(s.get(DRIVE0)?.svalid);
  t.is(s.get(DRIVE0)?.source, SLOT0);
  t.is(s.get(DRIVE0)?.volumeTag?.trim(), 'A00001L6');
  t.false(s.get(SLOT0)?.full);
  t.log('the drive raises 28/00 and is then ready');
  const drive = drives[0];
  if (drive === undefined) return t.fail();
  t.is((await run(drive, cdb.tur())).sense?.asc, 0x28);
  t.is((await run(drive, cdb.tur())).status, 0);
});

test('move from an empty source: ILLEGAL REQUEST 3B/0E', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.moveMedium(SLOT3, DRIVE0));
  t.log('ILLEGAL REQUEST, MEDIUM SOURCE ELEMENT EMPTY');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x3b);
  t.is(r.sense?.ascq, 0x0e);
});

test('move to a full destination: ILLEGAL REQUEST 3B/0D', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.moveMedium(SLOT0, SLOT0 + 1));
  t.log('ILLEGAL REQUEST, MEDIUM DESTINATION ELEMENT FULL');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x3b);
  t.is(r.sense?.ascq, 0x0d);
});

test('move with an address that is no element, or the picker as source: INVALID ELEMENT ADDRESS 21/01', async (t) => {
  const { changer } = await library();
  t.log('unknown source, unknown destination, and the picker as source are all 21/01');
  for (const [src, dst] of [[2000, DRIVE0], [SLOT0, 7], [1, DRIVE0]] as const) {
    const r = await run(changer, smc.moveMedium(src, dst));
    t.is(r.sense?.asc, 0x21, `${src} -> ${dst}`);
    t.is(r.sense?.ascq, 0x01);
  }
  t.log('a transport address that is not the picker is refused too');
  t.is((await run(changer, smc.moveMedium(SLOT0, DRIVE0, SLOT3))).sense?.asc, 0x21);
  t.log('transport address 1 (the picker) is fine');
  t.is((await run(changer, smc.moveMedium(SLOT0, DRIVE0, 1))).status, 0);
});

test('move out of a drive whose removal an initiator prevents: ILLEGAL REQUEST 53/02, cartridge stays', async (t) => {
  const { changer, drives } = await library();
  await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  const drive = drives[0];
  if (drive === undefined) return t.fail();
  await clearUnitAttentions(drive);
  await run(drive, cdb.preventAllow(true));
  const r = await run(changer, smc.moveMedium(DRIVE0, SLOT0));
  t.log('ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x53);
  t.is(r.sense?.ascq, 0x02);
  t.log('the cartridge is still loaded and the drive still ready');
  t.is(drive.cartridge(), 'A00001L6');
  t.is((await run(drive, cdb.tur())).status, 0);
});

test('move out of a drive that was not unloaded: the library unloads it (flush, close) and moves it', async (t) => {
  const { changer, drives, media } = await library();
  await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  const drive = drives[0];
  if (drive === undefined) return t.fail();
  await clearUnitAttentions(drive);
  await writeScript(drive, [100, 'F']);
  const medium = media.media.get('A00001L6');
  t.log('the move succeeds without an UNLOAD from the initiator');
  t.is((await run(changer, smc.moveMedium(DRIVE0, SLOT3))).status, 0);
  t.log('the cartridge was flushed and closed by the drive');
  t.true(medium?.closed);
  t.is(drive.cartridge(), undefined);
  const s = await status(changer);
  t.log('the slot holds it, remembering the drive as its source; the drive element is empty');
  t.true(s.get(SLOT3)?.full);
  t.is(s.get(SLOT3)?.source, DRIVE0);
  t.false(s.get(DRIVE0)?.full);
  t.log('the drive reports MEDIUM NOT PRESENT');
  t.is((await run(drive, cdb.tur())).sense?.asc, 0x3a);
});

test('mtx unload after mt offline: UNLOAD on the drive, then MOVE drive -> its source slot', async (t) => {
  const { changer, drives } = await library();
  await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  const drive = drives[0];
  if (drive === undefined) return t.fail();
  await clearUnitAttentions(drive);
  t.is((await run(drive, cdb.loadUnload({ load: false }))).status, 0);
  t.log('the element still shows the cartridge until the picker takes it');
  t.true((await status(changer)).get(DRIVE0)?.full);
  t.log('mtx unload moves it back');
  t.is((await run(changer, smc.moveMedium(DRIVE0, SLOT0))).status, 0);
  t.is(drive.cartridge(), undefined);
});

test('move drive -> drive reloads the cartridge in the other drive', async (t) => {
  const { changer, drives } = await library();
  await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  t.log('GOOD; the first drive is empty, the second holds the cartridge');
  t.is((await run(changer, smc.moveMedium(DRIVE0, DRIVE1))).status, 0);
  t.is(drives[0]?.cartridge(), undefined);
  t.is(drives[1]?.cartridge(), 'A00001L6');
});

test('a cartridge the drive cannot take: ILLEGAL REQUEST 30/00 and it stays in its slot', async (t) => {
  const { changer, media } = await library({ cartridges: ['A00001L6', 'OLD001L2'] });
  media.media.set('OLD001L2', new MemoryMedium({ barcode: 'OLD001L2', mediaType: 'LTO-2' }));
  const r = await run(changer, smc.moveMedium(SLOT0 + 1, DRIVE0));
  t.log('ILLEGAL REQUEST, INCOMPATIBLE MEDIUM INSTALLED');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x30);
  t.log('nothing moved');
  t.true((await status(changer)).get(SLOT0 + 1)?.full);
  t.false((await status(changer)).get(DRIVE0)?.full);
});

test('moves are persisted in the library state, and a new changer over that state restores drives', async (t) => {
  const first = await library();
  await run(first.changer, smc.moveMedium(SLOT0, DRIVE1));
  await run(first.changer, smc.moveMedium(SLOT0 + 1, SLOT3));
  t.log('the store records each element by kind and index, with the source');
  t.is(first.state.get({ kind: 'data-transfer', index: 1 })?.barcode, 'A00001L6');
  t.deepEqual(first.state.get({ kind: 'data-transfer', index: 1 })?.source, { kind: 'storage', index: 0 });
  t.is(first.state.get({ kind: 'storage', index: 0 }), undefined);
  t.is(first.state.get({ kind: 'storage', index: 3 })?.barcode, 'A00002L6');
  for (const d of first.drives) await d.close();
  const second = await library({ state: first.state, media: first.media });
  const s = await status(second.changer);
  t.log('the new changer reports the same inventory');
  t.true(s.get(DRIVE1)?.full);
  t.is(s.get(DRIVE1)?.source, SLOT0);
  t.log('restore() put the cartridge back into the drive');
  t.is(second.drives[1]?.cartridge(), 'A00001L6');
});

test('exchange medium swaps a slot and a drive (generic changer)', async (t) => {
  const { changer, drives } = await library({ profile: genericChanger });
  const slot0 = 0x1000, drive0 = 0x100;
  await run(changer, smc.moveMedium(slot0, drive0));
  t.log('swap the cartridge in slot 1 with the one in drive 0');
  t.is((await run(changer, smc.exchangeMedium(slot0 + 1, drive0, slot0 + 1))).status, 0);
  t.log('the drive now holds the slot\'s cartridge and the slot the drive\'s');
  t.is(drives[0]?.cartridge(), 'A00002L6');
  const s = await status(changer);
  t.is(s.get(slot0 + 1)?.volumeTag?.trim(), 'A00001L6');
});

test('exchange medium on a personality without it is INVALID COMMAND OPERATION CODE', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.exchangeMedium(SLOT0, SLOT0 + 1, SLOT0));
  t.log('ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x20);
});

test('initialize element status (07h, and with range 37h) completes; a bad range start is 21/01', async (t) => {
  const { changer } = await library();
  t.log('INITIALIZE ELEMENT STATUS and WITH RANGE over slots are GOOD');
  t.is((await run(changer, smc.initializeElementStatus())).status, 0);
  t.is((await run(changer, smc.initializeWithRange(SLOT0, 5))).status, 0);
  t.log('a range starting at a non-element is INVALID ELEMENT ADDRESS');
  t.is((await run(changer, smc.initializeWithRange(4242, 5))).sense?.asc, 0x21);
});

test('position to element accepts elements and refuses non-elements', async (t) => {
  const { changer } = await library();
  t.log('a drive element is a valid destination; 4242 is no element');
  t.is((await run(changer, smc.positionToElement(DRIVE0))).status, 0);
  t.is((await run(changer, smc.positionToElement(4242))).sense?.asc, 0x21);
});

test('mail slots: operator import raises 28/01, the cartridge shows IMPEXP, and moves into storage', async (t) => {
  const { changer, media } = await library();
  media.add(new MemoryMedium({ barcode: 'NEW001L6' }));
  t.is(await changer.importCartridge('NEW001L6'), MAIL0);
  const ua = await run(changer, smc.readElementStatus());
  t.log('IMPORT OR EXPORT ELEMENT ACCESSED');
  t.is(ua.sense?.key, 0x6);
  t.is(ua.sense?.asc, 0x28);
  t.is(ua.sense?.ascq, 0x01);
  const s = await status(changer);
  t.true(s.get(MAIL0)?.full);
  t.log('IMPEXP (operator placed), INENAB and EXENAB');
  t.is((s.get(MAIL0)?.flags ?? 0) & 0x32, 0x32);
  t.is((await run(changer, smc.moveMedium(MAIL0, SLOT3))).status, 0);
  t.log('moving a cartridge to a mail slot leaves IMPEXP clear; the operator takes it out');
  await run(changer, smc.moveMedium(SLOT0, MAIL0 + 1));
  t.is(((await status(changer)).get(MAIL0 + 1)?.flags ?? 0) & 0x02, 0);
  t.is(await changer.exportCartridge(MAIL0 + 1), 'A00001L6');
  t.is((await run(changer, smc.readElementStatus())).sense?.ascq, 0x01);
});

test('mail slots locked by PREVENT MEDIUM REMOVAL refuse the operator', async (t) => {
  const { changer } = await library();
  await run(changer, smc.moveMedium(SLOT0, MAIL0));
  t.is((await run(changer, smc.preventAllow(true))).status, 0);
  t.log('the operator cannot take the cartridge while an initiator prevents removal');
  await t.throwsAsync(changer.exportCartridge(MAIL0), { message: /prevents/ });
  await run(changer, smc.preventAllow(false));
  t.log('after ALLOW the export works');
  t.is(await changer.exportCartridge(MAIL0), 'A00001L6');
});

test('operator import refuses a barcode already in the library', async (t) => {
  const { changer } = await library();
  t.log('the library refuses a second cartridge with the same label');
  await t.throwsAsync(changer.importCartridge('A00001L6'), { message: /already/ });
});

test('mode pages 1Dh, 1Eh, 1Fh describe the layout and capabilities', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.modeSense6(0x1d));
  const p = r.data.subarray(4);
  t.log('1Dh: page code and length 12h');
  t.is(p[0], 0x1d);
  t.is(p[1], 0x12);
  t.log('first address and count of transport, storage, import/export, data transfer');
  t.deepEqual([p.readUInt16BE(2), p.readUInt16BE(4)], [1, 1]);
  t.deepEqual([p.readUInt16BE(6), p.readUInt16BE(8)], [1000, 10]);
  t.deepEqual([p.readUInt16BE(10), p.readUInt16BE(12)], [10, 2]);
  t.deepEqual([p.readUInt16BE(14), p.readUInt16BE(16)], [500, 2]);
  t.log('1Eh transport geometry is there');
  t.is((await run(changer, smc.modeSense6(0x1e))).status, 0);
  const caps = (await run(changer, smc.modeSense6(0x1f))).data.subarray(4);
  t.log('1Fh: storage, import/export and data transfer elements hold media; moves from storage go anywhere');
  t.is(caps[2], 0x0e);
  t.is(caps[5], 0x0e);
});

test('inquiry of the changer: medium changer device type, STK L700', async (t) => {
  const { changer } = await library();
  const r = await run(changer, cdb.inquiry());
  t.log('PERIPHERAL DEVICE TYPE 08h and the profile\'s vendor and product');
  t.is((r.data[0] ?? 0) & 0x1f, 0x08);
  t.is(r.data.subarray(8, 32).toString('ascii'), 'STK     L700            ');
});

test('a drive given back its cartridge at start is at end of data and moves no data until the initiator positions', async (t) => {
  const first = await library();
  await run(first.changer, smc.moveMedium(SLOT0, DRIVE1));
  const drive = first.drives[1]!;
  await clearUnitAttentions(drive);
  t.log('label, a file and its filemark written, then the gateway stops');
  await writeScript(drive, [80, 'F', 4096, 4096, 'F']);
  for (const d of first.drives) await d.close();
  const second = await library({ state: first.state, media: first.media });
  const restored = second.drives[1]!;
  await clearUnitAttentions(restored);
  t.log('READ POSITION after the restart: at EOD (object 5), not BOP');
  const p = await position(restored);
  t.false(p.bop);
  t.is(p.first, 5);
  t.log("st's filemark on close and a WRITE before any positioning: MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR, nothing written");
  for (const [what, r] of [
    ['WRITE FILEMARKS', await run(restored, cdb.writeFilemarks6(1))],
    ['WRITE', await run(restored, cdb.write6(512), { dataOut: block(512, 9) })],
    ['READ', await run(restored, cdb.read6(512))],
  ] as const) {
    t.is(r.status, 2, what);
    t.like(r.sense, { key: 0x03, asc: 0x3b, ascq: 0x00 }, what);
  }
  t.is((await position(restored)).first, 5);
  t.log('REWIND gives the initiator the position: the label written before the restart reads back');
  t.is((await run(restored, cdb.rewind())).status, 0);
  const label = await run(restored, cdb.read6(80));
  t.is(label.status, 0);
  t.true(label.data.equals(block(80, 0)));
  t.log('SPACE to EOD and a filemark appends after the data');
  t.is((await run(restored, cdb.space6(3, 0))).status, 0);
  t.is((await run(restored, cdb.writeFilemarks6(1))).status, 0);
  t.is((await position(restored)).first, 6);
});
