// A BlockBackend on a local sparse file. Node has neither fallocate
// (PUNCH_HOLE) nor SEEK_DATA, so the backend keeps its own map of deallocated
// extents: blocks never written since creation, or unmapped. UNMAP zeroes the
// blocks (a tail range is cut off with ftruncate and re-extended, which frees
// the space); reads of deallocated blocks return zeros (LBPRZ = 1). The map is
// saved beside the file (<path>.unmapped.json) on flush and close; a file
// found without a map is treated as fully mapped.
import { readSync, writeSync } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { openPrivate, writeFilePrivate } from '../../tapes/private-fs.ts';
import type { BlockBackend, ExtentStatus } from '../../scsi/sbc/block-backend.ts';

export interface SparseFileOptions {
  readonly path: string;
  /** Volume size in bytes; rounded down to whole blocks. An existing file is grown (sparsely) to it. */
  readonly sizeBytes: bigint | number;
  /** Logical block length. Default 512. */
  readonly blockSize?: number;
}

type Extent = readonly [bigint, bigint]; // [start, end)

const ZERO_CHUNK = 1 << 20;

/**
 * Reads and writes up to this size are made with a plain pread/pwrite on the
 * event loop: to the page cache they take a few microseconds, far less than
 * a round trip through libuv's thread pool (dispatch, wake-up, completion,
 * promise), which was most of a small random write's cost. Larger transfers
 * stay asynchronous so that they never hold the event loop long.
 */
const SYNC_IO_MAX = 64 * 1024;

export class SparseFileBackend implements BlockBackend {
  readonly blockSize: number;
  readonly blockCount: bigint;
  readonly #fh: FileHandle;
  readonly #mapPath: string;
  /** Deallocated extents, sorted and disjoint. */
  #unmapped: Extent[];
  #mapDirty = false;

  private constructor(fh: FileHandle, path: string, blockSize: number, blockCount: bigint, unmapped: Extent[]) {
    this.#fh = fh;
    this.#mapPath = `${path}.unmapped.json`;
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.#unmapped = unmapped;
  }

  /** Open or create the file. */
  static async open(opts: SparseFileOptions): Promise<SparseFileBackend> {
    const blockSize = opts.blockSize ?? 512;
    const blockCount = BigInt(opts.sizeBytes) / BigInt(blockSize);
    const fh = await openPrivate(opts.path, 'a+').then((h) => h.close()).then(() => open(opts.path, 'r+'));
    const oldBytes = BigInt((await fh.stat()).size);
    const oldBlocks = oldBytes / BigInt(blockSize);
    let unmapped = await loadMap(`${opts.path}.unmapped.json`, blockCount);
    if (unmapped === undefined) unmapped = oldBlocks < blockCount ? [[oldBlocks, blockCount]] : [];
    await fh.truncate(Number(blockCount * BigInt(blockSize)));
    const b = new SparseFileBackend(fh, opts.path, blockSize, blockCount, unmapped);
    b.#mapDirty = true;
    return b;
  }

