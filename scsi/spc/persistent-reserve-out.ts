// PERSISTENT RESERVE OUT (SPC-4 6.16, 5.13.7-5.13.11). Registrations are per
// I_T nexus; APTPL and SPEC_I_PT are not supported (REPORT CAPABILITIES says so).
import { FieldReader, type CdbReader } from '../cdb.ts';
import type { HandlerOutcome } from '../command-table.ts';
import { Status, type ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { PrOut } from '../opcodes.ts';
import { ScsiError, Sense, invalidCdbField, invalidParameterField } from '../sense.ts';
import { registerAndMove } from './register-and-move.ts';
import { isAllRegistrants, isValidPrType, type Reservations } from './reservations.ts';

const CONFLICT = { status: Status.RESERVATION_CONFLICT } as const;

/** The basic PROUT parameter list (24 bytes). */
interface Params {
  readonly key: bigint;
  readonly saKey: bigint;
  readonly type: number;
  readonly scope: number;
}

/**
 * PERSISTENT RESERVE OUT
 *   byte 1  bits 4-0  SERVICE ACTION
 *   byte 2            SCOPE(7-4) TYPE(3-0)
 *   byte 5-8          PARAMETER LIST LENGTH (24, except REGISTER AND MOVE)
 * Parameter list: 0-7 RESERVATION KEY, 8-15 SERVICE ACTION RESERVATION KEY,
 *   20: SPEC_I_PT(3) ALL_TG_PT(2) APTPL(0).
 */
export function persistentReserveOut(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader): HandlerOutcome {
  const sa = cdb.serviceAction;
  if (sa > PrOut.REGISTER_AND_MOVE) throw invalidCdbField(1, 4);
  const length = cdb.u32(5);
  const data = cmd.dataOut ?? Buffer.alloc(0);
  if (sa === PrOut.REGISTER_AND_MOVE) return registerAndMove(lu, cmd, cdb, data.subarray(0, length));
  if (length !== 24 || data.length < 24) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data);
  if (p.bit(20, 3)) throw invalidParameterField(20, 3); // SPEC_I_PT unsupported
  if (p.bit(20, 0)) throw invalidParameterField(20, 0); // APTPL unsupported
  const params: Params = { key: p.u64(0), saKey: p.u64(8), type: cdb.bits(2, 0, 4), scope: cdb.bits(2, 4, 4) };
  const r = lu.reservations;
  const port = cmd.nexus.initiatorPort;
  if (sa === PrOut.REGISTER || sa === PrOut.REGISTER_AND_IGNORE_EXISTING_KEY) {
    return register(lu, cmd, params, sa === PrOut.REGISTER_AND_IGNORE_EXISTING_KEY);
  }
  if (r.keyOf(port) !== params.key) return CONFLICT;
  switch (sa) {
    case PrOut.RESERVE: return reserve(r, port, params);
    case PrOut.RELEASE: return release(lu, port, params);
    case PrOut.CLEAR: return clear(lu, port);
    default: return preempt(lu, port, params);
  }
}

/** REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 5.13.7). A zero SA key unregisters. */
function register(lu: ScsiLogicalUnit, cmd: ScsiCommand, p: Params, ignore: boolean): HandlerOutcome {
  const r = lu.reservations;
  const port = cmd.nexus.initiatorPort;
  const current = r.keyOf(port);
  if (!ignore && (current ?? 0n) !== p.key) return CONFLICT;
  if (p.saKey === 0n) {
    if (current !== undefined) unregister(lu, port);
  } else {
    r.registrations.set(port, { key: p.saKey, nexus: cmd.nexus });
  }
  r.generation++;
  return undefined;
}

/**
 * Unregistering the holder releases a reservation that is not an all
 * registrants type; for the registrants only types "the device server shall
 * establish a unit attention condition ... RESERVATIONS RELEASED" for the
 * other registrants (SPC-4 5.13.11.2.2). All registrants: released with the last one.
 */
