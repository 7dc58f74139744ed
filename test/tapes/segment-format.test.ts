import test from 'ava';
import { RecordIndex, RecordKind, readRecordHeader } from '../../tapes/record-format.ts';
import {
  SEGMENT_HEADER_BYTES,
  SegmentFormatError,
  decodeFooter,
  decodeSegmentHeader,
  encodeSegment,
  scanRecords,
  verifyRecord,
} from '../../tapes/segment-format.ts';

const flip = (b: Buffer, at: number, mask: number): void => {
  b.writeUInt8(b.readUInt8(at) ^ mask, at);
};

// Segment starting at object 5, seq 1: one block "abc", one filemark.
const VECTOR = Buffer.from(
  [
    // header: magic "S3VTLSEG", version 1, flags 0, header length 32, first object 5, seq 1, reserved, CRC32C
    '533356544c534547', '01', '00', '0020', '0000000000000005', '00000001', '00000000', '7719924e',
    // record 0: length 3, kind DATA, flags, reserved, payload CRC32C("abc") = 364b3fb7, header CRC; payload "abc"
    '00000003', '01', '00', '0000', '364b3fb7', '550503a4', '616263',
    // record 1: a filemark (length 0, kind 2, CRC32C of nothing = 0)
    '00000000', '02', '00', '0000', '00000000', 'b9184f13',
    // index entry 0: offset 0x20 (u48), kind 1, flags, length 3, CRC
    '000000000020', '01', '00', '00000003', '364b3fb7',
    // index entry 1: offset 0x33, kind 2, flags, length 0, CRC 0
    '000000000033', '02', '00', '00000000', '00000000',
    // trailer: magic "S3VTLIDX", version 1, reserved, 2 records, first object 5, index at 0x43, index CRC, trailer CRC
    '533356544c494458', '01', '000000', '00000002', '0000000000000005', '0000000000000043', 'ec4ddf6e', '2758bafa',
  ].join(''),
  'hex',
);

test('a segment encodes to the documented bytes', (t) => {
  const b = encodeSegment(5, 1, [{ kind: 'block', data: Buffer.from('abc') }, { kind: 'filemark' }]);
  // Header, records, index and trailer match the vector byte for byte.
  t.is(b.toString('hex'), VECTOR.toString('hex'));
});

test('the segment header decodes to first object id and seq', (t) => {
  // The header names object 5 and sequence number 1.
  t.deepEqual(decodeSegmentHeader(VECTOR), { firstObjectId: 5, seq: 1 });
});

test('the record header carries length, kind and the payload CRC32C', (t) => {
  const h = readRecordHeader(VECTOR, SEGMENT_HEADER_BYTES);
  // The first record is a 3-byte plain data block (coding 0) whose CRC32C is that of "abc".
  t.deepEqual(h, { length: 3, kind: RecordKind.DATA, crc: 0x364b3fb7, coding: 0 });
});

test('the footer decodes to the record index', (t) => {
  const footer = decodeFooter(VECTOR.subarray(0x43));
  // Two records, starting at object 5, index at offset 0x43.
  t.is(footer.index.count, 2);
  t.is(footer.firstObjectId, 5);
  t.is(footer.indexOffset, 0x43);
  // Record 0 is the block at offset 32, record 1 the filemark at offset 51.
  t.deepEqual([footer.index.offset(0), footer.index.kind(0), footer.index.length(0)], [32, RecordKind.DATA, 3]);
  t.deepEqual([footer.index.offset(1), footer.index.kind(1), footer.index.length(1)], [51, RecordKind.FILEMARK, 0]);
});

test('a flipped bit in the index is detected', (t) => {
  const bad = Buffer.from(VECTOR);
  flip(bad, 0x43 + 9, 0x01);
  // The index CRC no longer matches.
  t.throws(() => decodeFooter(bad.subarray(0x43)), { instanceOf: SegmentFormatError, message: /index CRC/ });
});

test('a flipped bit in the trailer is detected', (t) => {
  const bad = Buffer.from(VECTOR);
  flip(bad, bad.length - 10, 0x80);
  // The trailer CRC no longer matches.
  t.throws(() => decodeFooter(bad.subarray(0x43)), { instanceOf: SegmentFormatError, message: /trailer CRC/ });
});

test('a flipped payload bit fails record verification', (t) => {
  const image = Buffer.from(VECTOR.subarray(32, 32 + 19));
  flip(image, 17, 0x04);
  // The payload CRC32C check reports the mismatch.
  t.is(verifyRecord(image, RecordKind.DATA, 3, 0x364b3fb7), 'record payload CRC mismatch');
});

test('a record header disagreeing with the index fails verification', (t) => {
  const image = VECTOR.subarray(32, 32 + 19);
  // The index says 4 bytes, the header 3.
  t.is(verifyRecord(image, RecordKind.DATA, 4, 0x364b3fb7), 'record header disagrees with the index');
});

test('scanning an unsealed image stops at a torn record', (t) => {
  const records = VECTOR.subarray(0, 0x43);
  const torn = Buffer.concat([records, Buffer.from('0000001001', 'hex')]);
  const scan = scanRecords(torn);
  // Both whole records are found and the scan ends where the torn one starts.
  t.is(scan.index.count, 2);
  t.is(scan.end, 0x43);
  t.is(scan.stopped, 'truncated record header');
});

test('scanning stops at a record whose payload does not verify', (t) => {
  const bad = Buffer.from(VECTOR.subarray(0, 0x43));
  flip(bad, 49, 0xff);
  const scan = scanRecords(bad);
  // Nothing from the corrupt record on is accepted.
  t.is(scan.index.count, 0);
  t.is(scan.stopped, 'record payload CRC mismatch');
});

test('the record index grows and truncates', (t) => {
  const idx = new RecordIndex(1);
  for (let i = 0; i < 100; i++) idx.push(i * 10, i % 10 === 9 ? RecordKind.FILEMARK : RecordKind.DATA, i % 10 === 9 ? 0 : 5, i);
  // 100 records, filemarks at every tenth.
  t.is(idx.count, 100);
  t.deepEqual(idx.filemarks(30), [9, 19, 29]);
  // Data bytes of the first 10 records: nine blocks of 5 bytes.
  t.is(idx.dataBytes(10), 45);
  idx.truncate(12);
  // After truncation, record 12 is out of range.
  t.throws(() => idx.offset(12), { instanceOf: RangeError });
});
