// Records: a tape block or a filemark, as stored in a segment.
//
// Record header, 16 bytes, big-endian:
//   0  u32  payload length (0 for a filemark)
//   4  u8   kind: 1 data block, 2 filemark
//   5  u8   flags: bit 0 payload deflated, bit 1 payload AES-256-GCM
//               (record-codec.ts); 0 for a filemark and a plain block
//   6  u16  key check value of the encrypting key (0 unless bit 1)
//   8  u32  CRC32C of the payload as stored
//  12  u32  CRC32C of bytes 0..11
// followed by the payload. Records are self-describing so an unsealed staging
// segment can be scanned after a crash; the footer index repeats the facts.
//
// Bytes 5..7 together are the record's *coding* (flags << 16 | key check),
// passed around as one number so the append path allocates nothing for it.
// The CRC covers the stored bytes, not the logical block: corruption is found
// before any decryption or inflation is attempted, recovery scans never need
// a key, and a reader can tell "the bytes changed" (MEDIUM ERROR) from "the
// key is wrong or missing" (DATA PROTECT).

import { crc32c } from '@node-rs/crc32';

export const RECORD_HEADER_BYTES = 16;

export const RecordKind = { DATA: 1, FILEMARK: 2 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RecordFlag = { DEFLATE: 0x01, AES_256_GCM: 0x02 } as const;
const KNOWN_FLAGS = RecordFlag.DEFLATE | RecordFlag.AES_256_GCM;

/** A record's coding: flags << 16 | key check value (0: a plain record). */
export type RecordCoding = number;
export const PLAIN_CODING: RecordCoding = 0;
export const codingOf = (flags: number, keyCheck: number): RecordCoding => ((flags & 0xff) << 16) | (keyCheck & 0xffff);
export const codingFlags = (c: RecordCoding): number => (c >>> 16) & 0xff;
export const codingKeyCheck = (c: RecordCoding): number => c & 0xffff;

export interface RecordHeader {
  readonly length: number;
  readonly kind: RecordKind;
  readonly crc: number;
  readonly coding: RecordCoding;
}

export function writeRecordHeader(target: Buffer, at: number, kind: RecordKind, length: number, crc: number, coding: RecordCoding = PLAIN_CODING): void {
  target.writeUInt32BE(length, at);
  target[at + 4] = kind;
  target[at + 5] = (coding >>> 16) & 0xff;
  target.writeUInt16BE(coding & 0xffff, at + 6);
  target.writeUInt32BE(crc >>> 0, at + 8);
  target.writeUInt32BE(crc32c(target.subarray(at, at + 12)) >>> 0, at + 12);
}

/** Decode a record header; returns a reason string when it is not valid. */
export function readRecordHeader(source: Buffer, at: number): RecordHeader | string {
  if (source.length - at < RECORD_HEADER_BYTES) return 'truncated record header';
  const expect = source.readUInt32BE(at + 12);
  if ((crc32c(source.subarray(at, at + 12)) >>> 0) !== expect) return 'record header CRC mismatch';
  const kind = source[at + 4];
  if (kind !== RecordKind.DATA && kind !== RecordKind.FILEMARK) return `unknown record kind ${String(kind)}`;
  const length = source.readUInt32BE(at);
  if (kind === RecordKind.FILEMARK && length !== 0) return 'filemark with a payload';
  const flags = source[at + 5]!;
  const keyCheck = source.readUInt16BE(at + 6);
  if ((flags & ~KNOWN_FLAGS) !== 0) return `unknown record flags 0x${flags.toString(16)}`;
  if (kind === RecordKind.FILEMARK && (flags !== 0 || keyCheck !== 0)) return 'filemark with a coding';
  if ((flags & RecordFlag.AES_256_GCM) === 0 && keyCheck !== 0) return 'key check value on an unencrypted record';
  return { length, kind, crc: source.readUInt32BE(at + 8), coding: codingOf(flags, keyCheck) };
}

/**
 * What the data records of one segment say about their coding: the union of
 * their flags and the key check value they share (undefined before the first
 * data record). A segment holds records of one key; `mixed` says that rule
 * was broken (a key check value differs between records).
 */
export class CodingTally {
  flags = 0;
  keyCheck: number | undefined = undefined;
  mixed = false;

  note(coding: RecordCoding): void {
    this.flags |= (coding >>> 16) & 0xff;
    const check = coding & 0xffff;
    if (this.keyCheck === undefined) this.keyCheck = check;
    else if (check !== this.keyCheck) this.mixed = true;
  }

  merge(other: CodingTally): void {
    this.flags |= other.flags;
    if (other.keyCheck !== undefined) this.note(other.keyCheck);
    this.mixed ||= other.mixed;
  }
}

/**
 * The per-segment record index: parallel typed arrays (offset of the record
 * header in the segment, payload length, payload CRC32C, kind). Growable while
 * a segment is written; about 17 bytes per record.
 */
export class RecordIndex {
  #offsets: Float64Array;
  #lengths: Uint32Array;
  #crcs: Uint32Array;
  #kinds: Uint8Array;
  #count = 0;

  constructor(capacity = 256) {
    this.#offsets = new Float64Array(capacity);
    this.#lengths = new Uint32Array(capacity);
    this.#crcs = new Uint32Array(capacity);
    this.#kinds = new Uint8Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  push(offset: number, kind: RecordKind, length: number, crc: number): void {
    if (this.#count === this.#offsets.length) this.#grow();
    const i = this.#count++;
    this.#offsets[i] = offset;
    this.#lengths[i] = length;
    this.#crcs[i] = crc >>> 0;
    this.#kinds[i] = kind;
  }

  /** Forget records from `count` on (an overwrite inside an open segment). */
  truncate(count: number): void {
    if (count < 0 || count > this.#count) throw new RangeError(`truncate ${count} of ${this.#count}`);
    this.#count = count;
  }

  offset(i: number): number {
    return this.#offsets[this.#check(i)]!;
  }
  length(i: number): number {
    return this.#lengths[this.#check(i)]!;
  }
  crc(i: number): number {
    return this.#crcs[this.#check(i)]!;
  }
  kind(i: number): RecordKind {
    return this.#kinds[this.#check(i)]! as RecordKind;
  }

  /** Sum of payload bytes of records [0, count). */
  dataBytes(count = this.#count): number {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += this.#lengths[i]!;
    return sum;
  }

  /** Record numbers (0-based within the segment) of filemarks among the first `count`. */
  filemarks(count = this.#count): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (this.#kinds[i] === RecordKind.FILEMARK) out.push(i);
    return out;
  }

  #check(i: number): number {
    if (!(i >= 0 && i < this.#count)) throw new RangeError(`record ${i} outside 0..${this.#count - 1}`);
    return i;
  }

  #grow(): void {
    const n = Math.max(16, this.#offsets.length * 2);
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#offsets = grow(this.#offsets, (k) => new Float64Array(k));
    this.#lengths = grow(this.#lengths, (k) => new Uint32Array(k));
    this.#crcs = grow(this.#crcs, (k) => new Uint32Array(k));
    this.#kinds = grow(this.#kinds, (k) => new Uint8Array(k));
  }
}
