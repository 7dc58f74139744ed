// Incremental PDU framer (RFC 7143 §11.2): BHS(48) + AHS + HeaderDigest +
// DataSegment + pad to 4 + DataDigest. Pure: bytes in, framed PDUs out; any
// TCP split works. A PDU that lies inside one received chunk is returned as
// views of that chunk (no copy); a PDU spread over chunks is copied once.
import { BHS_LENGTH, DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH } from './constants.ts';
import { crc32c } from './crc32c.ts';
import type { RawPdu } from './pdu.ts';

/** Framing errors after which nothing further on the stream can be trusted. */
export interface FramingError {
  readonly kind: 'framing-error';
  readonly error: 'header-digest' | 'data-segment-too-long';
  readonly detail: string;
}

export class PduParser {
  /** Digests apply from the first PDU after login completes; the connection flips these. */
  headerDigest = false;
  dataDigest = false;
  /** Our MaxRecvDataSegmentLength: larger data segments are refused before being buffered. */
  maxDataSegmentLength = DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;

  #chunks: Buffer[] = [];
  #head = 0; // read offset into #chunks[0]
  #available = 0;
  #failed: FramingError | undefined;

  get buffered(): number {
    return this.#available;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.#failed !== undefined) return;
    this.#chunks.push(chunk);
    this.#available += chunk.length;
  }

  /** The next complete PDU, a framing error (sticky), or undefined when more bytes are needed. */
  next(): RawPdu | FramingError | undefined {
    if (this.#failed !== undefined) return this.#failed;
    if (this.#available < BHS_LENGTH) return undefined;
    const bhs = this.#peek(BHS_LENGTH);
    const ahsLength = bhs[4]! * 4;
    const dataLength = bhs.readUIntBE(5, 3);
    if (dataLength > this.maxDataSegmentLength) {
      return this.#fail('data-segment-too-long', `${dataLength} > ${this.maxDataSegmentLength}`);
    }
    const hd = this.headerDigest ? 4 : 0;
    const padded = (dataLength + 3) & ~3;
    const dd = this.dataDigest && dataLength > 0 ? 4 : 0;
    const total = BHS_LENGTH + ahsLength + hd + padded + dd;
    if (this.#available < total) return undefined;
    const pdu = this.#take(total);
    const headerEnd = BHS_LENGTH + ahsLength;
    if (hd !== 0) {
      const expected = crc32c(pdu.subarray(0, headerEnd));
      if (pdu.readUInt32LE(headerEnd) !== expected) {
        return this.#fail('header-digest', 'header digest mismatch');
      }
    }
    const dataStart = headerEnd + hd;
    let dataDigestError = false;
    if (dd !== 0) {
      const expected = crc32c(pdu.subarray(dataStart, dataStart + padded));
      dataDigestError = pdu.readUInt32LE(dataStart + padded) !== expected;
    }
    return {
      bhs: pdu.subarray(0, BHS_LENGTH),
      ahs: pdu.subarray(BHS_LENGTH, headerEnd),
      data: pdu.subarray(dataStart, dataStart + dataLength),
      dataDigestError,
    };
  }

  #fail(error: FramingError['error'], detail: string): FramingError {
    this.#failed = { kind: 'framing-error', error, detail };
    this.#chunks = [];
    this.#available = 0;
    return this.#failed;
  }

  /** The first n bytes without consuming them (copies only when they straddle chunks). */
  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.#head;
    for (const c of this.#chunks) {
      const k = Math.min(n - filled, c.length - offset);
      c.copy(out, filled, offset, offset + k);
      filled += k;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  /** Consume n bytes: a view when they lie in one chunk, else one copy. */
  #take(n: number): Buffer {
    this.#available -= n;
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(n - filled, c.length - this.#head);
      c.copy(out, filled, this.#head, this.#head + k);
      filled += k;
      this.#head += k;
      if (this.#head === c.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    return out;
  }
}

export function isFramingError(x: RawPdu | FramingError): x is FramingError {
  return 'kind' in x;
}
