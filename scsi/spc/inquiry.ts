// INQUIRY (SPC-4 6.6): standard data and VPD pages.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { invalidCdbField } from '../sense.ts';
import { asciiField } from './vpd.ts';

/** Standard INQUIRY data is 96 bytes: 36 fixed, vendor-specific 36..55, version descriptors at 58..73. */
const STANDARD_LENGTH = 96;

/**
 * INQUIRY
 *   byte 1  bit 0  EVPD      bit 1 CMDDT (obsolete: must be 0)
 *   byte 2         PAGE CODE
 *   byte 3-4       ALLOCATION LENGTH
 * SPC-4: "If the EVPD bit is set to zero and the PAGE CODE field is not set to
 * zero, the device server shall terminate the command ... INVALID FIELD IN CDB."
 */
export function inquiry(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const evpd = cdb.bit(1, 0);
  const page = cdb.u8(2);
  const alloc = cdb.u16(3);
  if (cdb.bit(1, 1)) throw invalidCdbField(1, 1);
  if (!evpd) {
    if (page !== 0) throw invalidCdbField(2);
    return standardInquiry(lu).subarray(0, alloc);
  }
  const data = lu.vpdPages.page(page, cmd);
  if (data === undefined) throw invalidCdbField(2);
  return data.subarray(0, alloc);
}

/**
 *   byte 0  PERIPHERAL QUALIFIER(7-5) DEVICE TYPE(4-0)
 *   byte 1  RMB(7)
 *   byte 2  VERSION 06h = SPC-4
 *   byte 3  NORMACA(5) HISUP(4) RESPONSE DATA FORMAT(3-0) = 2
 *   byte 4  ADDITIONAL LENGTH
 *   byte 5  SCCS ACC TPGS(5-4) 3PC PROTECT
 *   byte 6  ENCSERV VS MULTIP ...
 *   byte 7  CMDQUE(1)
 */
export function standardInquiry(lu: ScsiLogicalUnit): Buffer {
  const id = lu.identity;
  const b = Buffer.alloc(STANDARD_LENGTH);
  b[0] = ((lu.peripheralQualifier & 7) << 5) | (lu.peripheralType & 0x1f);
  b[1] = id.removable === true ? 0x80 : 0;
  b[2] = 0x06;
  b[3] = 0x12; // HISUP, format 2
  b[4] = STANDARD_LENGTH - 5;
  b[7] = 0x02; // CMDQUE
  asciiField(id.vendor, 8).copy(b, 8);
  asciiField(id.product, 16).copy(b, 16);
  asciiField(id.revision, 4).copy(b, 32);
  id.versionDescriptors.slice(0, 8).forEach((v, i) => b.writeUInt16BE(v, 58 + 2 * i));
  return b;
}
