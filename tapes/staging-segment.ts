// One segment in the local staging area (the upload buffer): a file that is
// the segment object being built. Records are copied into a batch buffer and
// written with one syscall per batch, so an 8 KiB block costs a CRC and a
// memcpy, not a write(2). sync() makes everything appended durable; seal()
// appends the footer index and fsyncs, after which the file is the exact
// object to upload. In a large segment (1 GiB on S3) a datasync starts in the
// background every FLUSH_BEHIND_BYTES written, so a sync point flushes only
// what came since, not the whole segment (a filemark after 1 GiB took 0.6 to
// 0.9 s; the disk does the same work either way, but no longer while a
// command waits). Small segments (64 MiB on a directory store) are sealed, and
// fsynced, often enough without; there the extra datasyncs only compete with
// the writes.

import { crc32c } from '@node-rs/crc32';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CodingTally, PLAIN_CODING, RECORD_HEADER_BYTES, type RecordCoding, RecordIndex, RecordKind, writeRecordHeader } from './record-format.ts';
import { SEGMENT_HEADER_BYTES } from './segment-format.ts';
import { mkdirPrivate, openPrivate } from './private-fs.ts';
import { TRAILER_BYTES, decodeFooter, decodeSegmentHeader, encodeFooter, encodeSegmentHeader, scanRecords, type ScanResult } from './segment-format.ts';

/** The staging area's directory of files being unlinked in the background (see remove()). */
export const TRASH_DIR = '.trash';

/** Bytes written between background datasyncs. */
export const FLUSH_BEHIND_BYTES = 32 << 20;

/** The flush-behind interval for segments of this size; 0 (off) where seals come every few intervals anyway. */
export const flushBehindFor = (segmentBytes: number): number => (segmentBytes > 4 * FLUSH_BEHIND_BYTES ? FLUSH_BEHIND_BYTES : 0);

export class StagingSegment {
  readonly path: string;
  readonly seq: number;
  readonly first: number;
  readonly index: RecordIndex;
  /** Coding of the data records appended (or found by recovery): one key per segment. */
  readonly coding: CodingTally;
  #fh: fs.FileHandle | undefined;
  readonly #batch: Buffer;
  #batchStart: number;
  #batchUsed = 0;
  #length: number;
  #synced: { bytes: number; records: number };
  #sealed: { size: number; indexOffset: number } | undefined;
  #draining: Promise<void> = Promise.resolve();
  /** Background datasync interval in bytes (0: none). */
  #flushBehind = 0;
  /** Bytes written since the last background datasync started. */
  #unflushed = 0;
  #flushing: Promise<void> | undefined;
  /** A background datasync failed: nothing since can be called durable (sticky, thrown by every sync). */
  #flushError: Error | undefined;

  private constructor(path: string, seq: number, first: number, fh: fs.FileHandle, batchBytes: number, index: RecordIndex, length: number, coding = new CodingTally()) {
    this.path = path;
    this.coding = coding;
    this.seq = seq;
    this.first = first;
    this.#fh = fh;
    this.#batch = Buffer.allocUnsafe(batchBytes);
    this.index = index;
    this.#length = length;
    this.#batchStart = length;
    this.#synced = { bytes: length, records: index.count };
  }

  /** Create the staging file of a new segment (header only; not yet durable); `flushBehind`: see flushBehindFor. */
  static async create(path: string, seq: number, first: number, batchBytes: number, flushBehind = 0): Promise<StagingSegment> {
    const fh = await openPrivate(path, 'w+');
    const header = encodeSegmentHeader(first, seq);
    try {
      await fh.write(header, 0, header.length, 0);
    } catch (e) {
      // A full disk: no segment, no file left behind.
      await fh.close();
      await fs.rm(path, { force: true });
      throw e;
    }
    const segment = new StagingSegment(path, seq, first, fh, batchBytes, new RecordIndex(), header.length);
    segment.#flushBehind = flushBehind;
    return segment;
  }

