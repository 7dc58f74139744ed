// What the drive says about itself: INQUIRY, VPD 80h/83h, READ BLOCK LIMITS,
// REPORT DENSITY SUPPORT, all from the personality data.
import test from 'ava';
import { hpUltrium6 } from '../../../scsi/profiles/hp-ultrium-6.ts';
import { ibmUlt3580Td8 } from '../../../scsi/profiles/ibm-ult3580-td8.ts';
import { tapeDriveProfiles } from '../../../scsi/profiles/index.ts';
import { cdb, loadedDrive, run } from './harness.ts';

test('inquiry reports a removable sequential-access device with the profile strings', async (t) => {
  const { drive } = await loadedDrive({}, hpUltrium6);
  const r = await run(drive, cdb.inquiry());
  t.log('device type 01h, RMB set, vendor HP and product Ultrium 6-SCSI');
  t.is((r.data[0] ?? 0) & 0x1f, 0x01);
  t.is((r.data[1] ?? 0) & 0x80, 0x80);
  t.is(r.data.subarray(8, 16).toString('ascii'), 'HP      ');
  t.is(r.data.subarray(16, 32).toString('ascii'), 'Ultrium 6-SCSI  ');
});

test('VPD 80h is the serial; VPD 83h carries the T10 vendor id the changer reports as DVCID', async (t) => {
  const { drive } = await loadedDrive({ mediaType: 'LTO-8', barcode: 'G00002L8' }, ibmUlt3580Td8);
  const sn = await run(drive, cdb.inquiry(0x80));
  t.log('VPD 80h is the serial; the T10 vendor id designator is VENDOR PRODUCT SERIAL');
  t.is(sn.data.subarray(4).toString('ascii'), '1000000001');
  const id = await run(drive, cdb.inquiry(0x83));
  const body = id.data.subarray(4);
  let t10: Buffer | undefined;
  for (let at = 0; at + 4 <= body.length; at += 4 + (body[at + 3] ?? 0)) {
    if (((body[at + 1] ?? 0) & 0x3f) === 0x01) t10 = body.subarray(at + 4, at + 4 + (body[at + 3] ?? 0));
  }
  t.is(t10?.toString('ascii'), 'IBM     ULT3580-TD8     1000000001');
  t.deepEqual(t10, drive.t10VendorId());
});

test('read block limits come from the profile', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.readBlockLimits());
  t.log('6 bytes with the profile\'s maximum and minimum');
  t.is(r.data.length, 6);
  t.is(r.data.readUIntBE(1, 3), drive.profile.blockLimits.max);
  t.is(r.data.readUInt16BE(4), drive.profile.blockLimits.min);
});

test('report density support (all): one 52-byte descriptor per density, the newest marked default', async (t) => {
  const { drive } = await loadedDrive({ mediaType: 'LTO-8', barcode: 'G00002L8' }, ibmUlt3580Td8);
  const r = await run(drive, cdb.reportDensity(false));
  t.log('three descriptors; the first is LTO-8 (5Eh), WRTOK and DEFLT, named U-832');
  t.is(r.data.readUInt16BE(0), 2 + 3 * 52);
  t.is(r.data[4], 0x5e);
  t.is((r.data[6] ?? 0) & 0xa0, 0xa0);
  t.is(r.data.subarray(4 + 24, 4 + 32).toString('ascii').trim(), 'U-832');
});

test('report density support (media): the loaded cartridge\'s density; NOT READY without one', async (t) => {
  const { drive } = await loadedDrive({ mediaType: 'LTO-7', barcode: 'G00001L7' }, ibmUlt3580Td8);
  const r = await run(drive, cdb.reportDensity(true));
  t.log('one descriptor for the LTO-7 cartridge (5Ch); none loaded: NOT READY');
  t.is(r.data.readUInt16BE(0), 2 + 52);
  t.is(r.data[4], 0x5c);
  await drive.remove();
  t.is((await run(drive, cdb.reportDensity(true))).sense?.key, 0x2);
});

test('every drive profile has a writable density for each medium it writes', (t) => {
  t.log('every medium\'s density is among the profile\'s densities, strings fit INQUIRY');
  for (const p of tapeDriveProfiles.values()) {
    for (const m of p.media) t.true(p.densities.some((d) => d.code === m.density), `${p.name} ${m.mediaType}`);
    t.true(p.identity.vendor.length <= 8 && p.identity.product.length <= 16 && p.identity.revision.length <= 4, p.name);
  }
});

test('VPD B0h reports WORM support', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.inquiry(0xb0));
  t.log('page B0h, WORM bit set for an LTO drive');
  t.is(r.data[1], 0xb0);
  t.is((r.data[4] ?? 0) & 1, 1);
});
