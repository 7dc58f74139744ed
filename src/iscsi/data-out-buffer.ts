// The memory of one write command's Data-Out, taken as the data arrives.
//
// A transfer of at most CONTIGUOUS_MAX bytes (tape blocks, disk writes) gets
// one buffer when its first byte arrives, so the data is gathered in place
// and reaches the logical unit without another copy. A longer transfer is
// gathered in CHUNK-sized pieces, each taken when data for it arrives, and
// assembled into one buffer once all of it is in: an initiator announcing
// 64 MiB and sending 1 MiB makes the target hold about 1 MiB.
import { dataOutPool } from './buffer-pool.ts';

export const CONTIGUOUS_MAX = 1024 * 1024;
const CHUNK = 1024 * 1024;

export class DataOutBuffer {
  readonly length: number;
  readonly #account: (delta: number) => void;
  #whole: Buffer | undefined;
  #chunks: (Buffer | undefined)[] | undefined;
  #held = 0;

  /** `account` hears every byte taken (+) and given back (-). */
  constructor(length: number, account: (delta: number) => void = () => {}) {
    this.length = length;
    this.#account = account;
    if (length > CONTIGUOUS_MAX) this.#chunks = new Array<Buffer | undefined>(Math.ceil(length / CHUNK));
  }

  /** Bytes of memory held now. */
  get held(): number {
    return this.#held;
  }

  /** Take `data` as the whole transfer (immediate data that covers it): no copy. */
  adopt(data: Buffer): void {
    this.#whole = data;
    this.#take(data.length);
  }

  /**
   * Where `length` bytes at `offset` may be received directly, when that
   * memory is already held in one piece (the parser then copies into it once).
   */
  view(offset: number, length: number): Buffer | undefined {
    if (offset + length > this.length) return undefined;
    if (this.#chunks === undefined) return this.#wholeBuffer().subarray(offset, offset + length);
    const i = Math.floor(offset / CHUNK);
    const chunk = this.#chunks[i];
    if (chunk === undefined || offset + length > (i + 1) * CHUNK) return undefined;
    return chunk.subarray(offset - i * CHUNK, offset - i * CHUNK + length);
  }

  /** Copy `data` to `offset` (nothing to do when it was received in place through view()). */
  place(offset: number, data: Buffer): void {
    if (data.length === 0) return;
    if (this.#chunks === undefined) {
      const buf = this.#wholeBuffer();
      if (data.buffer !== buf.buffer || data.byteOffset !== buf.byteOffset + offset) data.copy(buf, offset);
      return;
    }
    for (let done = 0; done < data.length; ) {
      const at = offset + done;
      const i = Math.floor(at / CHUNK);
      const chunk = this.#chunk(i);
      const within = at - i * CHUNK;
      const n = Math.min(data.length - done, chunk.length - within);
      if (data.buffer !== chunk.buffer || data.byteOffset + done !== chunk.byteOffset + within) {
        data.copy(chunk, within, done, done + n);
      }
      done += n;
    }
  }

  /** The whole transfer as one buffer (assembled from its pieces the first time). */
  buffer(): Buffer {
    const chunks = this.#chunks;
    if (chunks === undefined) return this.#wholeBuffer();
    const whole = dataOutPool.take(this.length);
    this.#take(this.length);
    chunks.forEach((c, i) => {
      if (c === undefined) whole.fill(0, i * CHUNK, Math.min(this.length, (i + 1) * CHUNK));
      else c.copy(whole, i * CHUNK);
    });
    this.#chunks = undefined;
    this.#whole = whole;
    for (const c of chunks) this.#give(c);
    return whole;
  }

  /** Give the memory back; `keep` is a buffer still in use (data-in that is a view of it). */
  release(keep?: ArrayBufferLike): void {
    for (const c of this.#chunks ?? []) this.#give(c, keep);
    this.#chunks = undefined;
    this.#give(this.#whole, keep);
    this.#whole = undefined;
  }

  #wholeBuffer(): Buffer {
    if (this.#whole === undefined) {
      this.#whole = dataOutPool.take(this.length);
      this.#take(this.length);
    }
    return this.#whole;
  }

  #chunk(i: number): Buffer {
    const chunks = this.#chunks!;
    let c = chunks[i];
    if (c === undefined) {
      c = chunks[i] = dataOutPool.take(Math.min(CHUNK, this.length - i * CHUNK));
      this.#take(c.length);
    }
    return c;
  }

  #take(n: number): void {
    this.#held += n;
    this.#account(n);
  }

  #give(b: Buffer | undefined, keep?: ArrayBufferLike): void {
    if (b === undefined) return;
    this.#held -= b.length;
    this.#account(-b.length);
    if (b.buffer !== keep) dataOutPool.give(b);
  }
}
