// Bacula's tape format (src/stored/block.h, record.h, label.c): every tape
// block starts with a block header, then records, all big-endian:
//
//   block header  BB02: u32 checksum, u32 block length, u32 block number, "BB02",
//                       u32 VolSessionId, u32 VolSessionTime              (24 bytes)
//                 BB03: the same with u32 options for the checksum, then a u64
//                       xxhash64 when options bit 0 is set               (24 or 32)
//                 BB01: u32 checksum, u32 length, u32 number, "BB01"    (16 bytes)
//   record header (BB02/BB03): i32 FileIndex, i32 Stream, u32 data length (12)
//                 (BB01: u32 VolSessionId, u32 VolSessionTime first)     (20)
//
// A negative FileIndex is a label: -1 PRE_LABEL, -2 VOL_LABEL, -3 EOM,
// -4 SOS (start of session: a job), -5 EOS (its end), -6 EOT. Strings are
// NUL-terminated; btime is i64 microseconds since 1970.
//
//   volume label: Id, u32 VerNum, (VerNum >= 11: btime label, btime write;
//     else f64 label date, f64 label time), f64 write date, f64 write time,
//     VolumeName, PrevVolumeName, PoolName, PoolType, MediaType, HostName, ...
//   session label: Id, u32 VerNum, u32 JobId, (>= 11: btime written; else
//     f64 date), f64 time, PoolName, PoolType, JobName, ClientName,
//     (>= 10: Job (unique name), FileSetName, u32 JobType, u32 JobLevel),
//     (>= 11: FileSetMD5), EOS only: u32 JobFiles, u64 JobBytes, u32 start
//     block, u32 end block, u32 start file, u32 end file, u32 JobErrors,
//     (>= 11: u32 JobStatus)
//
// Bareos writes the same layout with Id "Bareos 2.0 immortal\n".

export const LabelType = { PRE: -1, VOL: -2, EOM: -3, SOS: -4, EOS: -5, EOT: -6 } as const;

export interface BaculaRecord {
  readonly fileIndex: number;
  readonly stream: number;
  /** The record's data as far as this block holds it. */
  readonly data: Buffer;
}

export interface BaculaBlock {
  readonly id: 'BB01' | 'BB02' | 'BB03';
  readonly blockNumber: number;
  readonly volSessionId: number;
  readonly volSessionTime: number;
  /** Label records (FileIndex < 0) of the block. */
  readonly labels: BaculaRecord[];
}

export interface VolumeLabel {
  readonly type: 'PRE_LABEL' | 'VOL_LABEL';
  readonly id: string;
  readonly version: number;
  readonly volumeName: string;
  readonly prevVolumeName: string;
  readonly poolName: string;
  readonly poolType: string;
  readonly mediaType: string;
  readonly hostName: string;
  /** When the label was written (VerNum >= 11), ISO 8601. */
  readonly labelTime: string | null;
}

export interface SessionLabel {
  readonly type: 'SOS' | 'EOS';
  readonly version: number;
  readonly jobId: number;
  /** When the label was written (VerNum >= 11), ISO 8601. */
  readonly time: string | null;
  readonly poolName: string;
  readonly poolType: string;
  readonly jobName: string;
  readonly clientName: string;
  /** Unique job name, e.g. "BackupClient1.2026-12-06_10.00.00_03" (VerNum >= 10). */
  readonly job: string | null;
  readonly fileSetName: string | null;
  /** One character: B backup, R restore, ... */
  readonly jobType: string | null;
  /** One character: F full, I incremental, D differential, ... */
  readonly jobLevel: string | null;
  /** EOS only. */
  readonly jobFiles?: number;
  readonly jobBytes?: number;
  readonly jobStatus?: string | null;
}

/** The most label records looked at in one block: a block of tiny records is data, not labels. */
const MAX_RECORDS = 4096;
const MAX_BLOCK = 20_000_000;

/**
 * Walk one block's record headers and collect its label records. Cheap
 * (header reads only) and total: undefined when the bytes are not a Bacula block.
 */