export function unregister(lu: ScsiLogicalUnit, port: string): void {
  const r = lu.reservations;
  const res = r.reservation;
  const held = res !== undefined && !isAllRegistrants(res.type) && res.holder === port;
  r.registrations.delete(port);
  if (res !== undefined && (held || (isAllRegistrants(res.type) && r.registrations.size === 0))) {
    r.reservation = undefined;
    if (res.type === 5 || res.type === 6) notifyRegistrants(lu, port, Sense.reservationsReleased);
  }
}

function notifyRegistrants(lu: ScsiLogicalUnit, exceptPort: string, sense: typeof Sense.reservationsReleased): void {
  for (const other of lu.reservations.registrations.keys()) {
    if (other !== exceptPort) lu.unitAttentions.establish(other, sense);
  }
}

function checkTypeScope(p: Params): void {
  if (p.scope !== 0) throw invalidCdbField(2, 7);
  if (!isValidPrType(p.type)) throw invalidCdbField(2, 3);
}

/** RESERVE: a second RESERVE by the holder with the same type is a no-op; anything else conflicts. */
function reserve(r: Reservations, port: string, p: Params): HandlerOutcome {
  checkTypeScope(p);
  const res = r.reservation;
  if (res !== undefined) return r.holds(port) && res.type === p.type ? undefined : CONFLICT;
  r.reservation = { holder: port, type: p.type, key: p.key };
  return undefined;
}

/** RELEASE: a non-holder's RELEASE is GOOD and changes nothing; a wrong TYPE is 26/04. */
function release(lu: ScsiLogicalUnit, port: string, p: Params): HandlerOutcome {
  const r = lu.reservations;
  const res = r.reservation;
  if (res === undefined || !r.holds(port)) return undefined;
  if (p.scope !== 0 || res.type !== p.type) throw new ScsiError(Sense.invalidReleaseOfPersistentReservation);
  r.reservation = undefined;
  if (res.type !== 1 && res.type !== 3) notifyRegistrants(lu, port, Sense.reservationsReleased);
  return undefined;
}

/** CLEAR: every registration and the reservation go; the others get RESERVATIONS PREEMPTED. */
function clear(lu: ScsiLogicalUnit, port: string): HandlerOutcome {
  const r = lu.reservations;
  notifyRegistrants(lu, port, Sense.reservationsPreempted);
  r.registrations.clear();
  r.reservation = undefined;
  r.generation++;
  return undefined;
}

/** Remove registrations with `key` (never the issuer's); returns how many went. */
function removeKey(lu: ScsiLogicalUnit, issuer: string, key: bigint | undefined): number {
  const r = lu.reservations;
  let n = 0;
  for (const [other, reg] of [...r.registrations]) {
    if (other === issuer || (key !== undefined && reg.key !== key)) continue;
    r.registrations.delete(other);
    lu.unitAttentions.establish(other, Sense.registrationsPreempted);
    n++;
  }
  return n;
}

/**
 * PREEMPT / PREEMPT AND ABORT (SPC-4 5.13.11.4). With no reservation, or a
 * SA key that is not the holder's, only registrations go (none -> conflict,
 * a zero SA key -> invalid field). Preempting the holder's key (or, under an
 * all registrants type, key 0) moves the reservation to the issuer.
 */
function preempt(lu: ScsiLogicalUnit, port: string, p: Params): HandlerOutcome {
  const r = lu.reservations;
  const res = r.reservation;
  const allReg = res !== undefined && isAllRegistrants(res.type);
  const takesReservation = res !== undefined && (allReg ? p.saKey === 0n : p.saKey === res.key);
  if (!takesReservation) {
    if (p.saKey === 0n) throw invalidParameterField(8);
    if (removeKey(lu, port, p.saKey) === 0) return CONFLICT;
    r.generation++;
    return undefined;
  }
  checkTypeScope(p);
  removeKey(lu, port, allReg ? undefined : p.saKey);
  r.reservation = { holder: port, type: p.type, key: p.key };
  r.generation++;
  return undefined;
}
