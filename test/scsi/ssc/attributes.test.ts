// READ/WRITE ATTRIBUTE (MAM) and READ MEDIA SERIAL NUMBER (SPC-4).
import test from 'ava';
import { cdb, loadedDrive, run } from './harness.ts';

const ILLEGAL_REQUEST = 0x5;

interface Attr { id: number; readOnly: boolean; format: number; value: Buffer }

function parse(data: Buffer): Attr[] {
  const out: Attr[] = [];
  const end = 4 + data.readUInt32BE(0);
  for (let at = 4; at + 5 <= Math.min(end, data.length); ) {
    const len = data.readUInt16BE(at + 3);
    out.push({ id: data.readUInt16BE(at), readOnly: ((data[at + 2] ?? 0) & 0x80) !== 0, format: (data[at + 2] ?? 0) & 3, value: data.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

function attributeList(attrs: Array<{ id: number; format: number; value: Buffer }>): Buffer {
  const body = Buffer.concat(attrs.map((a) => {
    const h = Buffer.alloc(5);
    h.writeUInt16BE(a.id, 0);
    h[2] = a.format;
    h.writeUInt16BE(a.value.length, 3);
    return Buffer.concat([h, a.value]);
  }));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

const pad = (s: string, n: number): Buffer => Buffer.from(s.padEnd(n, ' '), 'ascii');

test('read attribute values: device and medium attributes are read-only with their values', async (t) => {
  const { drive } = await loadedDrive({ barcode: 'E00001L6', capacityBytes: 2048 * 1024 * 1024 });
  const r = await run(drive, cdb.readAttribute(0x00, 0x0000));
  t.is(r.status, 0);
  const attrs = new Map(parse(r.data).map((a) => [a.id, a]));
  t.log('0001h MAXIMUM CAPACITY 2048 MiB, read-only, binary');
  t.is(attrs.get(0x0001)?.value.readBigUInt64BE(0), 2048n);
  t.true(attrs.get(0x0001)?.readOnly);
  t.log('0000h REMAINING CAPACITY');
  t.is(attrs.get(0x0000)?.value.readBigUInt64BE(0), 2048n);
  t.log('0401h MEDIUM SERIAL NUMBER is the barcode, ASCII');
  t.is(attrs.get(0x0401)?.value.toString('ascii').trim(), 'E00001L6');
  t.is(attrs.get(0x0401)?.format, 1);
  t.log('0405h MEDIUM DENSITY CODE');
  t.deepEqual(attrs.get(0x0405)?.value, Buffer.from([0x5a]));
  t.log('0806h BARCODE defaults to the label, writable');
  t.false(attrs.get(0x0806)?.readOnly);
});

test('write attribute: host attributes are stored on the cartridge and read back', async (t) => {
  const { drive, medium } = await loadedDrive();
  const list = attributeList([
    { id: 0x0800, format: 1, value: pad('BACULA', 8) },
    { id: 0x0806, format: 1, value: pad('VOL0001', 32) },
  ]);
  t.is((await run(drive, cdb.writeAttribute(list.length), { dataOut: list })).status, 0);
  t.log('persisted through SequentialMedium.writeAttribute');
  t.deepEqual(medium.mam.get(0x0806), pad('VOL0001', 32));
  const r = await run(drive, cdb.readAttribute(0x00, 0x0806));
  const first = parse(r.data)[0];
  t.is(first?.id, 0x0806);
  t.is(first?.value.toString('ascii').trim(), 'VOL0001');
});

test('write attribute to a read-only attribute: INVALID FIELD IN PARAMETER LIST and nothing written', async (t) => {
  const { drive, medium } = await loadedDrive();
  const list = attributeList([
    { id: 0x0800, format: 1, value: pad('X', 8) },
    { id: 0x0401, format: 1, value: pad('FAKE', 32) },
  ]);
  const r = await run(drive, cdb.writeAttribute(list.length), { dataOut: list });
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x26);
  t.log('the field pointer names the offending attribute (byte 17 of the list)');
  t.is(r.sense?.fieldPointer, 17);
  t.is(medium.mam.size, 0);
});

test('write attribute with a wrong length or format is refused', async (t) => {
  const { drive } = await loadedDrive();
  const badLen = attributeList([{ id: 0x0806, format: 1, value: pad('X', 10) }]);
  t.log('BARCODE of 10 bytes, then BARCODE as binary: both 26/00');
  t.is((await run(drive, cdb.writeAttribute(badLen.length), { dataOut: badLen })).sense?.asc, 0x26);
  const badFmt = attributeList([{ id: 0x0806, format: 0, value: pad('X', 32) }]);
  t.is((await run(drive, cdb.writeAttribute(badFmt.length), { dataOut: badFmt })).sense?.asc, 0x26);
});

test('read attribute whose first identifier is absent is INVALID FIELD IN CDB (how LTFS probes)', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.readAttribute(0x00, 0x0801));
  t.log('APPLICATION NAME was never written: ILLEGAL REQUEST 24/00');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x24);
});

test('read attribute is cut at the allocation length while AVAILABLE DATA tells the whole length', async (t) => {
  const { drive } = await loadedDrive();
  const full = await run(drive, cdb.readAttribute(0x00, 0x0000));
  const cut = await run(drive, cdb.readAttribute(0x00, 0x0000, 20));
  t.log('20 bytes returned, AVAILABLE DATA = the full list');
  t.is(cut.data.length, 20);
  t.is(cut.data.readUInt32BE(0), full.data.length - 4);
});

test('read attribute list, supported attributes, volume and partition lists', async (t) => {
  const { drive } = await loadedDrive();
  const list = await run(drive, cdb.readAttribute(0x01, 0));
  const ids: number[] = [];
  t.log('the list has the computed and barcode attributes; supported is longer; one volume, one partition');
  for (let at = 4; at < list.data.length; at += 2) ids.push(list.data.readUInt16BE(at));
  t.true(ids.includes(0x0000) && ids.includes(0x0401) && ids.includes(0x0806));
  const supported = await run(drive, cdb.readAttribute(0x05, 0));
  t.true(supported.data.readUInt32BE(0) > list.data.readUInt32BE(0));
  t.deepEqual((await run(drive, cdb.readAttribute(0x02, 0))).data, Buffer.from([0, 2, 0, 1]));
  t.deepEqual((await run(drive, cdb.readAttribute(0x03, 0))).data, Buffer.from([0, 2, 0, 1]));
});

test('read attribute for another partition is INVALID FIELD IN CDB', async (t) => {
  const { drive } = await loadedDrive();
  const c = cdb.readAttribute(0x00, 0);
  c[7] = 1;
  t.log('partition 1: ILLEGAL REQUEST 24/00');
  t.is((await run(drive, c)).sense?.asc, 0x24);
});

test('read media serial number returns the barcode padded to a multiple of four', async (t) => {
  const { drive } = await loadedDrive({ barcode: 'F00001L6' });
  const r = await run(drive, cdb.readMediaSerial());
  t.log('length 8 and the barcode');
  t.is(r.status, 0);
  t.is(r.data.readUInt32BE(0), 8);
  t.is(r.data.subarray(4).toString('ascii'), 'F00001L6');
});
