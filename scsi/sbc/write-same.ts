// WRITE SAME (10), (16) (SBC-3 5.41, 5.42) and UNMAP (SBC-3 5.28).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';
import { checkNoProtect, checkRange, cdbSize } from './lba.ts';

/** Data-Out of WRITE SAME: one block, none with NDOB (WRITE SAME(16) byte 1 bit 0). */
export const writeSameBytes = (disk: Disk, cdb: CdbReader): number =>
  cdbSize(cdb) === 16 && cdb.bit(1, 0) ? 0 : disk.blockSize;

const CHUNK_BYTES = 1 << 20;

/**
 * WRITE SAME(10): byte 1 WRPROTECT(7-5) ANCHOR(4) UNMAP(3); 2-5 LBA; 7-8 NUMBER OF LOGICAL BLOCKS
 * WRITE SAME(16): byte 1 WRPROTECT(7-5) ANCHOR(4) UNMAP(3) NDOB(0); 2-9 LBA; 10-13 NUMBER OF LOGICAL BLOCKS
 * NUMBER OF LOGICAL BLOCKS 0 means "to the last logical block" (WSNZ = 0),
 * subject to MAXIMUM WRITE SAME LENGTH. ANCHOR is not supported (ANC_SUP = 0):
 * "If the ANCHOR bit is set to one and the UNMAP bit is set to zero ... INVALID FIELD IN CDB."
 * With UNMAP=1 (or NDOB) the blocks are deallocated whatever the Data-Out
 * holds, as LIO does: libiscsi 1.19 WriteSame10.UnmapUntilEnd sends 0xFF
 * blocks with UNMAP=1 and expects zeros back when LBPRZ=1.
 */
export async function writeSame(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const sixteen = cdbSize(cdb) === 16;
  checkNoProtect(cdb);
  const anchor = cdb.bit(1, 4);
  const unmap = cdb.bit(1, 3);
  const ndob = sixteen && cdb.bit(1, 0);
  if (anchor) throw invalidCdbField(1, 4);
  if (unmap && !disk.thin) throw invalidCdbField(1, 3);
  const lba = sixteen ? cdb.u64(2) : BigInt(cdb.u32(2));
  const asked = sixteen ? cdb.u32(10) : cdb.u16(7);
  if (lba > disk.blockCount) throw new ScsiError(Sense.lbaOutOfRange, { info: lba });
  const blocks = asked === 0 ? disk.blockCount - lba : BigInt(asked);
  if (blocks > BigInt(disk.limits.maxWriteSame)) throw invalidCdbField(sixteen ? 10 : 7);
  checkRange(disk, lba, blocks);
  disk.checkWritable();
  const data = cmd.dataOut ?? Buffer.alloc(0);
  if (!ndob && data.length !== disk.blockSize) throw new ScsiError(Sense.invalidFieldInCommandInformationUnit);
  const block = ndob ? Buffer.alloc(disk.blockSize) : data.subarray(0, disk.blockSize);
  if (blocks === 0n) return;
  const zero = block.every((x) => x === 0);
  await disk.locks.with(lba, blocks, true, async () => {
    if ((unmap || (ndob && zero)) && disk.backend.unmap) return disk.backend.unmap(lba, blocks);
    if (zero && disk.backend.writeZeroes) return disk.backend.writeZeroes(lba, blocks);
    await fill(disk, lba, blocks, block);
  });
}

/** Write `block` repeated over [lba, lba+blocks), a chunk at a time. */
async function fill(disk: Disk, lba: bigint, blocks: bigint, block: Buffer): Promise<void> {
  const perChunk = BigInt(Math.max(1, Math.floor(CHUNK_BYTES / disk.blockSize)));
  const chunk = Buffer.alloc(Number(blocks < perChunk ? blocks : perChunk) * disk.blockSize);
  for (let off = 0; off < chunk.length; off += block.length) block.copy(chunk, off);
  for (let at = lba; at < lba + blocks; at += perChunk) {
    const n = lba + blocks - at < perChunk ? lba + blocks - at : perChunk;
    await disk.backend.write(at, chunk.subarray(0, Number(n) * disk.blockSize));
  }
  if (!disk.writeCacheEnabled()) await disk.backend.flush();
}

/**
 * UNMAP
 *   byte 1    ANCHOR(0)
 *   byte 7-8  PARAMETER LIST LENGTH
 * Parameter list: 0-1 UNMAP DATA LENGTH (n-1), 2-3 UNMAP BLOCK DESCRIPTOR
 * DATA LENGTH (n-7), then 16-byte descriptors: LBA (8), NUMBER OF BLOCKS (4).
 * SBC-3: "If the parameter list length is greater than zero and less than
 * eight, ... PARAMETER LIST LENGTH ERROR"; a descriptor beyond the capacity
 * is LBA OUT OF RANGE; more than the limits is INVALID FIELD IN PARAMETER LIST.
 */
export async function unmapCommand(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (!disk.thin || disk.backend.unmap === undefined) throw new ScsiError(Sense.invalidCommandOperationCode);
  if (cdb.bit(1, 0)) throw invalidCdbField(1, 0);
  const length = cdb.u16(7);
  disk.checkWritable();
  if (length === 0) return;
  if (length < 8) throw new ScsiError(Sense.parameterListLengthError);
  const data = (cmd.dataOut ?? Buffer.alloc(0)).subarray(0, length);
  if (data.length < 8) throw new ScsiError(Sense.parameterListLengthError);
  const descBytes = Math.min(data.readUInt16BE(2), data.length - 8) & ~15;
  const count = descBytes / 16;
  if (count > disk.limits.maxUnmapDescriptors) throw new ScsiError(Sense.invalidFieldInParameterList, { fieldPointer: { inCdb: false, byte: 2 } });
  const ranges: Array<{ lba: bigint; blocks: bigint }> = [];
  let total = 0n;
  for (let i = 0; i < count; i++) {
    const at = 8 + 16 * i;
    const lba = data.readBigUInt64BE(at);
    const blocks = BigInt(data.readUInt32BE(at + 8));
    if (lba + blocks > disk.blockCount) throw new ScsiError(Sense.lbaOutOfRange, { info: lba });
    total += blocks;
    ranges.push({ lba, blocks });
  }
  if (total > BigInt(disk.limits.maxUnmapBlocks)) throw new ScsiError(Sense.invalidFieldInParameterList, { fieldPointer: { inCdb: false, byte: 8 } });
  for (const r of ranges) {
    if (r.blocks === 0n) continue;
    await disk.locks.with(r.lba, r.blocks, true, () => disk.backend.unmap!(r.lba, r.blocks));
  }
}
