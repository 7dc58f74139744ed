// CDB shapes for the fuzzer: one per operation code (and service action) a
// logical unit may support, each building a plausible CDB with its fields
// drawn at random (flags, page codes, odd allocation and transfer lengths)
// and, for data-out commands, a parameter list shaped like the real one.
// This file: the types, the field helpers and the SPC-4 commands every LU has.
import type { Rng } from './fuzz-common.ts';

/** One fuzzed command: the CDB, and what the initiator sends or expects. */
export interface FuzzCommand {
  readonly cdb: Buffer;
  readonly dataOut?: Buffer;
  readonly readLength?: number;
}

/** What a shape may know about the library (element addresses learned at start). */
export interface ShapeContext {
  readonly elements: readonly number[];
}

export interface Shape {
  readonly op: number;
  /** Service action (for opcodes that carry one in byte 1, bits 4-0). */
  readonly sa?: number;
  readonly name: string;
  readonly make: (rng: Rng, ctx: ShapeContext) => FuzzCommand;
}

/** The most a fuzzed command transfers either way. */
export const MAX_TRANSFER = 256 * 1024;

/** An allocation or transfer length: the edges (0, 1, odd, the field's maximum) or anything up to max. */
export function oddLength(rng: Rng, max: number): number {
  switch (rng.int(8)) {
    case 0: return 0;
    case 1: return 1 + rng.int(7);
    case 2: return max;
    case 3: return (rng.int(max) | 1) >>> 0;
    case 4: return Math.min(max, 4 + rng.int(60));
    default: return rng.int(Math.min(max, 4096) + 1);
  }
}

/** A CDB of `len` bytes with byte 0 = op and the rest from `fill` (byte index -> value). */
export function cdb(len: number, op: number, fill: Record<number, number> = {}): Buffer {
  const b = Buffer.alloc(len);
  b[0] = op;
  for (const [at, v] of Object.entries(fill)) b[Number(at)] = v & 0xff;
  return b;
}

export const put16 = (b: Buffer, at: number, v: number): Buffer => { b.writeUInt16BE(v & 0xffff, at); return b; };
export const put24 = (b: Buffer, at: number, v: number): Buffer => { b.writeUIntBE(v & 0xffffff, at, 3); return b; };
export const put32 = (b: Buffer, at: number, v: number): Buffer => { b.writeUInt32BE(v >>> 0, at); return b; };

/** A data-in command whose expected length usually equals the CDB's allocation length. */
export function dataIn(rng: Rng, c: Buffer, alloc: number): FuzzCommand {
  return { cdb: c, readLength: rng.one(6) ? rng.int(MAX_TRANSFER) : Math.min(alloc, MAX_TRANSFER) };
}

/** A data-out command: the parameter list, usually as long as the CDB says, sometimes cut or padded. */
export function dataOut(rng: Rng, c: Buffer, list: Buffer): FuzzCommand {
  const cut = rng.int(8);
  const data = cut === 0 ? list.subarray(0, rng.int(list.length + 1)) : cut === 1 ? Buffer.concat([list, rng.bytes(rng.int(64))]) : list;
  return { cdb: c, dataOut: data.subarray(0, MAX_TRANSFER) };
}

/** Mode page codes worth asking for: the tape and changer ones, the catch-alls, anything. */
const MODE_PAGES = [0x00, 0x01, 0x02, 0x0a, 0x0f, 0x10, 0x11, 0x1c, 0x1d, 0x1e, 0x1f, 0x24, 0x3f];
const LOG_PAGES = [0x00, 0x02, 0x03, 0x0c, 0x0d, 0x11, 0x14, 0x16, 0x17, 0x18, 0x1b, 0x2e, 0x30, 0x31, 0x3e];
const VPD_PAGES = [0x00, 0x80, 0x83, 0x86, 0x87, 0x88, 0xb0, 0xb1, 0xb2, 0xc0, 0xc1];

