// RESERVE(6)/(10) and RELEASE(6)/(10): SPC-2 reservations of the whole LU.
// SPC-4 5.13.3 (and SPC-2 5.5.1): while a persistent reservation or any
// registration exists, RESERVE and RELEASE end in RESERVATION CONFLICT.
import type { CdbReader } from '../cdb.ts';
import { Status, type ScsiCommand } from '../command.ts';
import type { HandlerOutcome } from '../command-table.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { invalidCdbField } from '../sense.ts';

const CONFLICT = { status: Status.RESERVATION_CONFLICT } as const;

/**
 * RESERVE(6)  byte 1 bits 4-1 obsolete (3RDPTY, extents: must be 0)
 * RESERVE(10) byte 1 bit 4 3RDPTY  bit 1 LONGID (unsupported: must be 0)
 * A RESERVE from the holder succeeds again; from another nexus it conflicts.
 */
export function reserve(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): HandlerOutcome {
  if (cdb.bits(1, 0, 5) !== 0) throw invalidCdbField(1);
  const r = lu.reservations;
  const port = cmd.nexus.initiatorPort;
  if (r.persistentActive) return CONFLICT;
  if (r.spc2Holder !== undefined && r.spc2Holder !== port) return CONFLICT;
  r.spc2Holder = port;
  return undefined;
}

/**
 * RELEASE(6)/(10): SPC-2 "If a valid RELEASE command is received from an
 * initiator other than the one holding the reservation, the reservation shall
 * not be altered and the command shall complete with GOOD status."
 */
export function release(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): HandlerOutcome {
  if (cdb.bits(1, 0, 5) !== 0) throw invalidCdbField(1);
  const r = lu.reservations;
  if (r.persistentActive) return CONFLICT;
  r.releaseSpc2(cmd.nexus.initiatorPort);
  return undefined;
}
