// SYNCHRONIZE CACHE (10)/(16), PRE-FETCH (10)/(16), START STOP UNIT,
// PREVENT ALLOW MEDIUM REMOVAL, READ DEFECT DATA (10)/(12) (SBC-3).
import type { CdbReader } from '../cdb.ts';
import type { HandlerOutcome } from '../command-table.ts';
import { Status, type ScsiCommand } from '../command.ts';
import { invalidCdbField } from '../sense.ts';
import type { Disk } from './disk.ts';
import { cdbSize, checkRange } from './lba.ts';

/** LBA and NUMBER OF LOGICAL BLOCKS of SYNCHRONIZE CACHE / PRE-FETCH: (10) 2-5, 7-8; (16) 2-9, 10-13. */
function rangeOf(cdb: CdbReader): { lba: bigint; blocks: number } {
  return cdbSize(cdb) === 16 ? { lba: cdb.u64(2), blocks: cdb.u32(10) } : { lba: BigInt(cdb.u32(2)), blocks: cdb.u16(7) };
}

/**
 * SYNCHRONIZE CACHE(10)/(16)
 *   byte 1 bit 1 IMMED    (10): 2-5 LBA, 7-8 NUMBER OF LOGICAL BLOCKS; (16): 2-9, 10-13
 * The whole file is flushed, whatever the range (0 blocks = to the end).
 */
export async function synchronizeCache(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const { lba, blocks } = rangeOf(cdb);
  checkRange(disk, lba, blocks);
  await disk.backend.flush();
}

/**
 * PRE-FETCH(10)/(16)
 *   byte 1 bit 1 IMMED    (10): 2-5 LBA, 7-8 PREFETCH LENGTH; (16): 2-9, 10-13
 * SBC-3: "If ... the specified logical blocks were successfully transferred to
 * the cache ... CONDITION MET status" when IMMED=0; the page cache holds
 * whatever fits, so we answer CONDITION MET (GOOD with IMMED=1).
 */
export function preFetch(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): HandlerOutcome {
  const { lba, blocks } = rangeOf(cdb);
  checkRange(disk, lba, blocks);
  return cdb.bit(1, 1) ? undefined : { status: Status.CONDITION_MET };
}

/**
 * START STOP UNIT
 *   byte 1 bit 0 IMMED; byte 3 bits 3-0 POWER CONDITION MODIFIER;
 *   byte 4 POWER CONDITION(7-4) NO_FLUSH(2) LOEJ(1) START(0)
 * The medium is not removable and always spinning: accepted, nothing changes
 * (libiscsi StartStopUnit expects TEST UNIT READY to stay GOOD). Stopping
 * flushes unless NO_FLUSH.
 */
export async function startStopUnit(disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const pc = cdb.bits(4, 4, 4);
  if (pc !== 0 && pc !== 1 && pc !== 2 && pc !== 3 && pc !== 5 && pc !== 7 && pc !== 0x0a && pc !== 0x0b) throw invalidCdbField(4, 7);
  if (!cdb.bit(4, 0) && !cdb.bit(4, 2)) await disk.backend.flush();
}

/**
 * PREVENT ALLOW MEDIUM REMOVAL
 *   byte 4 bits 1-0 PREVENT
 * SBC-3: a device without removable medium may accept it with no effect.
 */
export function preventAllowMediumRemoval(_disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): void {
  if (cdb.bits(4, 0, 2) > 1) throw invalidCdbField(4, 1);
}

/**
 * READ DEFECT DATA(10): byte 2 REQ_PLIST(4) REQ_GLIST(3) DEFECT LIST FORMAT(2-0); 7-8 ALLOCATION LENGTH
 * READ DEFECT DATA(12): byte 1 same bits; 6-9 ALLOCATION LENGTH
 * No defects: an empty list in the format asked, PLISTV/GLISTV as requested.
 */
export function readDefectData(_disk: Disk, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const twelve = cdbSize(cdb) === 12;
  const flags = twelve ? cdb.u8(1) : cdb.u8(2);
  const head = Buffer.alloc(twelve ? 8 : 4);
  head[1] = flags & 0x1f;
  return head.subarray(0, twelve ? cdb.u32(6) : cdb.u16(7));
}