  async read(lba: bigint, blocks: number): Promise<Buffer> {
    // Not zero-filled: the read overwrites it, and a fresh zeroed buffer per
    // READ was a measurable share of the disk path's CPU and GC.
    const buf = Buffer.allocUnsafe(blocks * this.blockSize);
    if (blocks === 0) return buf;
    const at = Number(lba) * this.blockSize;
    const bytesRead = buf.length <= SYNC_IO_MAX ? readSync(this.#fh.fd, buf, 0, buf.length, at) : (await this.#fh.read(buf, 0, buf.length, at)).bytesRead;
    if (bytesRead < buf.length) buf.fill(0, bytesRead);
    return buf;
  }

  async write(lba: bigint, data: Buffer): Promise<void> {
    if (data.length === 0) return;
    const at = Number(lba) * this.blockSize;
    if (data.length <= SYNC_IO_MAX) {
      for (let done = 0; done < data.length; ) done += writeSync(this.#fh.fd, data, done, data.length - done, at + done);
    } else await this.#fh.write(data, 0, data.length, at);
    this.#setUnmapped(lba, lba + BigInt(data.length / this.blockSize), false);
  }

  async flush(): Promise<void> {
    await this.#fh.datasync();
    await this.#saveMap();
  }

  async unmap(lba: bigint, blocks: bigint): Promise<void> {
    const end = lba + blocks;
    if (blocks === 0n) return;
    if (end === this.blockCount) {
      await this.#fh.truncate(Number(lba) * this.blockSize);
      await this.#fh.truncate(Number(this.blockCount) * this.blockSize);
    } else {
      for (const [s, e] of this.#mappedWithin(lba, end)) await this.#zero(s, e);
    }
    this.#setUnmapped(lba, end, true);
  }

  async extentStatus(lba: bigint): Promise<ExtentStatus> {
    for (const [s, e] of this.#unmapped) {
      if (lba < s) return { mapped: true, blocks: s - lba };
      if (lba < e) return { mapped: false, blocks: e - lba };
    }
    return { mapped: true, blocks: this.blockCount - lba };
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#fh.close();
  }

  async #zero(start: bigint, end: bigint): Promise<void> {
    const zeros = Buffer.alloc(Math.min(ZERO_CHUNK, Number(end - start) * this.blockSize));
    for (let at = Number(start) * this.blockSize; at < Number(end) * this.blockSize; at += zeros.length) {
      const n = Math.min(zeros.length, Number(end) * this.blockSize - at);
      await this.#fh.write(zeros, 0, n, at);
    }
  }

  /** The mapped sub-ranges of [start, end). */
  #mappedWithin(start: bigint, end: bigint): Extent[] {
    const out: Extent[] = [];
    let at = start;
    for (const [s, e] of this.#unmapped) {
      if (e <= at) continue;
      if (s >= end) break;
      if (s > at) out.push([at, s]);
      at = e > at ? e : at;
    }
    if (at < end) out.push([at, end]);
    return out;
  }

  /**
   * Mark [start, end) deallocated (true) or mapped (false), keeping the list
   * sorted and merged. Only the extents that touch the range are replaced
   * (found by binary search): a write to blocks already mapped, the common
   * case on a live disk, changes nothing and costs O(log n).
   */
  #setUnmapped(start: bigint, end: bigint, unmapped: boolean): void {
    const list = this.#unmapped;
    // Deallocating merges with neighbours that merely touch the range; mapping cuts only those that overlap it.
    const i = firstEndingAfter(list, start, unmapped);
    let j = i;
    while (j < list.length && (unmapped ? list[j]![0] <= end : list[j]![0] < end)) j++;
    if (!unmapped && i === j) return; // nothing deallocated in the range: nothing to change
    const replace: Extent[] = [];
    if (unmapped) {
      const s = i < j && list[i]![0] < start ? list[i]![0] : start;
      const e = i < j && list[j - 1]![1] > end ? list[j - 1]![1] : end;
      replace.push([s, e]);
    } else {
      if (list[i]![0] < start) replace.push([list[i]![0], start]);
      if (list[j - 1]![1] > end) replace.push([end, list[j - 1]![1]]);
    }
    list.splice(i, j - i, ...replace);
    this.#mapDirty = true;
  }

  async #saveMap(): Promise<void> {
    if (!this.#mapDirty) return;
    this.#mapDirty = false;
    const json = JSON.stringify({ blockCount: this.blockCount.toString(), unmapped: this.#unmapped.map(([s, e]) => [s.toString(), e.toString()]) });
    await writeFilePrivate(`${this.#mapPath}.tmp`, json);
    await rename(`${this.#mapPath}.tmp`, this.#mapPath);
  }
}

/** Load a saved map; undefined when absent or unreadable (then the file counts as mapped). */
async function loadMap(path: string, blockCount: bigint): Promise<Extent[] | undefined> {
  try {
    const raw = JSON.parse(await readFile(path, 'utf8')) as { unmapped?: unknown };
    if (!Array.isArray(raw.unmapped)) return undefined;
    return raw.unmapped
      .map((x): Extent => [BigInt((x as string[])[0] ?? 0), BigInt((x as string[])[1] ?? 0)])
      .map(([s, e]): Extent => [s, e > blockCount ? blockCount : e])
      .filter(([s, e]) => s < e);
  } catch {
    return undefined;
  }
}

/** The index of the first extent whose end is after `at` (or at it, when `touching`): binary search. */
function firstEndingAfter(list: readonly Extent[], at: bigint, touching: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid]![1];
    if (touching ? e >= at : e > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
