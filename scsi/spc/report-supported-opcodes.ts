// REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), generated from the LU's
// command table so it cannot drift from what the dispatcher runs.
import type { CdbReader } from '../cdb.ts';
import { isServiceActionEntry, type CommandSpec } from '../command-table.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { invalidCdbField } from '../sense.ts';

/**
 * REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch)
 *   byte 2  bit 7  RCTD   bits 2-0 REPORTING OPTIONS
 *   byte 3         REQUESTED OPERATION CODE
 *   byte 4-5       REQUESTED SERVICE ACTION
 *   byte 6-9       ALLOCATION LENGTH
 * Reporting options: 000b all; 001b one opcode without service actions
 * ("if the ... operation code has service actions ... INVALID FIELD IN CDB");
 * 010b one opcode + service action (invalid when the opcode has none);
 * 011b either.
 */
export function reportSupportedOperationCodes(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const rctd = cdb.bit(2, 7);
  const options = cdb.bits(2, 0, 3);
  const alloc = cdb.u32(6);
  const data = options === 0 ? allCommands(lu, rctd) : oneCommand(lu, cdb, options, rctd);
  return data.subarray(0, alloc);
}

type Row = { opcode: number; sa: number | undefined; spec: CommandSpec<never> };

function rows(lu: ScsiLogicalUnit): Row[] {
  const out: Row[] = [];
  for (const [opcode, entry] of [...lu.commands().entries()].sort((a, b) => a[0] - b[0])) {
    if (!isServiceActionEntry(entry)) out.push({ opcode, sa: undefined, spec: entry });
    else for (const [sa, spec] of [...entry.serviceActions].sort((a, b) => a[0] - b[0])) out.push({ opcode, sa, spec });
  }
  return out;
}

/** Command timeouts descriptor: length 0Ah, NOMINAL and RECOMMENDED timeouts in seconds. */
function timeouts(spec: CommandSpec<never>): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x0a, 0);
  b.writeUInt32BE(spec.nominalTimeout ?? 0, 4);
  b.writeUInt32BE(spec.nominalTimeout ?? 0, 8);
  return b;
}

function allCommands(lu: ScsiLogicalUnit, rctd: boolean): Buffer {
  const parts = rows(lu).map(({ opcode, sa, spec }) => {
    const d = Buffer.alloc(8);
    d[0] = opcode;
    d.writeUInt16BE(sa ?? 0, 2);
    d[5] = (rctd ? 0x02 : 0) | (sa !== undefined ? 0x01 : 0); // CTDP, SERVACTV
    d.writeUInt16BE(spec.usage.length, 6);
    return rctd ? Buffer.concat([d, timeouts(spec)]) : d;
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

function oneCommand(lu: ScsiLogicalUnit, cdb: CdbReader, options: number, rctd: boolean): Buffer {
  if (options > 3) throw invalidCdbField(2, 2);
  const opcode = cdb.u8(3);
  const sa = cdb.u16(4);
  const entry = lu.commands().get(opcode);
  let spec: CommandSpec<never> | undefined;
  if (entry !== undefined && isServiceActionEntry(entry)) {
    if (options === 1) throw invalidCdbField(2, 2);
    spec = entry.serviceActions.get(sa);
  } else {
    if (options === 2 && entry !== undefined) throw invalidCdbField(2, 2);
    spec = entry;
  }
  const head = Buffer.alloc(4);
  if (spec === undefined) {
    head[1] = 0x01; // SUPPORT 001b: not supported
    return head;
  }
  head[1] = (rctd ? 0x80 : 0) | 0x03; // CTDP, SUPPORT 011b: supported per standard
  head.writeUInt16BE(spec.usage.length, 2);
  const usage = Buffer.from(spec.usage);
  return Buffer.concat(rctd ? [head, usage, timeouts(spec)] : [head, usage]);
}
