// CDB shapes for a tape drive (SSC-4): every command of the drive's table,
// with the fields that steer it (FIXED, SILI, IMMED, SPACE codes, signed
// counts, LOCATE destinations, READ POSITION forms, MAM attributes) and
// data-out for WRITE, VERIFY with BYTCMP and WRITE ATTRIBUTE.
import type { Rng } from './fuzz-common.ts';
import { cdb, dataIn, dataOut, MAX_TRANSFER, oddLength, put16, put24, put32, type FuzzCommand, type Shape } from './fuzz-cdb-spc.ts';

/** A transfer length in blocks or bytes: mostly small, sometimes the 24-bit edges. */
function count24(rng: Rng): number {
  return rng.pick([0, 1, 2, 3, 80, 512, 4096, 65536, 0xffffff, rng.int(0x1000000), rng.int(70_000), rng.int(300)]);
}

/** A signed count (SPACE): small either way, or the edges. */
function signed(rng: Rng, bits: 24 | 64): bigint {
  const v = rng.pick([0n, 1n, -1n, 2n, -2n, 5n, -5n, 100n, -100n, BigInt(rng.int(1000)) - 500n]);
  if (rng.one(6)) return bits === 24 ? rng.pick([0x7fffffn, -0x800000n]) : rng.pick([0x7fffffffffffffffn, -0x8000000000000000n]);
  return v;
}

/** The bytes of a READ or WRITE(6): variable (length = bytes) or fixed (length x a guessed block size). */
function bytesOf(rng: Rng, fixed: boolean, length: number): number {
  return Math.min(MAX_TRANSFER, fixed ? length * rng.pick([512, 1024, 4096, 65536]) : length);
}

/** WRITE ATTRIBUTE parameter list (SSC-4 / SPC-4 7.4): list length, then id, format, length, value. */
function attributeList(rng: Rng): Buffer {
  const attrs: Buffer[] = [];
  for (let n = rng.int(4); n > 0; n--) {
    const id = rng.pick([0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x0400, 0x0401, 0x0800, 0x0801,
      0x0802, 0x0803, 0x0804, 0x0805, 0x0806, 0x0808, 0x080b, 0x080c, 0x1000, 0x1401, rng.int(0x10000)]);
    const len = rng.pick([0, 1, 2, 8, 32, 160, rng.int(300)]);
    const head = Buffer.alloc(5);
    head.writeUInt16BE(id, 0);
    head[2] = rng.pick([0x00, 0x01, 0x02, 0x80, rng.int(256)]); // READ ONLY bit, FORMAT binary/ascii/text
    head.writeUInt16BE(rng.one(8) ? rng.int(0x10000) : len, 3);
    attrs.push(head, rng.one(2) ? Buffer.from('S3VTL FUZZ '.repeat(30).slice(0, len), 'ascii') : rng.bytes(len));
  }
  const body = Buffer.concat(attrs);
  return Buffer.concat([put32(Buffer.alloc(4), 0, rng.one(8) ? rng.u32() : body.length), body]);
}

function write6(rng: Rng): FuzzCommand {
  const fixed = rng.one(4);
  const len = count24(rng);
  const c = put24(cdb(6, 0x0a, { 1: fixed ? 1 : rng.one(16) ? rng.int(256) : 0 }), 2, len);
  return dataOut(rng, c, rng.bytes(bytesOf(rng, fixed, len)));
}

function read6(rng: Rng): FuzzCommand {
  const fixed = rng.one(4);
  const len = count24(rng);
  const c = put24(cdb(6, 0x08, { 1: (fixed ? 1 : 0) | (rng.int(2) << 1) | (rng.one(16) ? rng.int(256) : 0) }), 2, len);
  return dataIn(rng, c, bytesOf(rng, fixed, len));
}

function verify6(rng: Rng): FuzzCommand {
  const byte1 = rng.int(64); // VTE VLBAM VBF IMMED BYTCMP FIXED
  const len = count24(rng);
  const c = put24(cdb(6, 0x13, { 1: byte1 }), 2, len);
  return (byte1 & 0x02) !== 0 ? dataOut(rng, c, rng.bytes(bytesOf(rng, (byte1 & 1) !== 0, len))) : { cdb: c };
}

const big = (c: Buffer, at: number, v: bigint): Buffer => { c.writeBigInt64BE(BigInt.asIntN(64, v), at); return c; };
const position = (rng: Rng): bigint => BigInt(rng.pick([0, 1, 2, 3, 10, 50, 1000, 0xffffffff, rng.int(200)]));

