// Test harness for the tape and changer conformance suites: builds commands
// from raw CDB bytes, runs them through a logical unit's execute() (the same
// path the transport takes), and decodes fixed-format sense by name.
import type { LogicalUnit, Nexus, ScsiCommand, ScsiResult } from '../../../scsi/command.ts';
import { genericTape } from '../../../scsi/profiles/generic-tape.ts';
import type { TapeDriveProfile } from '../../../scsi/profiles/types.ts';
import { TapeDrive } from '../../../scsi/ssc/tape-drive.ts';
import { MemoryMedium, MemoryMediaSource, type MemoryMediumOptions } from '../../helpers/memory-medium.ts';

export function nexus(n = 1): Nexus {
  const isid = `23d00000000${n}`.slice(-12);
  return {
    initiatorPort: `iqn.2026-01.test:host${n},i,0x${isid}`,
    initiatorName: `iqn.2026-01.test:host${n}`,
    isid,
    targetPort: 'iqn.2026-01.test:vtl,t,0x0001',
    relativeTargetPortId: 1,
  };
}

export interface RunOptions {
  readonly dataOut?: Buffer;
  readonly expectedLength?: number;
  readonly nexus?: Nexus;
}

export function command(cdb: readonly number[] | Buffer, o: RunOptions = {}): ScsiCommand {
  const bytes = Buffer.isBuffer(cdb) ? cdb : Buffer.from(cdb);
  return {
    cdb: bytes,
    lun: 0,
    nexus: o.nexus ?? nexus(1),
    target: { luns: () => [0, 1] },
    taskAttribute: 'simple',
    expectedLength: o.expectedLength ?? o.dataOut?.length ?? 0x1000000,
    dataOut: o.dataOut,
    signal: new AbortController().signal,
  };
}

/** Fixed-format sense by field name. */
export interface DecodedSense {
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  readonly valid: boolean;
  /** INFORMATION, signed 32-bit. */
  readonly info: number;
  readonly filemark: boolean;
  readonly eom: boolean;
  readonly ili: boolean;
  readonly sksv: boolean;
  readonly fieldPointer: number;
}

export function decodeSense(b: Buffer): DecodedSense {
  return {
    key: (b[2] ?? 0) & 0x0f,
    asc: b[12] ?? 0,
    ascq: b[13] ?? 0,
    valid: ((b[0] ?? 0) & 0x80) !== 0,
    info: b.readInt32BE(3),
    filemark: ((b[2] ?? 0) & 0x80) !== 0,
    eom: ((b[2] ?? 0) & 0x40) !== 0,
    ili: ((b[2] ?? 0) & 0x20) !== 0,
    sksv: ((b[15] ?? 0) & 0x80) !== 0,
    fieldPointer: b.readUInt16BE(16),
  };
}

export interface Outcome {
  readonly status: number;
  readonly data: Buffer;
  readonly sense: DecodedSense | undefined;
  readonly raw: ScsiResult;
}

export async function run(lu: LogicalUnit, cdb: readonly number[] | Buffer, o: RunOptions = {}): Promise<Outcome> {
  const r = await lu.execute(command(cdb, o));
  return { status: r.status, data: r.dataIn ?? Buffer.alloc(0), sense: r.sense === undefined ? undefined : decodeSense(r.sense), raw: r };
}

/** Send TEST UNIT READY until no unit attention is pending for this nexus. */
export async function clearUnitAttentions(lu: LogicalUnit, n: Nexus = nexus(1)): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = await run(lu, [0x00, 0, 0, 0, 0, 0], { nexus: n });
    if (r.sense?.key !== 0x6) return;
  }
}

export interface DriveFixture {
  readonly drive: TapeDrive;
  readonly media: MemoryMediaSource;
  readonly medium: MemoryMedium;
}

/** A drive with a cartridge inserted and threaded, unit attentions cleared for nexus 1. */
export async function loadedDrive(o: MemoryMediumOptions = {}, profile: TapeDriveProfile = genericTape): Promise<DriveFixture> {
  const media = new MemoryMediaSource();
  const medium = media.add(new MemoryMedium(o));
  const drive = new TapeDrive({ profile, serial: '1000000001', media, log: quietLog });
  await drive.insert(medium.attributes.barcode);
  await clearUnitAttentions(drive);
  return { drive, media, medium };
}

export const quietLog = { debug: () => undefined, warn: () => undefined, error: () => undefined };

// ---- CDB builders (SSC-4 layouts) ----

const u24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u64 = (n: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return [...b];
};

