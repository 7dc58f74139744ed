// The local journal: append-only segment files <dir>/journal/<%016x first seq>.log.
// A record: a 48-byte header then its data.
//
//   0  u32 magic "CDPL"   4  u32 CRC32C of bytes 8..47
//   8  u64 seq            16 u64 time µs     24 u64 lba
//   32 u32 blocks         36 u32 flags       40 u32 CRC32C of the data   44 u32 0
//
// Appends are queued and written in seq order, batched into one writev while
// the previous batch is in the kernel (group commit); no fsync per append:
// sync() (SYNCHRONIZE CACHE, FUA) fdatasyncs the open segment. A record is
// complete only once its append resolved, and appends complete in order, so
// replay after a crash stops at the first damaged record: every record after
// it was never acknowledged.
import { crc32c } from '@node-rs/crc32';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FLAG_ZERO, type JournalEntry } from './journal-format.ts';

const MAGIC = 0x4344504c; // "CDPL"
export const RECORD_HEADER = 48;

export interface LocalRecord extends JournalEntry {
  /** Segment first seq (its file name) and offset of the data in it. */
  segment: number;
}

interface Segment {
  first: number;
  last: number;
  fh: FileHandle;
  size: number;
}

interface Pending {
  header: Buffer;
  data: Buffer | undefined;
  rec: LocalRecord;
  resolve: (r: LocalRecord) => void;
  reject: (e: unknown) => void;
}

export class LocalJournal {
  readonly #dir: string;
  readonly #blockSize: number;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  #queue: Pending[] = [];
  #writing = false;
  #rotate = false;
  #dirSyncNeeded = false;
  /** Appends queued or in the kernel. */
  inFlight = 0;

  private constructor(dir: string, blockSize: number, segmentBytes: number) {
    this.#dir = dir;
    this.#blockSize = blockSize;
    this.#segmentBytes = segmentBytes;
  }

