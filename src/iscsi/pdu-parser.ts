// Incremental PDU framer (RFC 7143 §11.2): BHS(48) + AHS + HeaderDigest +
// DataSegment + pad to 4 + DataDigest. Pure: bytes in, framed PDUs out; any
// TCP split works. A PDU that lies inside one received chunk is returned as
// views of that chunk (no copy). A PDU spread over chunks is copied once, into
// a buffer of its exact size allocated as soon as its BHS is known: each chunk
// is copied in as it arrives and released, so the parser holds at most one
// PDU plus the unparsed rest of the last chunk. A `dataSink` may name where a
// data segment is to land instead (Data-Out straight into its task's buffer).
import { BHS_LENGTH, DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH } from './constants.ts';
import { crc32c } from './crc32c.ts';
import type { RawPdu } from './pdu.ts';

/** Framing errors after which nothing further on the stream can be trusted. */
export interface FramingError {
  readonly kind: 'framing-error';
  readonly error: 'header-digest' | 'data-segment-too-long';
  readonly detail: string;
}

/**
 * Where the data segment of a PDU that is about to be gathered should land:
 * a view of exactly `length` bytes, or undefined for a buffer of the parser's.
 */
export type DataSink = (bhs: Buffer, length: number) => Buffer | undefined;

export class PduParser {
  /** Digests apply from the first PDU after login completes; the connection flips these. */
  headerDigest = false;
  dataDigest = false;
  /** Our MaxRecvDataSegmentLength: larger data segments are refused before being buffered. */
  maxDataSegmentLength = DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
  dataSink: DataSink | undefined;

  #chunks: Buffer[] = [];
  #head = 0; // read offset into #chunks[0]
  #available = 0;
  /**
   * The PDU being gathered (its length is known from its BHS): one buffer, or
   * three (header, data segment, pad + data digest) when a sink took the data.
   */
  #partial: Gathering | undefined;
  #failed: FramingError | undefined;

  /** Bytes received and not yet returned as PDUs. */
  get buffered(): number {
    return this.#available + (this.#partial?.filled ?? 0);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.#failed !== undefined) return;
    this.#chunks.push(chunk);
    this.#available += chunk.length;
  }

  /** The next complete PDU, a framing error (sticky), or undefined when more bytes are needed. */
  next(): RawPdu | FramingError | undefined {
    if (this.#failed !== undefined) return this.#failed;
    const partial = this.#partial;
    if (partial !== undefined) return this.#gather(partial);
    if (this.#available < BHS_LENGTH) return undefined;
    const bhs = this.#peek(BHS_LENGTH);
    const dataLength = bhs.readUIntBE(5, 3);
    if (dataLength > this.maxDataSegmentLength) {
      return this.#fail('data-segment-too-long', `${dataLength} > ${this.maxDataSegmentLength}`);
    }
    const ahsLength = bhs[4]! * 4;
    const layout: Layout = {
      headerEnd: BHS_LENGTH + ahsLength,
      hd: this.headerDigest ? 4 : 0,
      dataLength,
      padded: (dataLength + 3) & ~3,
      dd: this.dataDigest && dataLength > 0 ? 4 : 0,
    };
    const total = layout.headerEnd + layout.hd + layout.padded + layout.dd;
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= total) {
      // The whole PDU lies in one chunk: views, no copy.
      const pdu = first.subarray(this.#head, this.#head + total);
      this.#consume(total);
      return this.#complete(pdu, layout);
    }
    const dest = dataLength > 0 && this.#headerTrusted(layout) ? this.dataSink?.(bhs, dataLength) : undefined;
    const parts =
      dest === undefined
        ? [Buffer.allocUnsafe(total)]
        : [Buffer.allocUnsafe(layout.headerEnd + layout.hd), dest, Buffer.allocUnsafe(layout.padded - dataLength + layout.dd)];
    return this.#gather({ parts, layout, part: 0, at: 0, filled: 0 });
  }

  /**
   * Whether the header may steer data into a sink: always without a header
   * digest; with one, only once the whole header and its digest have arrived
   * and match (a corrupt ITT or Buffer Offset must not pick the destination).
   */
  #headerTrusted(l: Layout): boolean {
    if (l.hd === 0) return true;
    if (this.#available < l.headerEnd + l.hd) return false;
    const head = this.#peek(l.headerEnd + l.hd);
    return head.readUInt32LE(l.headerEnd) === crc32c(head.subarray(0, l.headerEnd));
  }

  #gather(p: Gathering): RawPdu | FramingError | undefined {
    while (p.part < p.parts.length) {
      const out = p.parts[p.part]!;
      const n = this.#takeInto(out, p.at);
      p.at += n;
      p.filled += n;
      if (p.at < out.length) {
        this.#partial = p;
        return undefined;
      }
      p.part++;
      p.at = 0;
    }
    this.#partial = undefined;
    const [head, data, tail] = p.parts;
    if (data === undefined) return this.#complete(head!, p.layout);
    return this.#completeParts(head!, data, tail!, p.layout);
  }

  /** As #complete, for a PDU gathered as header, data (in the sink's buffer), pad + data digest. */
  #completeParts(head: Buffer, data: Buffer, tail: Buffer, l: Layout): RawPdu | FramingError {
    if (l.hd !== 0 && head.readUInt32LE(l.headerEnd) !== crc32c(head.subarray(0, l.headerEnd))) {
      return this.#fail('header-digest', 'header digest mismatch');
    }
    const pad = l.padded - l.dataLength;
    const dataDigestError = l.dd !== 0 && tail.readUInt32LE(pad) !== crc32c(tail.subarray(0, pad), crc32c(data));
    return { bhs: head.subarray(0, BHS_LENGTH), ahs: head.subarray(BHS_LENGTH, l.headerEnd), data, dataDigestError };
  }

