// READ ELEMENT STATUS conformance (SMC-3 6.11) against an STK L700 layout:
// picker 1, mail slots 10.., drives 500.., storage 1000...
import test from 'ava';
import { addressOf, refOf } from '../../../scsi/smc/elements.ts';
import { run } from '../ssc/harness.ts';
import { library, parseElementStatus, smc } from './fixture.ts';

const ILLEGAL_REQUEST = 0x5;

test('all elements with VOLTAG: one page per element type in address order, counts in the header', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.readElementStatus());
  t.is(r.status, 0);
  const es = parseElementStatus(r.data);
  t.log('1 picker + 2 mail slots + 2 drives + 10 slots');
  t.is(es.count, 15);
  t.is(es.first, 1);
  t.log('BYTE COUNT OF REPORT AVAILABLE covers every page');
  t.is(es.byteCount, r.data.length - 8);
  t.deepEqual(es.pages.map((p) => p.type), [1, 3, 4, 2]);
  t.log('descriptors are 12 + 36 (volume tag) + 4 bytes');
  t.true(es.pages.every((p) => p.descLength === 52 && p.pvoltag));
});

test('storage slots report FULL and the barcode space-padded to 32 bytes; empty ones are not full', async (t) => {
  const { changer } = await library();
  const es = parseElementStatus((await run(changer, smc.readElementStatus({ type: 2, start: 1000 }))).data);
  const slots = es.pages[0]?.descriptors ?? [];
  t.log('ten storage descriptors from address 1000');
  t.is(slots.length, 10);
  t.is(slots[0]?.address, 1000);
  t.log('slot 1000 is full, its volume tag the barcode padded with spaces, medium type data');
  t.true(slots[0]?.full);
  t.is(slots[0]?.volumeTag, 'A00001L6'.padEnd(32, ' '));
  t.is(slots[0]?.mediumType, 1);
  t.log('ACCESS bit set on storage elements');
  t.is((slots[0]?.flags ?? 0) & 0x08, 0x08);
  t.log('slot 1003 is empty');
  t.false(slots[3]?.full);
});

test('starting element address and number of elements select a window', async (t) => {
  const { changer } = await library();
  const es = parseElementStatus((await run(changer, smc.readElementStatus({ type: 2, start: 1002, count: 3 }))).data);
  t.log('three elements, the first reported is 1002');
  t.is(es.count, 3);
  t.is(es.first, 1002);
  t.deepEqual(es.pages[0]?.descriptors.map((d) => d.address), [1002, 1003, 1004]);
});

test('a start address beyond every element is INVALID ELEMENT ADDRESS 21/01', async (t) => {
  const { changer } = await library();
  const r = await run(changer, smc.readElementStatus({ start: 5000 }));
  t.log('ILLEGAL REQUEST, INVALID ELEMENT ADDRESS');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x21);
  t.is(r.sense?.ascq, 0x01);
});

test('an element type code above 4 is INVALID FIELD IN CDB', async (t) => {
  const { changer } = await library();
  t.log('ILLEGAL REQUEST, INVALID FIELD IN CDB');
  t.is((await run(changer, smc.readElementStatus({ type: 5 }))).sense?.asc, 0x24);
});

test('the data is cut at the allocation length while the header still counts everything', async (t) => {
  const { changer } = await library();
  const full = await run(changer, smc.readElementStatus());
  const cut = await run(changer, smc.readElementStatus({ alloc: 100 }));
  t.log('100 bytes come back, yet the header counts every byte and all 15 elements');
  t.is(cut.data.length, 100);
  t.is(cut.data.readUIntBE(5, 3), full.data.length - 8);
  t.is(cut.data.readUInt16BE(2), 15);
  t.log('an allocation of 8 returns just the header (how some tools size the report)');
  const head = await run(changer, smc.readElementStatus({ alloc: 8 }));
  t.is(head.data.length, 8);
});

test('without VOLTAG the descriptors are 16 bytes and carry no volume tag', async (t) => {
  const { changer } = await library();
  const es = parseElementStatus((await run(changer, smc.readElementStatus({ voltag: false }))).data);
  t.log('every page: 16-byte descriptors, PVOLTAG clear');
  t.true(es.pages.every((p) => p.descLength === 16 && !p.pvoltag));
});

test('DVCID: data transfer descriptors carry the drive identifier equal to the drive\'s VPD 83h T10 vendor id', async (t) => {
  const { changer, drives } = await library();
  const es = parseElementStatus((await run(changer, smc.readElementStatus({ type: 4, start: 500, dvcid: true }))).data);
  const dts = es.pages[0]?.descriptors ?? [];
  t.log('two drive descriptors');
  t.is(dts.length, 2);
  t.log('identifier = VENDOR(8) PRODUCT(16) SERIAL(10), ASCII, type 1');
  t.deepEqual(dts[0]?.identifier, drives[0]?.t10VendorId());
  t.is(dts[0]?.identifier?.toString('ascii'), 'S3VTL   VIRTUAL-LTO     00000000D0');
  t.is(dts[1]?.identifier?.toString('ascii'), 'S3VTL   VIRTUAL-LTO     00000000D1');
  t.log('CODE SET 2 (ASCII), IDENTIFIER TYPE 1 (T10 vendor identification)');
  t.is(dts[0]?.raw[12 + 36], 0x02);
  t.is(dts[0]?.raw[12 + 36 + 1], 0x01);
  t.log('LU VALID with the drive LUN, as Linux ch uses to find the drive');
  t.is(dts[0]?.byte6, 0x11);
  t.is(dts[1]?.byte6, 0x12);
});

test('DVCID with element type ALL: only the data transfer page grows', async (t) => {
  const { changer } = await library();
  const es = parseElementStatus((await run(changer, smc.readElementStatus({ dvcid: true }))).data);
  const byType = new Map(es.pages.map((p) => [p.type, p.descLength]));
  t.log('storage descriptors stay 52 bytes, drive descriptors carry 34 more');
  t.is(byType.get(2), 52);
  t.is(byType.get(4), 52 + 34);
});

test('CURDATA is accepted', async (t) => {
  const { changer } = await library();
  const c = smc.readElementStatus();
  c[6] = 0x02;
  t.log('GOOD: the inventory is always current');
  t.is((await run(changer, c)).status, 0);
});

test('element addresses and (kind, index) names convert both ways under a personality', (t) => {
  const bases = { transport: 1, importExport: 10, dataTransfer: 500, storage: 1000 };
  t.log('storage 3 is address 1003 and back');
  t.is(addressOf(bases, { kind: 'storage', index: 3 }), 1003);
  t.deepEqual(refOf(bases, 1003), { kind: 'storage', index: 3 });
  t.log('drive 1 is 501; mail slot 0 is 10; the picker has no name');
  t.deepEqual(refOf(bases, 501), { kind: 'data-transfer', index: 1 });
  t.deepEqual(refOf(bases, 10), { kind: 'import-export', index: 0 });
  t.is(refOf(bases, 1), undefined);
});
