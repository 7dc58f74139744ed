// READ and WRITE (6), (10), (12), (16) (SBC-3 5.7-5.11, 5.32-5.36).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { checkNoProtect, checkRange, checkTransfer, cdbSize, extentOf, lengthByte } from './lba.ts';
import type { Disk } from './disk.ts';

/**
 * READ(6):  byte 1-3 LBA (21 bits), byte 4 TRANSFER LENGTH (0 = 256 blocks)
 * READ(10): byte 1 RDPROTECT(7-5) DPO(4) FUA(3) RARC(2); 2-5 LBA; 7-8 TRANSFER LENGTH
 * READ(12): byte 1 as (10); 2-5 LBA; 6-9 TRANSFER LENGTH
 * READ(16): byte 1 as (10); 2-9 LBA; 10-13 TRANSFER LENGTH
 * DPO and FUA need nothing on read: the page cache is coherent with the file.
 */
export async function read(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Promise<Buffer> {
  if (cdbSize(cdb) !== 6) checkNoProtect(cdb);
  const { lba, blocks } = extentOf(cdb);
  checkRange(disk, lba, blocks);
  checkTransfer(disk, blocks, lengthByte(cdb));
  if (blocks === 0) return Buffer.alloc(0);
  return disk.locks.with(lba, BigInt(blocks), false, () => disk.backend.read(lba, blocks));
}

/**
 * WRITE(6):  byte 1-3 LBA (21 bits), byte 4 TRANSFER LENGTH (0 = 256 blocks)
 * WRITE(10): byte 1 WRPROTECT(7-5) DPO(4) FUA(3); 2-5 LBA; 7-8 TRANSFER LENGTH
 * WRITE(12): byte 1 as (10); 2-5 LBA; 6-9 TRANSFER LENGTH
 * WRITE(16): byte 1 as (10); 2-9 LBA; 10-13 TRANSFER LENGTH
 * Data-Out beyond the transfer length is ignored (residual underflow); less
 * is written as far as it goes (residual overflow, see Disk.writeReceived).
 */
export async function write(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const six = cdbSize(cdb) === 6;
  if (!six) checkNoProtect(cdb);
  const { lba, blocks } = extentOf(cdb);
  checkRange(disk, lba, blocks);
  checkTransfer(disk, blocks, lengthByte(cdb));
  disk.checkWritable();
  if (blocks === 0) return;
  const fua = !six && cdb.bit(1, 3);
  await disk.locks.with(lba, BigInt(blocks), true, () => disk.writeReceived(lba, blocks, cmd.dataOut, fua));
}
