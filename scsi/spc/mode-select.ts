// MODE SELECT(6) and (10) (SPC-4 6.9, 6.10): header and block descriptor go
// to the device's hook, each page to the registry (changeable-mask check, the
// page's apply hook). Any change raises MODE PARAMETERS CHANGED (2A/01) for
// every other I_T nexus.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { BlockDescriptor, ScsiLogicalUnit } from '../logical-unit.ts';
import { ScsiError, Sense, invalidCdbField, invalidParameterField } from '../sense.ts';
import { FieldReader } from '../cdb.ts';

/**
 * MODE SELECT(6)
 *   byte 1  bit 4  PF   bit 0 SP
 *   byte 4         PARAMETER LIST LENGTH
 */
export function modeSelect6(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): void {
  checkCdb(cdb);
  const data = parameterList(cmd, cdb.u8(4));
  if (data.length === 0) return;
  if (data.length < 4) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data);
  applyList(lu, cmd, data, { deviceSpecific: p.u8(2), bdLength: p.u8(3), long: false, headerLength: 4 });
}

/**
 * MODE SELECT(10)
 *   byte 1  bit 4  PF   bit 0 SP
 *   byte 7-8       PARAMETER LIST LENGTH
 */
export function modeSelect10(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): void {
  checkCdb(cdb);
  const data = parameterList(cmd, cdb.u16(7));
  if (data.length === 0) return;
  if (data.length < 8) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data);
  applyList(lu, cmd, data, { deviceSpecific: p.u8(3), bdLength: p.u16(6), long: p.bit(4, 0), headerLength: 8 });
}

/** SP = 1 asks to save pages, which this target cannot (no saved values): INVALID FIELD IN CDB. */
function checkCdb(cdb: CdbReader): void {
  if (cdb.bit(1, 0)) throw invalidCdbField(1, 0);
}

function parameterList(cmd: ScsiCommand, length: number): Buffer {
  const data = cmd.dataOut ?? Buffer.alloc(0);
  if (data.length < length) throw new ScsiError(Sense.parameterListLengthError);
  return data.subarray(0, length);
}

interface Header {
  readonly deviceSpecific: number;
  readonly bdLength: number;
  readonly long: boolean;
  readonly headerLength: number;
}

function applyList(lu: ScsiLogicalUnit, cmd: ScsiCommand, data: Buffer, h: Header): void {
  const descLen = h.long ? 16 : 8;
  if (h.bdLength !== 0 && h.bdLength !== descLen) throw invalidParameterField(h.headerLength - 1);
  if (h.headerLength + h.bdLength > data.length) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data);
  const at = h.headerLength;
  let bd: BlockDescriptor | undefined;
  if (h.bdLength === 8) bd = { density: p.u8(at), blocks: BigInt(p.u24(at + 1)), blockLength: p.u24(at + 5) };
  if (h.bdLength === 16) bd = { density: p.u8(at + 8), blocks: p.u64(at), blockLength: p.u32(at + 12) };
  lu.modeSelectHeader(h.deviceSpecific, bd, at);
  let changed = false;
  for (let off = at + h.bdLength; off < data.length; ) {
    const spf = p.bit(off, 6);
    const page = p.bits(off, 0, 6);
    const subpage = spf ? p.u8(off + 1) : 0;
    const len = spf ? 4 + p.u16(off + 2) : 2 + p.u8(off + 1);
    if (off + len > data.length) throw new ScsiError(Sense.parameterListLengthError);
    if (p.bit(off, 7)) throw invalidParameterField(off, 7); // PS is reserved in MODE SELECT
    changed = lu.modePages.select(page, subpage, data.subarray(off, off + len), off) || changed;
    off += len;
  }
  if (changed) lu.establishModeChanged(cmd.nexus);
}