  /** Open the journal directory; returns the valid records in seq order (damaged tails are cut off). */
  static async open(dir: string, blockSize: number, segmentBytes: number): Promise<{ journal: LocalJournal; records: LocalRecord[] }> {
    const j = new LocalJournal(join(dir, 'journal'), blockSize, segmentBytes);
    await mkdir(j.#dir, { recursive: true });
    const names = (await readdir(j.#dir)).filter((n) => /^[0-9a-f]{16}\.log$/.test(n)).sort();
    const records: LocalRecord[] = [];
    let broken = false;
    for (const name of names) {
      const first = parseInt(name.slice(0, 16), 16);
      const path = join(j.#dir, name);
      if (broken) {
        await unlink(path);
        continue;
      }
      const fh = await open(path, 'r+');
      const { size, recs, complete } = await scan(fh, first, blockSize, records.at(-1)?.seq);
      await fh.truncate(size);
      records.push(...recs);
      j.#segments.push({ first, last: recs.at(-1)?.seq ?? first - 1, fh, size });
      broken = !complete;
    }
    return { journal: j, records };
  }

  /** Bytes in every segment (shipped or not). */
  get bytes(): number {
    return this.#segments.reduce((n, s) => n + s.size, 0);
  }

  /** Queue a record; resolves when it is in the kernel (not necessarily on disk). */
  append(e: Omit<JournalEntry, 'dataOffset'>, data: Buffer | undefined): Promise<LocalRecord> {
    const header = Buffer.allocUnsafe(RECORD_HEADER);
    header.writeUInt32BE(MAGIC, 0);
    header.writeBigUInt64BE(BigInt(e.seq), 8);
    header.writeBigUInt64BE(BigInt(e.timeUs), 16);
    header.writeBigUInt64BE(BigInt(e.lba), 24);
    header.writeUInt32BE(e.blocks, 32);
    header.writeUInt32BE(e.flags, 36);
    header.writeUInt32BE(e.crc >>> 0, 40);
    header.writeUInt32BE(0, 44);
    header.writeUInt32BE(crc32c(header.subarray(8)) >>> 0, 4);
    this.inFlight++;
    return new Promise<LocalRecord>((resolve, reject) => {
      this.#queue.push({ header, data, rec: { ...e, dataOffset: 0, segment: 0 }, resolve, reject });
      if (!this.#writing) void this.#drainQueue();
    });
  }

  /** Start a new segment at the next append (so shipped segments can be removed whole). */
  rotate(): void {
    this.#rotate = true;
  }

  async #drainQueue(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        let seg = this.#segments.at(-1);
        if (seg === undefined || (seg.size > 0 && (this.#rotate || seg.size >= this.#segmentBytes))) seg = await this.#newSegment(batch[0]!.rec.seq);
        this.#rotate = false;
        const bufs: Buffer[] = [];
        let at = seg.size;
        for (const p of batch) {
          bufs.push(p.header);
          p.rec.segment = seg.first;
          p.rec.dataOffset = at + RECORD_HEADER;
          at += RECORD_HEADER;
          if (p.data !== undefined) {
            bufs.push(p.data);
            at += p.data.length;
          }
        }
        await writevAll(seg.fh, bufs, seg.size);
        seg.size = at;
        seg.last = batch.at(-1)!.rec.seq;
        for (const p of batch) p.resolve(p.rec);
      } catch (e) {
        for (const p of batch) p.reject(e);
      } finally {
        this.inFlight -= batch.length;
      }
    }
    this.#writing = false;
  }

  async #newSegment(first: number): Promise<Segment> {
    // What SYNCHRONIZE CACHE promised stays true across the switch.
    const prev = this.#segments.at(-1);
    if (prev !== undefined && prev.size > 0) await prev.fh.datasync();
    const name = `${first.toString(16).padStart(16, '0')}.log`;
    const fh = await open(join(this.#dir, name), 'w+');
    const seg = { first, last: first - 1, fh, size: 0 };
    this.#segments.push(seg);
    this.#dirSyncNeeded = true;
    return seg;
  }

  /** The data of a record (empty for ZERO records). */
  async readData(r: LocalRecord): Promise<Buffer> {
    const n = (r.flags & FLAG_ZERO) !== 0 ? 0 : r.blocks * this.#blockSize;
    const seg = this.#segments.find((s) => s.first === r.segment);
    if (seg === undefined) throw new Error(`local journal segment ${r.segment} is gone`);
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await seg.fh.read(buf, done, n - done, r.dataOffset + done);
      if (bytesRead === 0) throw new Error(`local journal segment ${r.segment} is short`);
      done += bytesRead;
    }
    return buf;
  }

  /** fdatasync the segments written since the last sync (and the directory when a segment was created). */
  async sync(): Promise<void> {
    const seg = this.#segments.at(-1);
    if (seg !== undefined) await seg.fh.datasync();
    if (this.#dirSyncNeeded) {
      this.#dirSyncNeeded = false;
      const d = await open(this.#dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
  }

  /** Whether dropThrough(seq) would remove or rotate a segment. */
  canDrop(seq: number): boolean {
    const first = this.#segments[0];
    return first !== undefined && first.size > 0 && first.last <= seq;
  }

  /** Remove the segments whose every record has seq <= `seq` (never the one being appended to). */
  async dropThrough(seq: number): Promise<void> {
    while (this.#segments.length > 1 && this.#segments[0]!.last <= seq) {
      const seg = this.#segments.shift()!;
      await seg.fh.close();
      await unlink(join(this.#dir, `${seg.first.toString(16).padStart(16, '0')}.log`));
    }
    const only = this.#segments[0];
    if (this.#segments.length === 1 && only !== undefined && only.size > 0 && only.last <= seq && !this.#writing) this.#rotate = true;
  }

  async close(): Promise<void> {
    for (const s of this.#segments.splice(0)) await s.fh.close();
  }
}

async function writevAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let total = bufs.reduce((n, b) => n + b.length, 0);
  let { bytesWritten } = await fh.writev(bufs, position);
  if (bytesWritten === total) return;
  const all = Buffer.concat(bufs);
  total = all.length;
  while (bytesWritten < total) {
    const r = await fh.write(all, bytesWritten, total - bytesWritten, position + bytesWritten);
    bytesWritten += r.bytesWritten;
  }
}

/** Read a segment's valid records; `size` is where the valid part ends. */
async function scan(fh: FileHandle, first: number, blockSize: number, prevSeq: number | undefined): Promise<{ size: number; recs: LocalRecord[]; complete: boolean }> {
  const total = (await fh.stat()).size;
  const recs: LocalRecord[] = [];
  let at = 0;
  let expect = prevSeq === undefined ? undefined : prevSeq + 1;
  const header = Buffer.allocUnsafe(RECORD_HEADER);
  while (at + RECORD_HEADER <= total) {
    await fh.read(header, 0, RECORD_HEADER, at);
    if (header.readUInt32BE(0) !== MAGIC || (crc32c(header.subarray(8)) >>> 0) !== header.readUInt32BE(4)) break;
    const rec: LocalRecord = {
      seq: Number(header.readBigUInt64BE(8)),
      timeUs: Number(header.readBigUInt64BE(16)),
      lba: Number(header.readBigUInt64BE(24)),
      blocks: header.readUInt32BE(32),
      flags: header.readUInt32BE(36),
      crc: header.readUInt32BE(40),
      dataOffset: at + RECORD_HEADER,
      segment: first,
    };
    if (expect !== undefined && rec.seq !== expect) break;
    const n = (rec.flags & FLAG_ZERO) !== 0 ? 0 : rec.blocks * blockSize;
    if (at + RECORD_HEADER + n > total) break;
    if (n > 0) {
      const data = Buffer.allocUnsafe(n);
      await fh.read(data, 0, n, at + RECORD_HEADER);
      if ((crc32c(data) >>> 0) !== rec.crc) break;
    }
    recs.push(rec);
    expect = rec.seq + 1;
    at += RECORD_HEADER + n;
  }
  return { size: at, recs, complete: at === total };
}
