// VERIFY (10), (12), (16) and WRITE AND VERIFY (10), (12), (16) (SBC-3 5.29-5.31, 5.38-5.40).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';
import { checkNoProtect, checkRange, checkTransfer, extentOf, lengthByte } from './lba.ts';

/** BYTCHK (byte 1 bits 2-1): 00b medium check only, 01b compare with Data-Out (11b, SBC-4 "one block" form, unsupported). */
export const byteCheck = (cdb: CdbReader): number => cdb.bits(1, 1, 2);

/** Data-Out bytes of a VERIFY: only with BYTCHK = 01b. */
export const verifyTransferBytes = (disk: Disk, cdb: CdbReader): number =>
  byteCheck(cdb) === 1 ? extentOf(cdb).blocks * disk.blockSize : 0;

/**
 * MISCOMPARE DURING VERIFY OPERATION (1D/00) when `expected` differs from
 * `actual`; SBC-3: "the INFORMATION field set to the offset from the start
 * of the Data-Out Buffer to the first byte of data that was not equal".
 */
export function compareOrThrow(expected: Buffer, actual: Buffer): void {
  if (expected.equals(actual)) return;
  let i = 0;
  while (i < expected.length && expected[i] === actual[i]) i++;
  throw new ScsiError(Sense.miscompareDuringVerify, { info: i });
}

/**
 * VERIFY(10): byte 1 VRPROTECT(7-5) DPO(4) BYTCHK(2-1); 2-5 LBA; 7-8 VERIFICATION LENGTH
 * VERIFY(12): 2-5 LBA; 6-9 VERIFICATION LENGTH
 * VERIFY(16): 2-9 LBA; 10-13 VERIFICATION LENGTH
 * BYTCHK 00b: the blocks are read (a medium check); 01b: compared with Data-Out.
 */
export async function verify(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  checkNoProtect(cdb);
  const bytchk = byteCheck(cdb);
  if (bytchk === 2 || bytchk === 3) throw invalidCdbField(1, 2);
  const { lba, blocks } = extentOf(cdb);
  checkRange(disk, lba, blocks);
  checkTransfer(disk, blocks, lengthByte(cdb));
  if (blocks === 0) return;
  const stored = await disk.locks.with(lba, BigInt(blocks), false, () => disk.backend.read(lba, blocks));
  if (bytchk !== 1) return;
  const sent = (cmd.dataOut ?? Buffer.alloc(0)).subarray(0, stored.length);
  compareOrThrow(sent, stored.subarray(0, sent.length)); // only what was sent (residual overflow)
}

/**
 * WRITE AND VERIFY(10): byte 1 WRPROTECT(7-5) DPO(4) BYTCHK(2-1); 2-5 LBA; 7-8 TRANSFER LENGTH
 * WRITE AND VERIFY(12): 2-5 LBA; 6-9; (16): 2-9 LBA; 10-13.
 * The write is made durable, read back and compared (BYTCHK=1: against the Data-Out).
 */
export async function writeAndVerify(disk: Disk, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  checkNoProtect(cdb);
  if (byteCheck(cdb) >= 2) throw invalidCdbField(1, 2);
  const { lba, blocks } = extentOf(cdb);
  checkRange(disk, lba, blocks);
  checkTransfer(disk, blocks, lengthByte(cdb));
  disk.checkWritable();
  if (blocks === 0) return;
  await disk.locks.with(lba, BigInt(blocks), true, async () => {
    const written = await disk.writeReceived(lba, blocks, cmd.dataOut, true);
    compareOrThrow(written, (await disk.backend.read(lba, blocks)).subarray(0, written.length));
  });
}
