// READ CAPACITY (10), (16) and GET LBA STATUS (SBC-3 5.16, 5.17, 5.6).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';

/**
 * READ CAPACITY(10)
 *   byte 2-5  LOGICAL BLOCK ADDRESS (obsolete: must be 0 unless PMI)
 *   byte 8    bit 0 PMI (obsolete)
 * RETURNED LOGICAL BLOCK ADDRESS saturates at FFFFFFFFh: "the application
 * client should issue READ CAPACITY (16)".
 */
export function readCapacity10(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  if (!cdb.bit(8, 0) && cdb.u32(2) !== 0) throw invalidCdbField(2);
  const last = disk.blockCount - 1n;
  const b = Buffer.alloc(8);
  b.writeUInt32BE(last > 0xffffffffn ? 0xffffffff : Number(last), 0);
  b.writeUInt32BE(disk.blockSize, 4);
  return b;
}

/**
 * READ CAPACITY(16) (SERVICE ACTION IN(16), service action 10h)
 *   byte 10-13 ALLOCATION LENGTH
 * Data: 0-7 RETURNED LBA, 8-11 BLOCK LENGTH, 12 P_TYPE/PROT_EN (0: no
 * protection), 13 LBPPBE (0), 14-15 LBPME(15) LBPRZ(14) LOWEST ALIGNED LBA.
 */
export function readCapacity16(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const b = Buffer.alloc(32);
  b.writeBigUInt64BE(disk.blockCount - 1n, 0);
  b.writeUInt32BE(disk.blockSize, 8);
  if (disk.thin) b[14] = 0x80 | 0x40; // LBPME, LBPRZ
  return b.subarray(0, cdb.u32(10));
}

/** Most descriptors returned by one GET LBA STATUS. */
const MAX_DESCRIPTORS = 64;

/**
 * GET LBA STATUS (SERVICE ACTION IN(16), service action 12h)
 *   byte 2-9   STARTING LOGICAL BLOCK ADDRESS
 *   byte 10-13 ALLOCATION LENGTH
 * Data: 0-3 PARAMETER DATA LENGTH, then 16-byte descriptors from byte 8:
 * LBA (8), NUMBER OF LOGICAL BLOCKS (4), PROVISIONING STATUS (0 mapped, 1 deallocated).
 * "If the STARTING LOGICAL BLOCK ADDRESS field is greater than the LBA of the
 * last logical block ... LOGICAL BLOCK ADDRESS OUT OF RANGE."
 */
export async function getLbaStatus(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Promise<Buffer> {
  const start = cdb.u64(2);
  const alloc = cdb.u32(10);
  if (start >= disk.blockCount) throw new ScsiError(Sense.lbaOutOfRange, { info: start });
  const wanted = Math.max(1, Math.min(MAX_DESCRIPTORS, Math.floor((alloc - 8) / 16)));
  const descs: Buffer[] = [];
  for (let lba = start; lba < disk.blockCount && descs.length < wanted; ) {
    const st = disk.thin && disk.backend.extentStatus ? await disk.backend.extentStatus(lba) : { mapped: true, blocks: disk.blockCount - lba };
    const n = st.blocks > 0xffffffffn ? 0xffffffffn : st.blocks < 1n ? 1n : st.blocks;
    const d = Buffer.alloc(16);
    d.writeBigUInt64BE(lba, 0);
    d.writeUInt32BE(Number(n), 8);
    d[12] = st.mapped ? 0 : 1;
    descs.push(d);
    lba += n;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4 + 16 * descs.length, 0);
  return Buffer.concat([head, ...descs]).subarray(0, alloc);
}
