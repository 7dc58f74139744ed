// REQUEST SENSE (SPC-4 6.29). With autosense (iSCSI) a CHECK CONDITION
// carries its sense, so REQUEST SENSE reports a pending unit attention (and
// clears it: "the device server shall ... clear the unit attention condition")
// or NO SENSE. The DESC bit, not D_SENSE, chooses the format.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { Sense, encodeDescriptorSense, encodeFixedSense, type SenseCode } from '../sense.ts';

/**
 * REQUEST SENSE
 *   byte 1  bit 0  DESC
 *   byte 4         ALLOCATION LENGTH
 */
export function requestSense(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const desc = cdb.bit(1, 0);
  const alloc = cdb.u8(4);
  const pending = lu.unitAttentions.take(cmd.nexus.initiatorPort);
  const sense: SenseCode = pending ?? lu.standingSense() ?? Sense.noAdditionalSense;
  const data = desc ? encodeDescriptorSense(sense) : encodeFixedSense(sense);
  return data.subarray(0, alloc);
}
