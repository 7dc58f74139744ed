// The journal object (jnl/...jnl): immutable, one per shipment.
//
//   off  size  field
//   0    8     magic "S3VCDPJ1"
//   8    4     u32 BE length of the JSON part
//   12   4     u32 BE entry count N
//   16   J     JSON: { volume, blockSize, firstSeq, lastSeq, firstUs, lastUs, gaps }
//   16+J 48*N  entry index, each: u64 seq, u64 time µs, u64 lba, u32 blocks,
//              u32 CRC32C of the data, u64 data offset (from the data start), u32 flags, u32 0
//   ...  4     u32 CRC32C of every byte above (the header)
//   ...  D     data of the entries, in index order
//   ...  4     u32 CRC32C of the data
//   ...  8     magic "S3VCDPJE"
//
// Entries and gaps together cover firstSeq..lastSeq without a hole. A gap is
// a span of writes acknowledged while the local journal was full: only the
// chunks it touched are known. Flag ZERO: the blocks became zeros (no data).
import { crc32c } from '@node-rs/crc32';

export const JOURNAL_MAGIC = Buffer.from('S3VCDPJ1', 'latin1');
export const JOURNAL_END = Buffer.from('S3VCDPJE', 'latin1');
export const ENTRY_BYTES = 48;
export const FLAG_ZERO = 1;

export interface JournalEntry {
  seq: number;
  timeUs: number;
  lba: number;
  blocks: number;
  crc: number;
  flags: number;
  /** Offset of the data from the start of the data part (object) or of the record (local). */
  dataOffset: number;
}

export interface JournalGap {
  firstSeq: number;
  lastSeq: number;
  firstUs: number;
  lastUs: number;
  chunks: number[];
}

export interface JournalHeader {
  volume: string;
  blockSize: number;
  firstSeq: number;
  lastSeq: number;
  firstUs: number;
  lastUs: number;
  gaps: JournalGap[];
}

export interface DecodedHeader {
  header: JournalHeader;
  entries: JournalEntry[];
  /** Offset of the data part in the object. */
  dataStart: number;
}

export const dataBytes = (e: JournalEntry, blockSize: number): number => ((e.flags & FLAG_ZERO) !== 0 ? 0 : e.blocks * blockSize);

/** Encode an object from entries (dataOffset ignored: laid out in order) and their data. */
export function encodeJournal(header: JournalHeader, entries: readonly JournalEntry[], data: readonly Buffer[]): Buffer[] {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(16 + json.length + ENTRY_BYTES * entries.length + 4);
  JOURNAL_MAGIC.copy(head, 0);
  head.writeUInt32BE(json.length, 8);
  head.writeUInt32BE(entries.length, 12);
  json.copy(head, 16);
  let at = 16 + json.length;
  let off = 0;
  let dataCrc = 0;
  entries.forEach((e, i) => {
    const d = data[i]!;
    head.writeBigUInt64BE(BigInt(e.seq), at);
    head.writeBigUInt64BE(BigInt(e.timeUs), at + 8);
    head.writeBigUInt64BE(BigInt(e.lba), at + 16);
    head.writeUInt32BE(e.blocks, at + 24);
    head.writeUInt32BE(e.crc >>> 0, at + 28);
    head.writeBigUInt64BE(BigInt(off), at + 32);
    head.writeUInt32BE(e.flags, at + 40);
    at += ENTRY_BYTES;
    off += d.length;
    dataCrc = crc32c(d, dataCrc);
  });
  head.writeUInt32BE(crc32c(head.subarray(0, at)) >>> 0, at);
  const tail = Buffer.alloc(12);
  tail.writeUInt32BE(dataCrc >>> 0, 0);
  JOURNAL_END.copy(tail, 4);
  return [head, ...data, tail];
}

/** Bytes of the header given its first 16 bytes; throws on a bad magic. */
export function headerLength(first16: Buffer): number {
  if (first16.length < 16 || !first16.subarray(0, 8).equals(JOURNAL_MAGIC)) throw new Error('bad journal magic');
  return 16 + first16.readUInt32BE(8) + ENTRY_BYTES * first16.readUInt32BE(12) + 4;
}

/** Decode and check the header (its CRC, seq coverage); throws Error with the reason. */
export function decodeJournalHeader(buf: Buffer): DecodedHeader {
  const len = headerLength(buf);
  if (buf.length < len) throw new Error(`journal header truncated (${buf.length} of ${len} bytes)`);
  const crcAt = len - 4;
  if ((crc32c(buf.subarray(0, crcAt)) >>> 0) !== buf.readUInt32BE(crcAt)) throw new Error('journal header CRC mismatch');
  const jsonLen = buf.readUInt32BE(8);
  const count = buf.readUInt32BE(12);
  const header = JSON.parse(buf.subarray(16, 16 + jsonLen).toString('utf8')) as JournalHeader;
  const entries: JournalEntry[] = [];
  let at = 16 + jsonLen;
  for (let i = 0; i < count; i++, at += ENTRY_BYTES) {
    entries.push({
      seq: Number(buf.readBigUInt64BE(at)),
      timeUs: Number(buf.readBigUInt64BE(at + 8)),
      lba: Number(buf.readBigUInt64BE(at + 16)),
      blocks: buf.readUInt32BE(at + 24),
      crc: buf.readUInt32BE(at + 28),
      dataOffset: Number(buf.readBigUInt64BE(at + 32)),
      flags: buf.readUInt32BE(at + 40),
    });
  }
  checkCoverage(header, entries);
  return { header, entries, dataStart: len };
}

function checkCoverage(h: JournalHeader, entries: readonly JournalEntry[]): void {
  const spans: [number, number][] = entries.map((e) => [e.seq, e.seq]);
  for (const g of h.gaps) spans.push([g.firstSeq, g.lastSeq]);
  spans.sort((a, b) => a[0] - b[0]);
  let next = h.firstSeq;
  for (const [a, b] of spans) {
    if (a !== next) throw new Error(`journal does not cover seq ${next} (next span starts at ${a})`);
    next = b + 1;
  }
  if (next !== h.lastSeq + 1) throw new Error(`journal covers up to ${next - 1}, header says ${h.lastSeq}`);
}

/** Check a whole object: header, data CRC, trailer, every entry's CRC. */
export function decodeJournal(buf: Buffer): DecodedHeader & { data: Buffer } {
  const d = decodeJournalHeader(buf);
  if (buf.length < d.dataStart + 12) throw new Error('journal truncated');
  const data = buf.subarray(d.dataStart, buf.length - 12);
  if (!buf.subarray(buf.length - 8).equals(JOURNAL_END)) throw new Error('journal trailer missing');
  if ((crc32c(data) >>> 0) !== buf.readUInt32BE(buf.length - 12)) throw new Error('journal data CRC mismatch');
  for (const e of d.entries) {
    const n = dataBytes(e, d.header.blockSize);
    if (e.dataOffset + n > data.length) throw new Error(`entry ${e.seq} data past the end`);
    if (n > 0 && (crc32c(data.subarray(e.dataOffset, e.dataOffset + n)) >>> 0) !== e.crc) throw new Error(`entry ${e.seq} CRC32C mismatch`);
  }
  return { ...d, data };
}
