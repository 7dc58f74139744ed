// The logical tape of one cartridge (SSC-4 4.2.2): a sequence of logical
// objects (blocks and filemarks) numbered from 0, then EOD. Held as a table of
// segments sorted by first object id, plus a sorted array of filemark ids,
// so locating a record and spacing blocks or filemarks are binary searches.
// Pure and synchronous: no I/O here.

import type { SegmentEncoding } from './manifest.ts';
import type { StagingSegment } from './staging-segment.ts';

/** open: being appended in staging; sealed: footer written, waiting for upload. */
export type SegmentState = 'open' | 'sealed' | 'uploading' | 'uploaded' | 'committed';

export interface SegmentRef {
  readonly seq: number;
  readonly first: number;
  key: string;
  /** Records in the object (or written so far, when open). */
  records: number;
  /** Records that belong to the tape: a prefix of the object. */
  count: number;
  /** Payload bytes of the valid prefix. */
  dataBytes: number;
  size: number;
  indexOffset: number;
  state: SegmentState;
  /** The staging file, while the segment is in staging. */
  staging: StagingSegment | undefined;
  /** Set when an overwrite removed the segment from the tape. */
  dropped: boolean;
  /** How its data records are encoded (record-codec.ts); absent: plain. Goes into the manifest. */
  encoding?: SegmentEncoding;
}

export type SpaceStop = 'filemark' | 'end-of-data' | 'beginning-of-partition';
export interface SpaceResult {
  readonly position: number;
  readonly spaced: number;
  readonly stoppedBy?: SpaceStop;
}

/** First index in ascending `a` whose value is >= x. */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TapeModel {
  readonly segments: SegmentRef[] = [];
  readonly filemarks: number[] = [];
  #eod = 0;
  #used = 0;

  get eod(): number {
    return this.#eod;
  }

  get usedBytes(): number {
    return this.#used;
  }

  /** Append a segment whose records are already counted in it (recovery, manifest load). */
  addSegment(ref: SegmentRef, filemarkIds: readonly number[]): void {
    if (ref.first !== this.#eod) throw new Error(`segment ${ref.seq} starts at ${ref.first}, EOD is ${this.#eod}`);
    this.segments.push(ref);
    this.#eod += ref.count;
    this.#used += ref.dataBytes;
    for (const f of filemarkIds) this.filemarks.push(f);
  }

  /** Account one record appended to the last (open) segment. */
  appendRecord(isFilemark: boolean, length: number): void {
    const last = this.segments[this.segments.length - 1];
    if (last === undefined || last.state !== 'open' || last.first + last.count !== this.#eod) {
      throw new Error('appendRecord without an open segment at EOD');
    }
    last.records++;
    last.count++;
    last.dataBytes += length;
    if (isFilemark) this.filemarks.push(this.#eod);
    this.#eod++;
    this.#used += length;
  }

  /** The segment holding object `id` (< EOD) and the record number inside it. */
  find(id: number): { ref: SegmentRef; record: number } {
    if (!(id >= 0 && id < this.#eod)) throw new RangeError(`object ${id} outside 0..${this.#eod - 1}`);
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.first <= id) lo = mid;
      else hi = mid - 1;
    }
    const ref = this.segments[lo]!;
    return { ref, record: id - ref.first };
  }

  isFilemark(id: number): boolean {
    const i = lowerBound(this.filemarks, id);
    return this.filemarks[i] === id;
  }

  /** Filemarks before position `p` (READ POSITION's file number). */
  fileNumber(p: number): number {
    return lowerBound(this.filemarks, p);
  }

  /**
   * SPACE blocks from `p`. SSC-4 7.2: spacing stops at a filemark, positioned
   * after it in the direction of travel (its EOD side forward, its BOP side
   * backward); `spaced` counts the blocks passed.
   */
  spaceBlocks(p: number, count: number): SpaceResult {
    if (count >= 0) {
      const fm = this.filemarks[lowerBound(this.filemarks, p)];
      if (fm !== undefined && fm < p + count) return { position: fm + 1, spaced: fm - p, stoppedBy: 'filemark' };
      if (p + count > this.#eod) return { position: this.#eod, spaced: this.#eod - p, stoppedBy: 'end-of-data' };
      return { position: p + count, spaced: count };
    }
    const n = -count;
    const fm = this.filemarks[lowerBound(this.filemarks, p) - 1];
    if (fm !== undefined && fm >= p - n) return { position: fm, spaced: p - fm - 1, stoppedBy: 'filemark' };
    if (p - n < 0) return { position: 0, spaced: p, stoppedBy: 'beginning-of-partition' };
    return { position: p - n, spaced: n };
  }

  /** SPACE filemarks from `p`: forward ends on the EOD side of the last one, backward on the BOP side. */
  spaceFilemarks(p: number, count: number): SpaceResult {
    const at = lowerBound(this.filemarks, p);
    if (count >= 0) {
      if (count === 0) return { position: p, spaced: 0 };
      const target = this.filemarks[at + count - 1];
      if (target !== undefined) return { position: target + 1, spaced: count };
      return { position: this.#eod, spaced: this.filemarks.length - at, stoppedBy: 'end-of-data' };
    }
    const n = -count;
    const target = this.filemarks[at - n];
    if (at - n >= 0 && target !== undefined) return { position: target, spaced: n };
    return { position: 0, spaced: at, stoppedBy: 'beginning-of-partition' };
  }

  /**
   * Cut the tape at `p` (<= EOD): `p` becomes EOD. Segments starting at or
   * after `p` are removed and returned; the one holding `p` keeps a prefix of
   * `p - first` records whose payload bytes the caller supplies.
   */
  cut(p: number, prefixDataBytes: (ref: SegmentRef, records: number) => number): SegmentRef[] {
    if (!(p >= 0 && p <= this.#eod)) throw new RangeError(`cut at ${p} outside 0..${this.#eod}`);
    if (p === this.#eod) return [];
    let keep = this.segments.length;
    while (keep > 0 && this.segments[keep - 1]!.first >= p) keep--;
    const dropped = this.segments.splice(keep);
    for (const ref of dropped) {
      ref.dropped = true;
      this.#used -= ref.dataBytes;
    }
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && last.first + last.count > p) {
      const count = p - last.first;
      const bytes = prefixDataBytes(last, count);
      this.#used -= last.dataBytes - bytes;
      last.count = count;
      last.dataBytes = bytes;
    }
    this.filemarks.length = lowerBound(this.filemarks, p);
    this.#eod = p;
    return dropped;
  }
}
