// The write-protect switch of a loaded cartridge (SSC-4 4.2.15, SPC-4 7.5.x
// mode parameter header): WP in the device-specific parameter of MODE SENSE(6)
// and (10), every command that would change the medium ends DATA PROTECT,
// WRITE PROTECTED 07/27/00 with nothing written and the position unchanged,
// and reading is unaffected.
import test from 'ava';
import { block, cdb, loadedDrive, position, run } from './harness.ts';

const DATA_PROTECT = 0x7;

/** A cartridge holding [block 100, filemark, block 200], switch set, positioned at BOP. */
async function protectedWithData() {
  const f = await loadedDrive({ writeProtected: true });
  f.medium.objects.push({ kind: 'block', data: block(100, 1) }, { kind: 'filemark' }, { kind: 'block', data: block(200, 2) });
  return f;
}

/** One host attribute (0800h APPLICATION VENDOR, ASCII 8) in a WRITE ATTRIBUTE parameter list. */
function attributeList(): Buffer {
  const value = Buffer.from('S3VTL   ', 'ascii');
  const attr = Buffer.concat([Buffer.from([0x08, 0x00, 0x01, 0x00, value.length]), value]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(attr.length);
  return Buffer.concat([head, attr]);
}

test('MODE SENSE(6) and (10): WP set in the header of a protected cartridge, clear otherwise', async (t) => {
  const { drive } = await protectedWithData();
  const six = await run(drive, cdb.modeSense6(0x3f, { alloc: 255 }));
  t.is(six.status, 0);
  t.log('MODE SENSE(6): byte 2 is the device-specific parameter; bit 7 WP');
  t.is((six.data[2] ?? 0) & 0x80, 0x80);
  const ten = await run(drive, [0x5a, 0, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0]);
  t.is(ten.status, 0);
  t.log('MODE SENSE(10): byte 3');
  t.is((ten.data[3] ?? 0) & 0x80, 0x80);
  const { drive: open } = await loadedDrive();
  t.is(((await run(open, cdb.modeSense6(0x3f))).data[2] ?? 0) & 0x80, 0);
});

test('WRITE, WRITE FILEMARKS(6)/(16), ERASE, WRITE ATTRIBUTE: DATA PROTECT 27/00, nothing written, position kept', async (t) => {
  const { drive, medium } = await protectedWithData();
  t.is((await run(drive, cdb.space6(1, 1))).status, 0);
  const before = await position(drive);
  t.is(before.first, 2);
  const refused = {
    'WRITE(6) variable': await run(drive, cdb.write6(512), { dataOut: block(512, 3) }),
    'WRITE FILEMARKS(6)': await run(drive, cdb.writeFilemarks6(1)),
    'WRITE FILEMARKS(16)': await run(drive, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0]),
    'ERASE(6)': await run(drive, cdb.erase6()),
    'WRITE ATTRIBUTE': await run(drive, cdb.writeAttribute(attributeList().length), { dataOut: attributeList() }),
  };
  for (const [name, r] of Object.entries(refused)) {
    t.is(r.status, 2, name);
    t.deepEqual([r.sense?.key, r.sense?.asc, r.sense?.ascq], [DATA_PROTECT, 0x27, 0x00], name);
  }
  t.log('the medium is as it was: 3 objects, no attribute, same position');
  t.is(medium.objects.length, 3);
  t.is(medium.mam.size, 0);
  t.deepEqual(await position(drive), before);
});

test('a protected cartridge reads as usual: blocks, filemark, EOD', async (t) => {
  const { drive } = await protectedWithData();
  const r1 = await run(drive, cdb.read6(100));
  t.is(r1.status, 0);
  t.deepEqual(r1.data, block(100, 1));
  const fm = await run(drive, cdb.read6(100));
  t.true(fm.sense?.filemark);
  const r2 = await run(drive, cdb.read6(200));
  t.deepEqual(r2.data, block(200, 2));
  t.is((await run(drive, cdb.read6(200))).sense?.key, 0x8, 'BLANK CHECK at EOD');
  t.is((await run(drive, cdb.rewind())).status, 0);
  t.is((await run(drive, cdb.space6(1, 1))).status, 0, 'SPACE and REWIND move as usual');
});

test('REPORT DENSITY SUPPORT (MEDIA=1): the density is not writable on a protected cartridge', async (t) => {
  const { drive } = await protectedWithData();
  const r = await run(drive, cdb.reportDensity(true));
  t.is(r.status, 0);
  t.log('density support data block descriptor byte 2: WRTOK (bit 7) clear');
  t.is((r.data[4 + 2] ?? 0) & 0x80, 0);
  const { drive: open } = await loadedDrive();
  t.is(((await run(open, cdb.reportDensity(true))).data[4 + 2] ?? 0) & 0x80, 0x80, 'WRTOK set with the switch clear');
});