export const sscShapes: readonly Shape[] = [
  { op: 0x01, name: 'REWIND', make: (rng) => ({ cdb: cdb(6, 0x01, { 1: rng.int(2) }) }) },
  { op: 0x05, name: 'READ BLOCK LIMITS', make: (rng) => { const mloi = rng.int(2); return dataIn(rng, cdb(6, 0x05, { 1: mloi }), mloi ? 20 : 6); } },
  { op: 0x08, name: 'READ(6)', make: read6 },
  { op: 0x0a, name: 'WRITE(6)', make: write6 },
  { op: 0x10, name: 'WRITE FILEMARKS(6)', make: (rng) => ({ cdb: put24(cdb(6, 0x10, { 1: rng.int(4) }), 2, rng.pick([0, 1, 1, 2, 3, rng.int(20), 0xffffff])) }) },
  { op: 0x11, name: 'SPACE(6)', make: (rng) => ({ cdb: put24(cdb(6, 0x11, { 1: rng.pick([0, 0, 1, 1, 3, 2, 4, rng.int(16)]) }), 2, Number(BigInt.asUintN(24, signed(rng, 24)))) }) },
  { op: 0x13, name: 'VERIFY(6)', make: verify6 },
  { op: 0x19, name: 'ERASE(6)', make: (rng) => ({ cdb: cdb(6, 0x19, { 1: rng.int(4) }) }) },
  { op: 0x1b, name: 'LOAD UNLOAD', make: (rng) => ({ cdb: cdb(6, 0x1b, { 1: rng.int(2), 4: rng.one(4) ? rng.int(256) : rng.pick([0, 1, 0x08, 0x09, 0x02, 0x03, 0x04]) }) }) },
  { op: 0x1e, name: 'PREVENT ALLOW MEDIUM REMOVAL', make: (rng) => ({ cdb: cdb(6, 0x1e, { 4: rng.int(4) }) }) },
  { op: 0x2b, name: 'LOCATE(10)', make: (rng) => ({ cdb: put32(cdb(10, 0x2b, { 1: rng.int(8), 8: rng.one(4) ? rng.int(4) : 0 }), 3, Number(position(rng))) }) },
  { op: 0x34, name: 'READ POSITION', make: (rng) => {
    const sa = rng.pick([0x00, 0x01, 0x06, 0x08, rng.int(32)]);
    const a = rng.one(3) ? oddLength(rng, 0xffff) : sa === 0x06 ? 32 : sa === 0x08 ? 28 : 20;
    return dataIn(rng, put16(cdb(10, 0x34, { 1: sa }), 7, a), a);
  } },
  { op: 0x44, name: 'REPORT DENSITY SUPPORT', make: (rng) => { const a = oddLength(rng, 0xffff); return dataIn(rng, put16(cdb(10, 0x44, { 1: rng.int(4) }), 7, a), a); } },
  { op: 0x80, name: 'WRITE FILEMARKS(16)', make: (rng) => ({ cdb: put24(big(cdb(16, 0x80, { 1: rng.int(8), 3: rng.one(4) ? rng.int(4) : 0 }), 4, rng.one(2) ? 0n : position(rng)), 12, rng.pick([0, 1, 2, rng.int(10)])) }) },
  { op: 0x8c, name: 'READ ATTRIBUTE', make: (rng) => {
    const a = oddLength(rng, 0xffffffff);
    const c = cdb(16, 0x8c, { 1: rng.one(6) ? rng.int(32) : rng.int(6), 5: rng.one(4) ? rng.int(4) : 0, 7: rng.one(4) ? rng.int(4) : 0, 14: rng.int(2) });
    return dataIn(rng, put32(put16(c, 8, rng.pick([0, 0x0001, 0x0400, 0x0800, 0x0806, 0x1000, rng.int(0x10000)])), 10, a), a);
  } },
  { op: 0x8d, name: 'WRITE ATTRIBUTE', make: (rng) => {
    const list = attributeList(rng);
    const c = cdb(16, 0x8d, { 1: rng.int(2), 5: rng.one(4) ? rng.int(4) : 0, 7: rng.one(4) ? rng.int(4) : 0 });
    return dataOut(rng, put32(c, 10, rng.one(8) ? rng.int(0x10000) : list.length), list);
  } },
  { op: 0x91, name: 'SPACE(16)', make: (rng) => ({ cdb: put16(big(cdb(16, 0x91, { 1: rng.pick([0, 1, 3, 2, rng.int(16)]) }), 4, signed(rng, 64)), 12, rng.one(8) ? rng.int(0x10000) : 0) }) },
  { op: 0x92, name: 'LOCATE(16)', make: (rng) => ({ cdb: big(cdb(16, 0x92, { 1: rng.int(32), 2: rng.int(2), 3: rng.one(4) ? rng.int(4) : 0 }), 4, position(rng)) }) },
  { op: 0x93, name: 'ERASE(16)', make: (rng) => ({ cdb: big(cdb(16, 0x93, { 1: rng.int(16), 3: rng.one(4) ? rng.int(4) : 0 }), 4, rng.one(2) ? 0n : position(rng)) }) },
  { op: 0xab, sa: 0x01, name: 'READ MEDIA SERIAL NUMBER', make: (rng) => { const a = oddLength(rng, 0xffffffff); return dataIn(rng, put32(cdb(12, 0xab, { 1: 0x01 }), 6, a), a); } },
];
