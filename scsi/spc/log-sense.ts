// LOG SENSE (SPC-4 6.8) from the LU's log page registry. LOG SELECT is
// accepted only to reset parameters (PCR) since nothing is saveable.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { invalidCdbField } from '../sense.ts';

/**
 * LOG SENSE
 *   byte 1  bit 1  PPC (obsolete here: must be 0)   bit 0 SP (no saving: must be 0)
 *   byte 2         PC(7-6) PAGE CODE(5-0)
 *   byte 3         SUBPAGE CODE
 *   byte 5-6       PARAMETER POINTER (must be 0: we return whole pages)
 *   byte 7-8       ALLOCATION LENGTH
 */
export function logSense(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  if (cdb.bit(1, 0)) throw invalidCdbField(1, 0);
  if (cdb.bit(1, 1)) throw invalidCdbField(1, 1);
  if (cdb.u16(5) !== 0) throw invalidCdbField(5);
  const page = lu.logPages.page(cdb.bits(2, 0, 6), cdb.u8(3));
  if (page === undefined) throw invalidCdbField(2, 5);
  return page.subarray(0, cdb.u16(7));
}

/**
 * LOG SELECT
 *   byte 1  bit 1  PCR   bit 0 SP
 *   byte 7-8       PARAMETER LIST LENGTH (must be 0: parameters cannot be set)
 * SPC-4: PCR=1 with a zero parameter list length resets the parameters.
 */
export function logSelect(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): void {
  if (cdb.bit(1, 0)) throw invalidCdbField(1, 0);
  if (cdb.u16(7) !== 0) throw invalidCdbField(7);
  if (cdb.bit(1, 1)) lu.logPages.resetAll();
}