/** A MODE SELECT parameter list: header, maybe a block descriptor, pages with random bodies. */
export function modeParameterList(rng: Rng, ten: boolean): Buffer {
  const head = Buffer.alloc(ten ? 8 : 4);
  if (rng.one(4)) head[ten ? 3 : 2] = rng.int(256); // device-specific: WP, BUFFERED MODE, SPEED
  const bd = rng.int(3) === 0 ? Buffer.alloc(0) : Buffer.alloc(8);
  if (bd.length) {
    bd[0] = rng.pick([0x00, 0x7f, 0x58, 0x5a, 0x5c, 0x5e, rng.int(256)]); // density code
    bd.writeUIntBE(rng.pick([0, 0, 512, 4096, 65536, 1, rng.int(1 << 24)]), 5, 3); // block length
  }
  if (ten) head.writeUInt16BE(rng.one(8) ? rng.int(64) : bd.length, 6);
  else head[3] = rng.one(8) ? rng.int(64) : bd.length;
  const pages: Buffer[] = [];
  for (let n = rng.int(3); n > 0; n--) {
    const code = rng.pick(MODE_PAGES) & 0x3f;
    const sub = rng.one(4);
    const len = rng.pick([0x06, 0x0a, 0x0e, 0x10, 0x1e, rng.int(64)]);
    const p = Buffer.concat([sub ? Buffer.from([0x40 | code, rng.int(3), 0, len]) : Buffer.from([code, len]), rng.bytes(len)]);
    if (rng.one(6)) p[0]! |= 0x80; // PS
    pages.push(p);
  }
  return Buffer.concat([head, bd, ...pages]);
}