  /** Check the digests of a whole PDU and cut it into its parts. */
  #complete(pdu: Buffer, l: Layout): RawPdu | FramingError {
    if (l.hd !== 0) {
      const expected = crc32c(pdu.subarray(0, l.headerEnd));
      if (pdu.readUInt32LE(l.headerEnd) !== expected) {
        return this.#fail('header-digest', 'header digest mismatch');
      }
    }
    const dataStart = l.headerEnd + l.hd;
    let dataDigestError = false;
    if (l.dd !== 0) {
      const expected = crc32c(pdu.subarray(dataStart, dataStart + l.padded));
      dataDigestError = pdu.readUInt32LE(dataStart + l.padded) !== expected;
    }
    return {
      bhs: pdu.subarray(0, BHS_LENGTH),
      ahs: pdu.subarray(BHS_LENGTH, l.headerEnd),
      data: pdu.subarray(dataStart, dataStart + l.dataLength),
      dataDigestError,
    };
  }

  #fail(error: FramingError['error'], detail: string): FramingError {
    this.#failed = { kind: 'framing-error', error, detail };
    this.#chunks = [];
    this.#available = 0;
    this.#partial = undefined;
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

  /** Drop n bytes that lie in the first chunk. */
  #consume(n: number): void {
    this.#available -= n;
    this.#head += n;
    if (this.#head === this.#chunks[0]!.length) {
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Move buffered bytes into out[at..] (as many as fit); returns how many were moved. */
  #takeInto(out: Buffer, at: number): number {
    let filled = at;
    while (filled < out.length && this.#available > 0) {
      const c = this.#chunks[0]!;
      const k = Math.min(out.length - filled, c.length - this.#head);
      c.copy(out, filled, this.#head, this.#head + k);
      filled += k;
      this.#consume(k);
    }
    return filled - at;
  }
}

interface Gathering {
  readonly parts: Buffer[];
  readonly layout: Layout;
  /** The part being filled, and how far. */
  part: number;
  at: number;
  /** Bytes gathered in all parts. */
  filled: number;
}

interface Layout {
  readonly headerEnd: number;
  readonly hd: number;
  readonly dataLength: number;
  readonly padded: number;
  readonly dd: number;
}

export function isFramingError(x: RawPdu | FramingError): x is FramingError {
  return 'kind' in x;
}
