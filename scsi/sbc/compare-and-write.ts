// COMPARE AND WRITE (SBC-3 5.2) and ORWRITE(16) (SBC-3 5.6): read-modify-write
// commands, atomic under an exclusive range lock.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';
import { checkNoProtect, checkRange, checkTransfer, extentOf } from './lba.ts';

/** Data-Out of COMPARE AND WRITE: the verify instance then the write instance, 2 x NUMBER OF LOGICAL BLOCKS. */
export const compareAndWriteBytes = (disk: Disk, cdb: CdbReader): number => 2 * cdb.u8(13) * disk.blockSize;

/**
 * COMPARE AND WRITE
 *   byte 1     WRPROTECT(7-5) DPO(4) FUA(3)
 *   byte 2-9   LOGICAL BLOCK ADDRESS
 *   byte 13    NUMBER OF LOGICAL BLOCKS (<= MAXIMUM COMPARE AND WRITE LENGTH)
 * "If the compare operation does not indicate a match, then the device server
 * shall terminate the command with CHECK CONDITION status with the sense key
 * set to MISCOMPARE ... and the INFORMATION field set to the offset from the
 * start of the Data-Out Buffer to the first byte of data that was not equal";
 * nothing is written.
 */
export async function compareAndWrite(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  checkNoProtect(cdb);
  const lba = cdb.u64(2);
  const blocks = cdb.u8(13);
  if (blocks > disk.limits.maxCompareAndWrite) throw invalidCdbField(13);
  checkRange(disk, lba, blocks);
  disk.checkWritable();
  const data = cmd.dataOut ?? Buffer.alloc(0);
  // Zero blocks is "not an error", but Data-Out with it contradicts the CDB
  // (libiscsi sends 256 blocks as 0 in the one-byte field and expects 24/00).
  if (blocks === 0) {
    if (data.length > 0) throw invalidCdbField(13);
    return;
  }
  const len = blocks * disk.blockSize;
  if (data.length !== 2 * len) throw new ScsiError(Sense.invalidFieldInCommandInformationUnit);
  await disk.locks.with(lba, BigInt(blocks), true, async () => {
    const stored = await disk.backend.read(lba, blocks);
    const expected = data.subarray(0, len);
    if (!expected.equals(stored)) {
      let i = 0;
      while (expected[i] === stored[i]) i++;
      throw new ScsiError(Sense.miscompareDuringVerify, { info: i });
    }
    await disk.writeBlocks(lba, data.subarray(len), cdb.bit(1, 3));
  });
}

/**
 * ORWRITE(16)
 *   byte 1     ORPROTECT(7-5) DPO(4) FUA(3)
 *   byte 2-9   LBA      byte 10-13 TRANSFER LENGTH
 * Each stored byte becomes stored OR Data-Out (the BMOP 000b form).
 */
export async function orWrite(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  checkNoProtect(cdb);
  const { lba, blocks } = extentOf(cdb);
  checkRange(disk, lba, blocks);
  checkTransfer(disk, blocks, 10);
  disk.checkWritable();
  if (blocks === 0) return;
  const data = (cmd.dataOut ?? Buffer.alloc(0)).subarray(0, blocks * disk.blockSize);
  await disk.locks.with(lba, BigInt(blocks), true, async () => {
    const stored = await disk.backend.read(lba, blocks);
    for (let i = 0; i < stored.length; i++) stored[i] = (stored[i] ?? 0) | (data[i] ?? 0);
    await disk.writeBlocks(lba, stored, cdb.bit(1, 3));
  });
}
