// The one dispatcher. Every check that all commands share runs here, once,
// in the order SAM-5 and SPC-4 ask for, before the table row's handler:
//
//   1. look up the opcode (and service action)
//   2. unit attention for this I_T nexus, unless the command bypasses it
//      (INQUIRY, REPORT LUNS, REQUEST SENSE: SAM-5 5.14)
//   3. unknown opcode -> ILLEGAL REQUEST 20/00, unknown service action -> 24/00
//   4. CONTROL byte (NACA, LINK unsupported) -> 24/00
//   5. reservation conflict (SPC-2 RESERVE and persistent reservations)
//   6. needsMedium and no medium -> NOT READY 3A/00
//   7. run (with the CDB's data-out transfer length reported as dataOutUsed); ScsiError -> CHECK CONDITION with sense in the format D_SENSE selects;
//      anything else -> HARDWARE ERROR 44/00, logged, never a crash.
import { CdbReader } from './cdb.ts';
import { isServiceActionEntry, type CommandSpec, type CommandTable, type HandlerOutcome } from './command-table.ts';
import { Status, type ScsiCommand, type ScsiResult } from './command.ts';
import {
  ScsiError,
  Sense,
  encodeDescriptorSense,
  encodeFixedSense,
  invalidCdbField,
  type SenseCode,
  type SenseDetail,
} from './sense.ts';
import type { Reservations } from './spc/reservations.ts';
import type { UnitAttentions } from './unit-attention.ts';

/** The minimal logger the SCSI layer needs (src/log.ts Logger satisfies it). */
export interface ScsiLog {
  debug(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** What the dispatcher needs from a logical unit (ScsiLogicalUnit provides it). */
export interface Dispatchable {
  readonly unitAttentions: UnitAttentions;
  readonly reservations: Reservations;
  readonly log: ScsiLog;
  /** Control mode page D_SENSE: descriptor-format sense when true. */
  descriptorSense(): boolean;
  mediumPresent(): boolean;
}

export type Lookup<D> =
  | { readonly kind: 'found'; readonly spec: CommandSpec<D> }
  | { readonly kind: 'invalid-opcode' }
  | { readonly kind: 'invalid-service-action' };

/** Find the table row for a CDB: opcode, then service action for service-action opcodes. */
export function lookup<D>(table: CommandTable<D>, cdb: CdbReader): Lookup<D> {
  const entry = table.get(cdb.opcode);
  if (entry === undefined) return { kind: 'invalid-opcode' };
  if (!isServiceActionEntry(entry)) return { kind: 'found', spec: entry };
  const spec = entry.serviceActions.get(cdb.serviceAction);
  return spec === undefined ? { kind: 'invalid-service-action' } : { kind: 'found', spec };
}

/** Build the sense bytes for a condition in the format the LU's D_SENSE selects. */
export function senseBytes(device: Dispatchable, sense: SenseCode, detail: SenseDetail = {}): Buffer {
  return device.descriptorSense() ? encodeDescriptorSense(sense, detail) : encodeFixedSense(sense, detail);
}

export function checkCondition(device: Dispatchable, sense: SenseCode, detail?: SenseDetail): ScsiResult {
  return { status: Status.CHECK_CONDITION, sense: senseBytes(device, sense, detail) };
}

function toResult(outcome: HandlerOutcome): ScsiResult {
  if (outcome === undefined) return { status: Status.GOOD };
  if (Buffer.isBuffer(outcome)) return { status: Status.GOOD, dataIn: outcome };
  return outcome.dataIn === undefined ? { status: outcome.status } : { status: outcome.status, dataIn: outcome.dataIn };
}

/**
 * For a data-out command the CDB's own transfer length (SPDTL) goes back as
 * `dataOutUsed`, from which the transport reports overflow or underflow
 * against the initiator's expected length, with GOOD or CHECK CONDITION alike
 * (libiscsi iSCSIResiduals).
 */
const withLength = (r: ScsiResult, transferLength: number | undefined): ScsiResult => {
  if (transferLength === undefined) return r;
  // Spelled out rather than spread: this runs for every WRITE.
  const out: { -readonly [K in keyof ScsiResult]: ScsiResult[K] } = { status: r.status, dataOutUsed: transferLength };
  if (r.dataIn !== undefined) out.dataIn = r.dataIn;
  if (r.sense !== undefined) out.sense = r.sense;
  return out;
};

/** Run one command through the shared checks and its handler. Never rejects. */
export async function dispatch<D extends Dispatchable>(device: D, table: CommandTable<D>, cmd: ScsiCommand): Promise<ScsiResult> {
  const cdb = new CdbReader(cmd.cdb);
  const port = cmd.nexus.initiatorPort;
  const found = lookup(table, cdb);
  let transferLength: number | undefined;
  try {
    if (found.kind !== 'found' || found.spec.bypassesUnitAttention !== true) {
      const ua = device.unitAttentions.take(port);
      if (ua !== undefined) return checkCondition(device, ua);
    }
    if (found.kind === 'invalid-opcode') throw new ScsiError(Sense.invalidCommandOperationCode);
    if (found.kind === 'invalid-service-action') throw invalidCdbField(1, 4);
    const spec = found.spec;
    cdb.checkControl();
    if (device.reservations.conflicts(port, spec)) return { status: Status.RESERVATION_CONFLICT };
    if (spec.needsMedium === true && !device.mediumPresent()) throw new ScsiError(Sense.mediumNotPresent);
    transferLength = spec.direction === 'out' ? spec.transferLength?.(device, cdb) : undefined;
    return withLength(toResult(await spec.run(device, cmd, cdb)), transferLength);
  } catch (err) {
    if (err instanceof ScsiError) return withLength(checkCondition(device, err.sense, err.detail), transferLength);
    device.log.error('SCSI command failed unexpectedly: internal target failure', {
      opcode: cdb.opcode,
      command: found.kind === 'found' ? found.spec.name : undefined,
      lun: cmd.lun,
      initiator: port,
      err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack, code: (err as { code?: unknown }).code } : String(err),
    });
    return checkCondition(device, Sense.internalTargetFailure);
  }
}