export function scanBaculaBlock(block: Buffer): BaculaBlock | undefined {
  if (block.length < 16) return undefined;
  const id = block.toString('latin1', 12, 16);
  if (id !== 'BB01' && id !== 'BB02' && id !== 'BB03') return undefined;
  const length = block.readUInt32BE(4);
  if (length < 16 || length > MAX_BLOCK) return undefined;
  const end = Math.min(length, block.length);
  let headerBytes = id === 'BB01' ? 16 : 24;
  if (id === 'BB03' && (block.readUInt32BE(0) & 1) === 1) headerBytes = 32;
  if (end < headerBytes) return undefined;
  const recordHeader = id === 'BB01' ? 20 : 12;
  const v1 = id === 'BB01';
  const labels: BaculaRecord[] = [];
  let pos = headerBytes;
  for (let n = 0; n < MAX_RECORDS && pos + recordHeader <= end; n++) {
    const at = v1 ? pos + 8 : pos;
    const fileIndex = block.readInt32BE(at);
    const stream = block.readInt32BE(at + 4);
    const dataLength = block.readUInt32BE(at + 8);
    const dataStart = pos + recordHeader;
    const dataEnd = Math.min(end, dataStart + dataLength);
    // A negative stream is the rest of a record begun in an earlier block.
    if (fileIndex < 0 && fileIndex >= LabelType.EOT && stream >= 0) labels.push({ fileIndex, stream, data: block.subarray(dataStart, dataEnd) });
    pos = dataStart + dataLength;
  }
  return {
    id, blockNumber: block.readUInt32BE(8),
    volSessionId: v1 ? 0 : block.readUInt32BE(16), volSessionTime: v1 ? 0 : block.readUInt32BE(20),
    labels,
  };
}

/** A cursor over serialized label fields; every read past the end throws RangeError (caught by the parsers). */
class Fields {
  #pos = 0;
  constructor(readonly b: Buffer) {}
  u32(): number {
    const v = this.b.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  u64(): number {
    const v = this.b.readBigUInt64BE(this.#pos);
    this.#pos += 8;
    return Number(v);
  }
  btime(): string | null {
    const us = this.b.readBigInt64BE(this.#pos);
    this.#pos += 8;
    const ms = Number(us / 1000n);
    return ms > 0 && ms < 253_402_300_800_000 ? new Date(ms).toISOString() : null;
  }
  skip(n: number): void {
    if (this.#pos + n > this.b.length) throw new RangeError('label truncated');
    this.#pos += n;
  }
  string(): string {
    const nul = this.b.indexOf(0, this.#pos);
    if (nul < 0) throw new RangeError('unterminated string');
    const s = this.b.toString('latin1', this.#pos, nul);
    this.#pos = nul + 1;
    return s;
  }
}

const isBaculaId = (id: string): boolean => /^(Bacula|Bareos) \d+\.\d+ /.test(id);
const char = (n: number): string | null => (n >= 0x20 && n < 0x7f ? String.fromCharCode(n) : null);

export function parseVolumeLabel(r: BaculaRecord): VolumeLabel | undefined {
  if (r.fileIndex !== LabelType.PRE && r.fileIndex !== LabelType.VOL) return undefined;
  try {
    const f = new Fields(r.data);
    const id = f.string();
    if (!isBaculaId(id)) return undefined;
    const version = f.u32();
    let labelTime: string | null = null;
    if (version >= 11) {
      labelTime = f.btime();
      f.skip(8);
    } else {
      f.skip(16);
    }
    f.skip(16);
    return {
      type: r.fileIndex === LabelType.VOL ? 'VOL_LABEL' : 'PRE_LABEL',
      id: id.trimEnd(), version, labelTime,
      volumeName: f.string(), prevVolumeName: f.string(), poolName: f.string(), poolType: f.string(),
      mediaType: f.string(), hostName: f.string(),
    };
  } catch {
    return undefined;
  }
}

export function parseSessionLabel(r: BaculaRecord): SessionLabel | undefined {
  if (r.fileIndex !== LabelType.SOS && r.fileIndex !== LabelType.EOS) return undefined;
  try {
    const f = new Fields(r.data);
    if (!isBaculaId(f.string())) return undefined;
    const version = f.u32();
    const jobId = f.u32();
    let time: string | null = null;
    if (version >= 11) time = f.btime();
    else f.skip(8);
    f.skip(8);
    const poolName = f.string();
    const poolType = f.string();
    const jobName = f.string();
    const clientName = f.string();
    let job: string | null = null;
    let fileSetName: string | null = null;
    let jobType: string | null = null;
    let jobLevel: string | null = null;
    if (version >= 10) {
      job = f.string();
      fileSetName = f.string();
      jobType = char(f.u32());
      jobLevel = char(f.u32());
    }
    if (version >= 11) f.string();
    const base = { version, jobId, time, poolName, poolType, jobName, clientName, job, fileSetName, jobType, jobLevel };
    if (r.fileIndex === LabelType.SOS) return { type: 'SOS', ...base };
    const jobFiles = f.u32();
    const jobBytes = f.u64();
    f.skip(20);
    const jobStatus = version >= 11 ? char(f.u32()) : null;
    return { type: 'EOS', ...base, jobFiles, jobBytes, jobStatus };
  } catch {
    return undefined;
  }
}