export const cdb = {
  tur: (): number[] => [0x00, 0, 0, 0, 0, 0],
  rewind: (immed = false): number[] => [0x01, immed ? 1 : 0, 0, 0, 0, 0],
  readBlockLimits: (): number[] => [0x05, 0, 0, 0, 0, 0],
  read6: (length: number, o: { fixed?: boolean; sili?: boolean } = {}): number[] => [0x08, (o.fixed ? 1 : 0) | (o.sili ? 2 : 0), ...u24(length), 0],
  write6: (length: number, o: { fixed?: boolean } = {}): number[] => [0x0a, o.fixed ? 1 : 0, ...u24(length), 0],
  writeFilemarks6: (count: number, immed = false): number[] => [0x10, immed ? 1 : 0, ...u24(count), 0],
  space6: (code: number, count: number): number[] => [0x11, code, ...u24(count & 0xffffff), 0],
  space16: (code: number, count: bigint): number[] => [0x91, code, 0, 0, ...u64(count), 0, 0, 0, 0],
  verify6: (length: number, o: { fixed?: boolean; bytcmp?: boolean } = {}): number[] => [0x13, (o.fixed ? 1 : 0) | (o.bytcmp ? 2 : 0), ...u24(length), 0],
  modeSense6: (page: number, o: { dbd?: boolean; alloc?: number; pc?: number } = {}): number[] => [0x1a, o.dbd ? 0x08 : 0, ((o.pc ?? 0) << 6) | page, 0, o.alloc ?? 255, 0],
  modeSelect6: (length: number): number[] => [0x15, 0x10, 0, 0, length, 0],
  erase6: (long = true): number[] => [0x19, long ? 1 : 0, 0, 0, 0, 0],
  loadUnload: (o: { load?: boolean; hold?: boolean; eot?: boolean; reten?: boolean } = {}): number[] =>
    [0x1b, 0, 0, 0, (o.load ? 1 : 0) | (o.reten ? 2 : 0) | (o.eot ? 4 : 0) | (o.hold ? 8 : 0), 0],
  preventAllow: (prevent: boolean): number[] => [0x1e, 0, 0, 0, prevent ? 1 : 0, 0],
  locate10: (objectId: number, o: { bt?: boolean; cp?: boolean; partition?: number } = {}): number[] =>
    [0x2b, (o.bt ? 4 : 0) | (o.cp ? 2 : 0), 0, ...u32(objectId), 0, o.partition ?? 0, 0],
  locate16: (id: bigint, destType = 0): number[] => [0x92, destType << 3, 0, 0, ...u64(id), 0, 0, 0, 0],
  readPosition: (sa: number, alloc = 0): number[] => [0x34, sa, 0, 0, 0, 0, 0, (alloc >> 8) & 0xff, alloc & 0xff, 0],
  reportDensity: (media: boolean, alloc = 0xffff): number[] => [0x44, media ? 1 : 0, 0, 0, 0, 0, 0, (alloc >> 8) & 0xff, alloc & 0xff, 0],
  logSense: (page: number, alloc = 0xffff): number[] => [0x4d, 0, 0x40 | page, 0, 0, 0, 0, (alloc >> 8) & 0xff, alloc & 0xff, 0],
  readAttribute: (sa: number, first: number, alloc = 0x10000): number[] =>
    [0x8c, sa, 0, 0, 0, 0, 0, 0, (first >> 8) & 0xff, first & 0xff, ...u32(alloc), 0, 0],
  writeAttribute: (length: number): number[] => [0x8d, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(length), 0, 0],
  readMediaSerial: (alloc = 0x100): number[] => [0xab, 0x01, 0, 0, 0, 0, ...u32(alloc), 0, 0],
  inquiry: (page?: number, alloc = 0xff): number[] => [0x12, page === undefined ? 0 : 1, page ?? 0, 0, alloc, 0],
};

/** READ POSITION short form, decoded. */
export async function position(lu: LogicalUnit): Promise<{ bop: boolean; eop: boolean; lolu: boolean; first: number; last: number; partition: number }> {
  const r = await run(lu, cdb.readPosition(0));
  if (r.status !== 0) throw new Error(`READ POSITION failed: ${JSON.stringify(r.sense)}`);
  const b = r.data;
  return {
    bop: ((b[0] ?? 0) & 0x80) !== 0,
    eop: ((b[0] ?? 0) & 0x40) !== 0,
    lolu: ((b[0] ?? 0) & 0x04) !== 0,
    partition: b[1] ?? 0,
    first: b.readUInt32BE(4),
    last: b.readUInt32BE(8),
  };
}

/** A block of `length` bytes whose content tells which block it is. */
export function block(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

/** Write variable-length blocks (asserting GOOD) and filemarks from a script: numbers are block sizes, 'F' a filemark. */
export async function writeScript(lu: LogicalUnit, script: ReadonlyArray<number | 'F'>): Promise<void> {
  let seed = 0;
  for (const step of script) {
    const r = step === 'F' ? await run(lu, cdb.writeFilemarks6(1)) : await run(lu, cdb.write6(step), { dataOut: block(step, seed++) });
    if (r.status !== 0) throw new Error(`setup write failed at ${String(step)}: ${JSON.stringify(r.sense)}`);
  }
}
