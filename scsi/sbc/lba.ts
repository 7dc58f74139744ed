// Fields every SBC medium-access CDB shares, and the checks on them.
import type { CdbReader } from '../cdb.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';

export interface Extent {
  readonly lba: bigint;
  readonly blocks: number;
}

/** LOGICAL BLOCK ADDRESS and TRANSFER LENGTH by CDB size (READ/WRITE/VERIFY 10/12/16 layouts). */
export function extentOf(cdb: CdbReader): Extent {
  switch (cdbSize(cdb)) {
    case 6: {
      // byte 1 bits 4-0, bytes 2-3: LBA (21 bits); byte 4: TRANSFER LENGTH, 0 means 256
      const n = cdb.u8(4);
      return { lba: BigInt((cdb.bits(1, 0, 5) << 16) | cdb.u16(2)), blocks: n === 0 ? 256 : n };
    }
    case 12: return { lba: BigInt(cdb.u32(2)), blocks: cdb.u32(6) };
    case 16: return { lba: cdb.u64(2), blocks: cdb.u32(10) };
    default: return { lba: BigInt(cdb.u32(2)), blocks: cdb.u16(7) };
  }
}

/** Transfer length in bytes of a READ/WRITE/VERIFY-style CDB, for residuals. */
export const transferBytes = (disk: Disk, cdb: CdbReader): number => extentOf(cdb).blocks * disk.blockSize;

/**
 * LOGICAL BLOCK ADDRESS OUT OF RANGE (21/00) when lba + blocks passes the
 * capacity (SBC-3 4.5: "If any logical block ... exceeds the capacity").
 * A zero-length transfer at lba = capacity is allowed, as LIO does.
 */
export function checkRange(disk: Disk, lba: bigint, blocks: number | bigint): void {
  if (lba + BigInt(blocks) > disk.blockCount) throw new ScsiError(Sense.lbaOutOfRange, { info: lba });
}

/** SBC-3: a transfer above MAXIMUM TRANSFER LENGTH is an invalid field (TRANSFER LENGTH). */
export function checkTransfer(disk: Disk, blocks: number, fieldByte: number): void {
  if (blocks > disk.limits.maxTransfer) throw invalidCdbField(fieldByte);
}

/** RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7-5): no protection information, so nonzero is invalid. */
export function checkNoProtect(cdb: CdbReader): void {
  if (cdb.bits(1, 5, 3) !== 0) throw invalidCdbField(1, 7);
}

/** The byte holding TRANSFER LENGTH, for field pointers. */
export const lengthByte = (cdb: CdbReader): number => ({ 6: 4, 10: 7, 12: 6, 16: 10 })[cdbSize(cdb)] ?? 7;

export function cdbSize(cdb: CdbReader): 6 | 10 | 12 | 16 {
  const g = cdb.opcode >> 5;
  return g === 0 ? 6 : g === 5 ? 12 : g === 4 ? 16 : 10;
}
