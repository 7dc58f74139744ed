// Records: a tape block or a filemark, as stored in a segment.
//
// Record header, 16 bytes, big-endian:
//   0  u32  payload length (0 for a filemark)
//   4  u8   kind: 1 data block, 2 filemark
//   5  u8   flags (0; reserved for compression/encryption)
//   6  u16  reserved (0)
//   8  u32  CRC32C of the payload
//  12  u32  CRC32C of bytes 0..11
// followed by the payload. Records are self-describing so an unsealed staging
// segment can be scanned after a crash; the footer index repeats the facts.

import { crc32c } from '@node-rs/crc32';

export const RECORD_HEADER_BYTES = 16;

export const RecordKind = { DATA: 1, FILEMARK: 2 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface RecordHeader {
  readonly length: number;
  readonly kind: RecordKind;
  readonly crc: number;
}

export function writeRecordHeader(target: Buffer, at: number, kind: RecordKind, length: number, crc: number): void {
  target.writeUInt32BE(length, at);
  target[at + 4] = kind;
  target[at + 5] = 0;
  target.writeUInt16BE(0, at + 6);
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
  return { length, kind, crc: source.readUInt32BE(at + 8) };
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
