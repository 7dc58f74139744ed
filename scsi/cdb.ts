// Reads CDB and parameter-list fields by name: no handler indexes bytes bare.
import { invalidCdbField } from './sense.ts';

/** A big-endian field reader over a CDB or a parameter list. */
export class FieldReader {
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get length(): number {
    return this.buf.length;
  }
  u8(at: number): number {
    return this.buf[at] ?? 0;
  }
  u16(at: number): number {
    return (this.u8(at) << 8) | this.u8(at + 1);
  }
  u24(at: number): number {
    return (this.u8(at) << 16) | this.u16(at + 1);
  }
  /** Signed 24-bit (SPACE(6) count). */
  i24(at: number): number {
    const v = this.u24(at);
    return v & 0x800000 ? v - 0x1000000 : v;
  }
  u32(at: number): number {
    return ((this.u8(at) << 24) >>> 0) + this.u24(at + 1);
  }
  u64(at: number): bigint {
    return (BigInt(this.u32(at)) << 32n) | BigInt(this.u32(at + 4));
  }
  /** Signed 64-bit (SPACE(16) count). */
  i64(at: number): bigint {
    return BigInt.asIntN(64, this.u64(at));
  }
  /** Bits [lsb, lsb+width) of byte `at`. */
  bits(at: number, lsb: number, width: number): number {
    return (this.u8(at) >> lsb) & ((1 << width) - 1);
  }
  bit(at: number, bit: number): boolean {
    return ((this.u8(at) >> bit) & 1) === 1;
  }
}

/** CDB reader: adds the checks every CDB shares. */
export class CdbReader extends FieldReader {
  get opcode(): number {
    return this.u8(0);
  }
  /** Service action in byte 1 bits 4..0 (MAINTENANCE IN/OUT, SERVICE ACTION IN(16), PR IN/OUT). */
  get serviceAction(): number {
    return this.bits(1, 0, 5);
  }
  /** CONTROL byte (last byte of the CDB). NACA and LINK are not supported: ILLEGAL REQUEST. */
  checkControl(): void {
    const at = cdbLength(this.opcode) - 1;
    if (this.bit(at, 2) || this.bit(at, 0)) throw invalidCdbField(at, this.bit(at, 2) ? 2 : 0);
  }
}

/** SPC-4 4.2.5.1: the CDB length implied by the operation code's group. */
export function cdbLength(opcode: number): number {
  switch (opcode >> 5) {
    case 0: return 6;
    case 1: case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return opcode === 0x7f ? 8 : 10; // 3: variable length; 6,7: vendor specific
  }
}
