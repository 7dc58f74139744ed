// REPORT LUNS (SPC-4 6.33), from the target's LUN map.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { Sense, invalidCdbField } from '../sense.ts';

/**
 * REPORT LUNS
 *   byte 2     SELECT REPORT: 00h all LUs, 01h well-known only, 02h all (both)
 *   byte 6-9   ALLOCATION LENGTH (at least 16: SPC-4 "shall be at least 16 bytes")
 * We have no well-known LUs: select 01h reports an empty list.
 */
export function reportLuns(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const select = cdb.u8(2);
  const alloc = cdb.u32(6);
  if (select > 2) throw invalidCdbField(2);
  if (alloc < 16) throw invalidCdbField(6);
  const luns = select === 1 ? [] : cmd.target.luns();
  const b = Buffer.alloc(8 + 8 * luns.length);
  b.writeUInt32BE(8 * luns.length, 0);
  luns.forEach((lun, i) => encodeLun(lun).copy(b, 8 + 8 * i));
  lu.unitAttentions.clear(cmd.nexus.initiatorPort, Sense.reportedLunsDataChanged);
  return b.subarray(0, alloc);
}

/** SAM-5 LUN encoding: peripheral device addressing below 256, flat space up to 16383. */
export function encodeLun(lun: number): Buffer {
  const b = Buffer.alloc(8);
  if (lun < 256) b[1] = lun;
  else b.writeUInt16BE(0x4000 | (lun & 0x3fff), 0);
  return b;
}
