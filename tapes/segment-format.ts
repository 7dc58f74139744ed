// Segment objects: immutable, many records each, a footer index at the end.
//
//   header   32 bytes
//     0  8  magic "S3VTLSEG"
//     8  u8 format version (1)
//     9  u8 flags (0)
//    10  u16 header length (32)
//    12  u64 logical object id of the first record
//    20  u32 segment sequence number (the `seq` of the key)
//    24  u32 reserved (0)
//    28  u32 CRC32C of bytes 0..27
//   records  (record-format.ts), back to back
//   index    16 bytes per record:
//     0  u48 offset of the record header from the start of the segment
//     6  u8  kind
//     7  u8  flags (0)
//     8  u32 payload length
//    12  u32 payload CRC32C
//   trailer  40 bytes
//     0  8  magic "S3VTLIDX"
//     8  u8 format version (1)
//     9  u8  coding of the data records: union of their record flags, bit 7
//            set when their key check values differ (never written so)
//    10  u16 key check value shared by the data records (0: not encrypted)
//    12  u32 record count
//    16  u64 logical object id of the first record
//    24  u64 offset of the index (= end of the records)
//    32  u32 CRC32C of the index entries
//    36  u32 CRC32C of trailer bytes 0..35
//
// A reader that knows the index offset and object size (from the manifest)
// fetches index + trailer in one ranged GET. Segments written before records
// had a coding have zeros in trailer bytes 9..11, which reads as plain.

import { crc32c } from '@node-rs/crc32';
import { CodingTally, RECORD_HEADER_BYTES, type RecordCoding, RecordIndex, RecordKind, readRecordHeader, writeRecordHeader } from './record-format.ts';

export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const INDEX_ENTRY_BYTES = 16;
export const TRAILER_BYTES = 40;
const SEGMENT_MAGIC = Buffer.from('S3VTLSEG', 'ascii');
const INDEX_MAGIC = Buffer.from('S3VTLIDX', 'ascii');

/** A segment's bytes do not decode; `reason` says which check failed. */
export class SegmentFormatError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`segment format: ${reason}`);
    this.name = 'SegmentFormatError';
    this.reason = reason;
  }
}

export function encodeSegmentHeader(firstObjectId: number, seq: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(b, 0);
  b[8] = SEGMENT_FORMAT_VERSION;
  b.writeUInt16BE(SEGMENT_HEADER_BYTES, 10);
  b.writeBigUInt64BE(BigInt(firstObjectId), 12);
  b.writeUInt32BE(seq >>> 0, 20);
  b.writeUInt32BE(crc32c(b.subarray(0, 28)) >>> 0, 28);
  return b;
}

export function decodeSegmentHeader(b: Buffer): { firstObjectId: number; seq: number } {
  if (b.length < SEGMENT_HEADER_BYTES) throw new SegmentFormatError('truncated segment header');
  if (!b.subarray(0, 8).equals(SEGMENT_MAGIC)) throw new SegmentFormatError('bad segment magic');
  if (b[8] !== SEGMENT_FORMAT_VERSION) throw new SegmentFormatError(`unsupported segment version ${String(b[8])}`);
  if ((crc32c(b.subarray(0, 28)) >>> 0) !== b.readUInt32BE(28)) throw new SegmentFormatError('segment header CRC mismatch');
  return { firstObjectId: Number(b.readBigUInt64BE(12)), seq: b.readUInt32BE(20) };
}

/** Index entries + trailer for the first `count` records of `index`. */
export function encodeFooter(index: RecordIndex, firstObjectId: number, indexOffset: number, count = index.count, coding?: CodingTally): Buffer {
  const b = Buffer.alloc(count * INDEX_ENTRY_BYTES + TRAILER_BYTES);
  for (let i = 0; i < count; i++) {
    const at = i * INDEX_ENTRY_BYTES;
    b.writeUIntBE(index.offset(i), at, 6);
    b[at + 6] = index.kind(i);
    b.writeUInt32BE(index.length(i), at + 8);
    b.writeUInt32BE(index.crc(i), at + 12);
  }
  const t = count * INDEX_ENTRY_BYTES;
  INDEX_MAGIC.copy(b, t);
  b[t + 8] = SEGMENT_FORMAT_VERSION;
  if (coding !== undefined) {
    b[t + 9] = (coding.flags & 0x7f) | (coding.mixed ? 0x80 : 0);
    b.writeUInt16BE(coding.keyCheck ?? 0, t + 10);
  }
  b.writeUInt32BE(count, t + 12);
  b.writeBigUInt64BE(BigInt(firstObjectId), t + 16);
  b.writeBigUInt64BE(BigInt(indexOffset), t + 24);
  b.writeUInt32BE(crc32c(b.subarray(0, t)) >>> 0, t + 32);
  b.writeUInt32BE(crc32c(b.subarray(t, t + 36)) >>> 0, t + 36);
  return b;
}

export interface DecodedFooter {
  readonly index: RecordIndex;
  readonly coding: CodingTally;
  readonly firstObjectId: number;
  readonly indexOffset: number;
}