/** SPC-4 commands: every LU's table starts from these. */
export const spcShapes: readonly Shape[] = [
  { op: 0x00, name: 'TEST UNIT READY', make: (rng) => ({ cdb: cdb(6, 0x00, { 5: rng.one(8) ? rng.int(256) : 0 }) }) },
  { op: 0x03, name: 'REQUEST SENSE', make: (rng) => { const a = oddLength(rng, 0xff); return dataIn(rng, cdb(6, 0x03, { 1: rng.int(2), 4: a }), a); } },
  { op: 0x12, name: 'INQUIRY', make: (rng) => {
    const evpd = rng.int(3) !== 0;
    const a = oddLength(rng, 0xffff);
    return dataIn(rng, put16(cdb(6, 0x12, { 1: evpd ? 1 : rng.int(4), 2: evpd ? rng.pick(VPD_PAGES) : rng.one(4) ? rng.int(256) : 0 }), 3, a), a);
  } },
  { op: 0x15, name: 'MODE SELECT(6)', make: (rng) => {
    const list = modeParameterList(rng, false);
    return dataOut(rng, cdb(6, 0x15, { 1: rng.pick([0x10, 0x11, 0x00, 0x01]), 4: rng.one(8) ? rng.int(256) : list.length }), list);
  } },
  { op: 0x55, name: 'MODE SELECT(10)', make: (rng) => {
    const list = modeParameterList(rng, true);
    return dataOut(rng, put16(cdb(10, 0x55, { 1: rng.pick([0x10, 0x11, 0x00, 0x01]) }), 7, rng.one(8) ? rng.int(0x10000) : list.length), list);
  } },
  { op: 0x1a, name: 'MODE SENSE(6)', make: (rng) => {
    const a = oddLength(rng, 0xff);
    return dataIn(rng, cdb(6, 0x1a, { 1: rng.int(2) << 3, 2: (rng.int(4) << 6) | rng.pick(MODE_PAGES), 3: rng.pick([0, 0, 0xff, rng.int(256)]), 4: a }), a);
  } },
  { op: 0x5a, name: 'MODE SENSE(10)', make: (rng) => {
    const a = oddLength(rng, 0xffff);
    return dataIn(rng, put16(cdb(10, 0x5a, { 1: rng.int(4) << 3, 2: (rng.int(4) << 6) | rng.pick(MODE_PAGES), 3: rng.pick([0, 0, 0xff, rng.int(256)]) }), 7, a), a);
  } },
  { op: 0x16, name: 'RESERVE(6)', make: (rng) => ({ cdb: cdb(6, 0x16, { 1: rng.one(4) ? rng.int(256) : 0 }) }) },
  { op: 0x17, name: 'RELEASE(6)', make: (rng) => ({ cdb: cdb(6, 0x17, { 1: rng.one(4) ? rng.int(256) : 0 }) }) },
  { op: 0x56, name: 'RESERVE(10)', make: (rng) => ({ cdb: cdb(10, 0x56, { 1: rng.one(4) ? rng.int(256) : 0 }) }) },
  { op: 0x57, name: 'RELEASE(10)', make: (rng) => ({ cdb: cdb(10, 0x57, { 1: rng.one(4) ? rng.int(256) : 0 }) }) },
  { op: 0x4c, name: 'LOG SELECT', make: (rng) => {
    const list = Buffer.concat([Buffer.from([rng.pick(LOG_PAGES), 0, 0, 8]), rng.bytes(8)]);
    return dataOut(rng, put16(cdb(10, 0x4c, { 1: rng.int(4), 2: (rng.int(4) << 6) | (rng.one(2) ? rng.pick(LOG_PAGES) : 0), 3: rng.one(4) ? rng.int(256) : 0 }), 7, rng.one(3) ? 0 : list.length), list);
  } },
  { op: 0x4d, name: 'LOG SENSE', make: (rng) => {
    const a = oddLength(rng, 0xffff);
    return dataIn(rng, put16(put16(cdb(10, 0x4d, { 1: rng.int(4), 2: (rng.int(4) << 6) | rng.pick(LOG_PAGES), 3: rng.pick([0, 0, 0xff, rng.int(256)]) }), 5, rng.one(3) ? rng.int(0x10000) : 0), 7, a), a);
  } },
  { op: 0x5e, name: 'PERSISTENT RESERVE IN', make: (rng) => {
    const a = oddLength(rng, 0xffff);
    return dataIn(rng, put16(cdb(10, 0x5e, { 1: rng.one(6) ? rng.int(32) : rng.int(4) }), 7, a), a);
  } },
  { op: 0x5f, name: 'PERSISTENT RESERVE OUT', make: (rng) => {
    // A few keys, so that registrations, reservations and preemptions really happen.
    const key = (): Buffer => { const k = Buffer.alloc(8); k.writeUInt32BE(rng.pick([0, 1, 2, 0xabc]), 4); return k; };
    const flags = Buffer.alloc(8);
    flags[4] = rng.int(16); // SPEC_I_PT, ALL_TG_PT, APTPL
    const list = Buffer.concat([key(), key(), flags, rng.one(8) ? rng.bytes(rng.int(40)) : Buffer.alloc(0)]);
    const c = cdb(10, 0x5f, { 1: rng.one(8) ? rng.int(32) : rng.int(8), 2: (rng.one(4) ? rng.int(16) << 4 : 0) | rng.pick([1, 3, 5, 6, 7, 8, rng.int(16)]) });
    return dataOut(rng, put32(c, 5, rng.one(6) ? rng.int(0x10000) : list.length), list);
  } },
  { op: 0xa0, name: 'REPORT LUNS', make: (rng) => {
    const a = oddLength(rng, 0xffffffff);
    return dataIn(rng, put32(cdb(12, 0xa0, { 2: rng.pick([0, 1, 2, 0x10, 0x11, 0x12, rng.int(256)]) }), 6, a), a);
  } },
  { op: 0xa3, sa: 0x0c, name: 'REPORT SUPPORTED OPERATION CODES', make: (rng) => {
    const a = oddLength(rng, 0xffffffff);
    const c = cdb(12, 0xa3, { 1: 0x0c, 2: (rng.int(2) << 7) | rng.int(8), 3: rng.int(256) });
    return dataIn(rng, put32(put16(c, 4, rng.one(2) ? rng.int(32) : rng.int(0x10000)), 6, a), a);
  } },
];

/** Opcodes with a service action in byte 1: a random one is as likely as a known one. */
export function serviceActionCdb(rng: Rng, op: number, len: number): FuzzCommand {
  const c = cdb(len, op, { 1: rng.int(32) });
  for (let i = 2; i < len - 1; i++) c[i] = rng.one(3) ? rng.int(256) : 0;
  return { cdb: c, readLength: rng.int(4096) };
}