  /**
   * Reopen after a restart. A sealed file is read through its footer; an open
   * one is scanned record by record up to `syncedBytes` (the journal's mark),
   * and cut there: bytes past the last completed sync point are discarded.
   */
  static async recover(path: string, seq: number, first: number, syncedBytes: number, sealed: boolean, batchBytes: number): Promise<StagingSegment> {
    const fh = await fs.open(path, 'r+');
    try {
      if (sealed) {
        const size = (await fh.stat()).size;
        if (size !== syncedBytes) throw new Error(`${path}: sealed segment is ${size} bytes, journal says ${syncedBytes}`);
        const trailer = Buffer.alloc(TRAILER_BYTES);
        await fh.read(trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES);
        const indexOffset = Number(trailer.readBigUInt64BE(24));
        const footerBytes = Buffer.alloc(size - indexOffset);
        await fh.read(footerBytes, 0, footerBytes.length, indexOffset);
        const footer = decodeFooter(footerBytes);
        const seg = new StagingSegment(path, seq, first, fh, 0, footer.index, indexOffset, footer.coding);
        seg.#sealed = { size, indexOffset };
        return seg;
      }
      const scan = await scanFile(fh, syncedBytes);
      if (scan.end < syncedBytes) throw new Error(`${path}: only ${scan.end} of ${syncedBytes} synced bytes verify (${scan.stopped ?? 'short file'})`);
      await fh.truncate(scan.end);
      await fh.sync();
      return new StagingSegment(path, seq, first, fh, batchBytes, scan.index, scan.end, scan.coding);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Logical length, including bytes still in the batch buffer. */
  get length(): number {
    return this.#length;
  }

  /** Bytes in the file (the rest of `length` is still in the batch buffer). Until seal() they never change, short of truncate(). */
  get written(): number {
    return this.#batchStart;
  }

  get synced(): { readonly bytes: number; readonly records: number } {
    return this.#synced;
  }

  get sealed(): { readonly size: number; readonly indexOffset: number } | undefined {
    return this.#sealed;
  }

  /**
   * Append one record; `coding` says how a data block was encoded (its
   * payload is the stored bytes). The payload is copied (or, larger than a
   * batch, written before the promise resolves): the caller's buffer is free
   * once this returns or its promise settles. Returns a promise only when the
   * batch had to be written out. When that write fails (ENOSPC) the record is
   * not appended, and the records already in the batch stay there, in
   * memory, for the next drain: nothing appended before is lost.
   */
  append(kind: RecordKind, payload: Buffer, coding: RecordCoding = PLAIN_CODING): Promise<void> | undefined {
    const crc = crc32c(payload) >>> 0;
    const need = RECORD_HEADER_BYTES + payload.length;
    if (this.#batchUsed + need > this.#batch.length) return this.#appendSlow(kind, payload, coding, crc);
    this.#push(kind, payload.length, crc, coding);
    writeRecordHeader(this.#batch, this.#batchUsed, kind, payload.length, crc, coding);
    payload.copy(this.#batch, this.#batchUsed + RECORD_HEADER_BYTES);
    this.#batchUsed += need;
    this.#length += need;
    return undefined;
  }

  /** The batch is full: write it out first; the record is indexed only once its bytes have a place. */
  async #appendSlow(kind: RecordKind, payload: Buffer, coding: RecordCoding, crc: number): Promise<void> {
    await this.drain();
    const need = RECORD_HEADER_BYTES + payload.length;
    if (need <= this.#batch.length) {
      this.#push(kind, payload.length, crc, coding);
      writeRecordHeader(this.#batch, 0, kind, payload.length, crc, coding);
      payload.copy(this.#batch, RECORD_HEADER_BYTES);
      this.#batchUsed = need;
      this.#length += need;
      return;
    }
    // Larger than the batch: write it directly (the caller awaits, so the
    // payload buffer is not retained past this call).
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    writeRecordHeader(header, 0, kind, payload.length, crc, coding);
    let done = 0;
    while (done < need) {
      const parts = done < RECORD_HEADER_BYTES ? [header.subarray(done), payload] : [payload.subarray(done - RECORD_HEADER_BYTES)];
      const { bytesWritten } = await this.#file().writev(parts, this.#batchStart + done);
      done += bytesWritten;
    }
    this.#push(kind, payload.length, crc, coding);
    this.#length += need;
    this.#batchStart += need;
    this.#wrote(need);
  }

  #push(kind: RecordKind, length: number, crc: number, coding: RecordCoding): void {
    this.index.push(this.#length, kind, length, crc);
    if (kind === RecordKind.DATA) this.coding.note(coding);
  }

  /** Bytes appended that are only in memory (the batch), not yet written to the file. */
  get held(): number {
    return this.#batchUsed;
  }

  /**
   * Write the batch buffer to the file (no fsync). Drains run one at a time:
   * a read (which drains first) can meet a seal's drain of the same segment.
   */
  drain(): Promise<void> {
    const run = this.#draining.then(() => this.#drainNow());
    this.#draining = run.catch(() => undefined);
    return run;
  }

  async #drainNow(): Promise<void> {
    if (this.#batchUsed === 0) return;
    const n = this.#batchUsed;
    let done = 0;
    while (done < n) {
      const { bytesWritten } = await this.#file().write(this.#batch, done, n - done, this.#batchStart + done);
      done += bytesWritten;
    }
    this.#batchStart += n;
    this.#batchUsed = 0;
    this.#wrote(n);
  }

  /** Start a datasync behind the writes once enough is written and none is running. */
  #wrote(n: number): void {
    this.#unflushed += n;
    if (this.#flushBehind === 0 || this.#unflushed < this.#flushBehind || this.#flushing !== undefined) return;
    this.#unflushed = 0;
    this.#flushing = this.#file()
      .datasync()
      .catch((e: unknown) => {
        this.#flushError ??= e as Error;
      })
      .finally(() => {
        this.#flushing = undefined;
      });
  }

  /** Wait for a background datasync; throw if one ever failed. */
  async #flushed(): Promise<void> {
    await this.#flushing;
    if (this.#flushError !== undefined) throw new Error(`${this.path}: datasync failed: ${this.#flushError.message}`, { cause: this.#flushError });
  }

  /** Sync point: everything appended so far is on stable storage. */
  async sync(): Promise<void> {
    await this.drain();
    await this.#flushed();
    if (this.#synced.bytes === this.#length && this.#synced.records === this.index.count) return;
    await this.#file().datasync();
    this.#synced = { bytes: this.#length, records: this.index.count };
  }

  /** Drop records from `count` on (an overwrite inside the open segment); durable on return. */
  async truncate(count: number): Promise<void> {
    await this.drain();
    await this.#flushed();
    const end = count < this.index.count ? this.index.offset(count) : this.#length;
    this.index.truncate(count);
    await this.#file().truncate(end);
    await this.#file().datasync();
    this.#length = end;
    this.#batchStart = end;
    this.#synced = { bytes: end, records: count };
  }

  /** Append the footer and fsync: the file is now the finished segment object. */
  async seal(): Promise<{ size: number; indexOffset: number }> {
    if (this.#sealed !== undefined) return this.#sealed;
    await this.drain();
    await this.#flushed();
    const indexOffset = this.#length;
    const footer = encodeFooter(this.index, this.first, indexOffset, this.index.count, this.coding);
    await this.#file().write(footer, 0, footer.length, indexOffset);
    await this.#file().datasync();
    this.#length = indexOffset + footer.length;
    this.#synced = { bytes: this.#length, records: this.index.count };
    this.#sealed = { size: this.#length, indexOffset };
    return this.#sealed;
  }

  /** Read `length` bytes at `offset` (a record image). */
  async read(offset: number, length: number): Promise<Buffer> {
    // A record is either all in the file or all in the batch: one still in
    // the batch is copied from there (the disk may be full: it is held).
    if (offset >= this.#batchStart && offset + length <= this.#batchStart + this.#batchUsed) {
      return Buffer.from(this.#batch.subarray(offset - this.#batchStart, offset - this.#batchStart + length));
    }
    if (offset + length > this.#batchStart) await this.drain();
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#file().read(buf, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  get isEmpty(): boolean {
    return this.index.count === 0;
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await this.#flushing;
    await fh?.close();
  }

  /**
   * Delete the file. With `trash` (a directory on the same file system) it is
   * renamed there and unlinked in the background: freeing the pages of a
   * 1 GiB file takes about 0.4 s that an unload need not wait for. What a
   * crash leaves in the trash is swept at the next start (CartridgePool).
   */
  async remove(trash?: string): Promise<void> {
    await this.close();
    if (trash !== undefined) {
      const doomed = join(trash, `${basename(this.path)}.${randomUUID()}`);
      try {
        await mkdirPrivate(trash);
        await fs.rename(this.path, doomed);
        void fs.rm(doomed, { force: true }).catch(() => undefined);
        return;
      } catch {
        // no trash here (another file system, swept meanwhile): remove it in place
      }
    }
    await fs.rm(this.path, { force: true });
  }

  #file(): fs.FileHandle {
    if (this.#fh === undefined) throw new Error(`${this.path}: staging segment closed`);
    return this.#fh;
  }
}


/**
 * scanRecords over a file, a window at a time, so recovering a 64 MiB open
 * segment needs a few MiB of memory rather than the whole image.
 */
async function scanFile(fh: fs.FileHandle, limit: number, windowBytes = 4 << 20): Promise<ScanResult> {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  await fh.read(header, 0, header.length, 0);
  decodeSegmentHeader(header);
  const index = new RecordIndex();
  const coding = new CodingTally();
  let at = SEGMENT_HEADER_BYTES;
  let window = windowBytes;
  while (at < limit) {
    const want = Math.min(limit - at, window);
    // Leave a header-sized gap in front so scanRecords' offsets line up.
    const buf = Buffer.alloc(SEGMENT_HEADER_BYTES + want);
    const { bytesRead } = await fh.read(buf, SEGMENT_HEADER_BYTES, want, at);
    if (bytesRead === 0) return { index, coding, end: at, stopped: 'file shorter than the synced length' };
    const part = scanRecords(buf.subarray(0, SEGMENT_HEADER_BYTES + bytesRead));
    for (let i = 0; i < part.index.count; i++) {
      index.push(at - SEGMENT_HEADER_BYTES + part.index.offset(i), part.index.kind(i), part.index.length(i), part.index.crc(i));
    }
    coding.merge(part.coding);
    const windowEnd = at + bytesRead;
    at += part.end - SEGMENT_HEADER_BYTES;
    if (part.stopped === undefined) continue;
    // A record cut by the window's end is read by the next window; anything else ends the scan.
    if (!part.stopped.startsWith('truncated') || windowEnd >= limit) return { index, coding, end: at, stopped: part.stopped };
    if (part.index.count === 0) {
      const h = Buffer.alloc(RECORD_HEADER_BYTES);
      await fh.read(h, 0, h.length, at);
      const need = RECORD_HEADER_BYTES + h.readUInt32BE(0);
      if (at + need > limit) return { index, coding, end: at, stopped: 'truncated record payload' };
      window = Math.max(window, need);
    }
  }
  return { index, coding, end: at };
}