/** Decode index + trailer (the bytes from the index offset to the end of the object). */
export function decodeFooter(b: Buffer): DecodedFooter {
  if (b.length < TRAILER_BYTES) throw new SegmentFormatError('truncated footer');
  const t = b.length - TRAILER_BYTES;
  if (!b.subarray(t, t + 8).equals(INDEX_MAGIC)) throw new SegmentFormatError('bad index magic');
  if (b[t + 8] !== SEGMENT_FORMAT_VERSION) throw new SegmentFormatError(`unsupported index version ${String(b[t + 8])}`);
  if ((crc32c(b.subarray(t, t + 36)) >>> 0) !== b.readUInt32BE(t + 36)) throw new SegmentFormatError('trailer CRC mismatch');
  const count = b.readUInt32BE(t + 12);
  if (count * INDEX_ENTRY_BYTES !== t) throw new SegmentFormatError('index length does not match record count');
  if ((crc32c(b.subarray(0, t)) >>> 0) !== b.readUInt32BE(t + 32)) throw new SegmentFormatError('index CRC mismatch');
  const index = new RecordIndex(Math.max(1, count));
  for (let i = 0; i < count; i++) {
    const at = i * INDEX_ENTRY_BYTES;
    const kind = b[at + 6];
    if (kind !== RecordKind.DATA && kind !== RecordKind.FILEMARK) throw new SegmentFormatError(`index entry ${i}: bad kind`);
    index.push(b.readUIntBE(at, 6), kind, b.readUInt32BE(at + 8), b.readUInt32BE(at + 12));
  }
  const coding = new CodingTally();
  coding.flags = b[t + 9]! & 0x7f;
  coding.mixed = (b[t + 9]! & 0x80) !== 0;
  coding.keyCheck = b.readUInt16BE(t + 10);
  return { index, coding, firstObjectId: Number(b.readBigUInt64BE(t + 16)), indexOffset: Number(b.readBigUInt64BE(t + 24)) };
}

export interface ScanResult {
  readonly index: RecordIndex;
  /** The coding of the data records found. */
  readonly coding: CodingTally;
  /** Bytes of the valid prefix (header + whole, verified records). */
  readonly end: number;
  /** Why the scan stopped before `limit`, if it did. */
  readonly stopped?: string;
}

/**
 * Walk the records of an unsealed segment image from the header on, verifying
 * each record header and payload CRC, up to `limit` bytes. Used by staging
 * recovery; stops at the first record that is incomplete or does not verify.
 */
export function scanRecords(image: Buffer, limit = image.length): ScanResult {
  const index = new RecordIndex();
  const coding = new CodingTally();
  let at = SEGMENT_HEADER_BYTES;
  const end = Math.min(limit, image.length);
  while (at < end) {
    const h = readRecordHeader(image.subarray(0, end), at);
    if (typeof h === 'string') return { index, coding, end: at, stopped: h };
    const payloadEnd = at + RECORD_HEADER_BYTES + h.length;
    if (payloadEnd > end) return { index, coding, end: at, stopped: 'truncated record payload' };
    if ((crc32c(image.subarray(at + RECORD_HEADER_BYTES, payloadEnd)) >>> 0) !== h.crc) {
      return { index, coding, end: at, stopped: 'record payload CRC mismatch' };
    }
    index.push(at, h.kind, h.length, h.crc);
    if (h.kind === RecordKind.DATA) coding.note(h.coding);
    at = payloadEnd;
  }
  return { index, coding, end: at };
}

/** A block's `data` is stored as given; `coding` says how it was encoded (record-codec.ts). */
export type SegmentRecord = { readonly kind: 'block'; readonly data: Buffer; readonly coding?: RecordCoding } | { readonly kind: 'filemark' };

/** Encode a whole segment in memory (test vectors, tools); the cartridge streams instead. */
export function encodeSegment(firstObjectId: number, seq: number, records: readonly SegmentRecord[]): Buffer {
  const parts: Buffer[] = [encodeSegmentHeader(firstObjectId, seq)];
  const index = new RecordIndex();
  const tally = new CodingTally();
  let at = SEGMENT_HEADER_BYTES;
  for (const r of records) {
    const data = r.kind === 'block' ? r.data : Buffer.alloc(0);
    const kind = r.kind === 'block' ? RecordKind.DATA : RecordKind.FILEMARK;
    const coding = r.kind === 'block' ? (r.coding ?? 0) : 0;
    const crc = crc32c(data) >>> 0;
    const h = Buffer.alloc(RECORD_HEADER_BYTES);
    writeRecordHeader(h, 0, kind, data.length, crc, coding);
    parts.push(h, data);
    index.push(at, kind, data.length, crc);
    if (kind === RecordKind.DATA) tally.note(coding);
    at += RECORD_HEADER_BYTES + data.length;
  }
  parts.push(encodeFooter(index, firstObjectId, at, index.count, tally));
  return Buffer.concat(parts);
}

/**
 * Verify one record image (header + payload) against its index entry; returns
 * the record's coding (record-format.ts) or a reason string.
 */
export function verifyRecord(image: Buffer, kind: RecordKind, length: number, crc: number): RecordCoding | string {
  const h = readRecordHeader(image, 0);
  if (typeof h === 'string') return h;
  if (h.kind !== kind || h.length !== length || h.crc !== crc) return 'record header disagrees with the index';
  if (image.length < RECORD_HEADER_BYTES + length) return 'truncated record payload';
  if ((crc32c(image.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + length)) >>> 0) !== crc) return 'record payload CRC mismatch';
  return h.coding;
}
