// A command is a table row, not a branch. Each device type has a sparse table
// from operation code to CommandSpec; device tables are merged over the SPC
// defaults. The dispatcher (scsi/dispatch.ts) runs the checks every command
// shares once, before `run`; REPORT SUPPORTED OPERATION CODES is generated
// from the same table.
import type { CdbReader } from './cdb.ts';
import type { ScsiCommand, Status } from './command.ts';

export type DataDirection = 'none' | 'in' | 'out';

/** What a handler returns: nothing (GOOD, no data), data-in bytes, or a full outcome. */
export type HandlerOutcome = void | Buffer | { readonly status: Status; readonly dataIn?: Buffer };

export interface CommandSpec<D> {
  /** T10 name, e.g. "READ ELEMENT STATUS". */
  readonly name: string;
  readonly direction: DataDirection;
  /**
   * CDB USAGE DATA for REPORT SUPPORTED OPERATION CODES (SPC-4 6.35.3): one
   * byte per CDB byte, bits the device examines set; byte 0 is the opcode.
   * Its length is the CDB length.
   */
  readonly usage: readonly number[];
  /** NOT READY / MEDIUM NOT PRESENT when the device has no medium (checked by the dispatcher). */
  readonly needsMedium?: boolean;
  /**
   * SPC-4 5.14 / SAM-5: commands that neither report nor clear a pending unit
   * attention (INQUIRY, REPORT LUNS, REQUEST SENSE).
   */
  readonly bypassesUnitAttention?: boolean;
  /**
   * SPC-4 5.13.1 table (persistent reservations): allowed for an I_T nexus that
   * does not hold the reservation. `true`: allowed under every type;
   * 'write-exclusive-only': allowed under the Write Exclusive types (reads),
   * conflict under the Exclusive Access types; absent: conflict under both.
   */
  readonly allowedUnderConflict?: boolean | 'write-exclusive-only';
  /**
   * SPC-2 RESERVE(6)/(10) reservations: allowed for an I_T nexus other than
   * the holder (INQUIRY, REPORT LUNS, REQUEST SENSE, RELEASE, ...). Absent: conflict.
   */
  readonly allowedUnderReserve?: boolean;
  /**
   * Data-out bytes the CDB asks for (SPDTL), reported to the transport as
   * ScsiResult.dataOutUsed for the residual. Data-Out may be shorter (the
   * initiator's expected length was smaller): FCP-4 lets the device server
   * "process the command normally except that data beyond the FCP_DL count
   * shall not be requested or transferred", which handlers do.
   */
  readonly transferLength?: (device: D, cdb: CdbReader) => number;
  /** Timeouts for RSOC (seconds); optional. */
  readonly nominalTimeout?: number;
  readonly run: (device: D, cmd: ScsiCommand, cdb: CdbReader) => Promise<HandlerOutcome> | HandlerOutcome;
}

/** An opcode either maps to one command or, for service-action opcodes, to a table by service action. */
export type TableEntry<D> =
  | CommandSpec<D>
  | { readonly serviceActions: ReadonlyMap<number, CommandSpec<D>>; readonly name: string };

export type CommandTable<D> = ReadonlyMap<number, TableEntry<D>>;

export const isServiceActionEntry = <D>(
  e: TableEntry<D>,
): e is { readonly serviceActions: ReadonlyMap<number, CommandSpec<D>>; readonly name: string } =>
  'serviceActions' in e;
