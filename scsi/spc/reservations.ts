// Reservation state of one logical unit: SPC-2 RESERVE/RELEASE and SPC-4
// persistent reservations, and the one conflict check the dispatcher runs.
//
// Persistent reservation types (SPC-4 6.16.2 table):
//   1 Write Exclusive        3 Exclusive Access
//   5 WE - Registrants Only  6 EA - Registrants Only
//   7 WE - All Registrants   8 EA - All Registrants
import type { CommandSpec } from '../command-table.ts';
import type { Nexus } from '../command.ts';

export const PrType = {
  WRITE_EXCLUSIVE: 1,
  EXCLUSIVE_ACCESS: 3,
  WRITE_EXCLUSIVE_REGISTRANTS_ONLY: 5,
  EXCLUSIVE_ACCESS_REGISTRANTS_ONLY: 6,
  WRITE_EXCLUSIVE_ALL_REGISTRANTS: 7,
  EXCLUSIVE_ACCESS_ALL_REGISTRANTS: 8,
} as const;

export const isValidPrType = (t: number): boolean => t === 1 || t === 3 || (t >= 5 && t <= 8);
export const isAllRegistrants = (t: number): boolean => t === 7 || t === 8;
const isRegistrantsType = (t: number): boolean => t >= 5 && t <= 8;
const isWriteExclusive = (t: number): boolean => t === 1 || t === 5 || t === 7;

export interface Registration {
  readonly key: bigint;
  readonly nexus: Nexus;
}

export interface PersistentReservation {
  /** Holder's initiator port; for the all-registrants types every registrant holds it. */
  readonly holder: string;
  readonly type: number;
  readonly key: bigint;
}

/** Registrations are per I_T nexus (SPC-4 5.13.7), keyed by initiator port; single target port. */
export class Reservations {
  /** SPC-2 reservation holder (initiator port). */
  spc2Holder: string | undefined;
  readonly registrations = new Map<string, Registration>();
  reservation: PersistentReservation | undefined;
  /** PRgeneration: bumped by every REGISTER/CLEAR/PREEMPT/REGISTER AND MOVE (SPC-4 6.15.2). */
  generation = 0;

  keyOf(port: string): bigint | undefined {
    return this.registrations.get(port)?.key;
  }

  /** Does this nexus hold the persistent reservation (all registrants hold it for types 7/8)? */
  holds(port: string): boolean {
    const r = this.reservation;
    if (r === undefined) return false;
    if (isAllRegistrants(r.type)) return this.registrations.has(port);
    return r.holder === port;
  }

  /**
   * The SPC-4 5.13.1 / SPC-2 conflict rules: true when the command must end in
   * RESERVATION CONFLICT for this nexus.
   */
  conflicts(port: string, spec: CommandSpec<never>): boolean {
    if (this.spc2Holder !== undefined && this.spc2Holder !== port) return spec.allowedUnderReserve !== true;
    const r = this.reservation;
    if (r === undefined || this.holds(port)) return false;
    if (spec.allowedUnderConflict === true) return false;
    if (isRegistrantsType(r.type) && this.registrations.has(port)) return false;
    if (isWriteExclusive(r.type)) return spec.allowedUnderConflict !== 'write-exclusive-only';
    return true;
  }

  /** Any persistent reservation state at all (RESERVE(6) then conflicts, SPC-4 5.13.3). */
  get persistentActive(): boolean {
    return this.reservation !== undefined || this.registrations.size > 0;
  }

  /** LUN reset and I_T nexus loss release an SPC-2 reservation; persistent ones survive. */
  releaseSpc2(port?: string): void {
    if (port === undefined || this.spc2Holder === port) this.spc2Holder = undefined;
  }
}
