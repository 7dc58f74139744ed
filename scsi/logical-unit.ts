// ScsiLogicalUnit: the base every device (disk, tape drive, changer) extends.
// It owns what SPC-4 gives every logical unit: identity (INQUIRY), the VPD,
// mode and log page registries, the unit attention queues, reservations, the
// task set, and the merged command table the one dispatcher runs.
//
// Extension API (a device supplies data, not branches):
//
//   import { ScsiLogicalUnit, type LogicalUnitOptions } from '../logical-unit.ts';
//   import { withSpcCommands } from '../spc/commands.ts';
//   import { Op } from '../opcodes.ts';
//
//   const TAPE_COMMANDS = withSpcCommands<TapeDrive>(new Map([
//     [Op.REWIND, { name: 'REWIND', direction: 'none', usage: [0x01, 0x01, 0, 0, 0, 0x07],
//                   needsMedium: true, run: rewind }],
//     [Op.READ_6, { name: 'READ(6)', direction: 'in', usage: [...], needsMedium: true,
//                   allowedUnderConflict: 'write-exclusive-only', run: read6 }],
//   ]));
//
//   export class TapeDrive extends ScsiLogicalUnit {
//     readonly peripheralType = 0x01;
//     constructor(opts: LogicalUnitOptions & { ... }) {
//       super({ ...opts, serial: true });                      // tapes run one command at a time
//       this.modePages.add({ name: 'Device Configuration', page: 0x10,
//                            defaults: page0(0x10, [...]), changeable: page0(0x10, [...]),
//                            apply: (next) => this.#applyDeviceConfiguration(next) });
//       this.logPages.add({ page: 0x0c, name: 'Sequential-Access Device',
//                           parameters: () => logParameter(0, ...) });
//       this.vpdPages.add({ page: 0xb1, name: 'Manufacturer-assigned Serial Number',
//                           build: () => ... });
//     }
//     protected override commandTable(): CommandTable<never> { return TAPE_COMMANDS; }
//     override mediumPresent() { return this.#medium !== undefined; }
//     override modeBlockDescriptor() { return { density: 0x58, blocks: 0n, blockLength: this.#blockLength }; }
//     override modeDeviceSpecific() { return 0x10; }          // BUFFERED MODE 1
//     override modeSelectHeader(dsp, desc, at) { ... }        // block length, buffered mode
//     override standingSense() { ... }                        // REQUEST SENSE without a UA
//     protected override onReset(kind, by) { ... }            // clear prevent-removal, etc.
//     protected override onNexusLost(nexus) { ... }           // per-nexus device state
//   }
//
// Handlers receive (device, cmd, cdb) and throw ScsiError for CHECK CONDITION
// (or return { status } for CONDITION MET / RESERVATION CONFLICT); unit
// attention, reservation, medium and CONTROL checks already ran. A data-out
// row may give `transferLength` (SPDTL) so the transport reports residuals.
// `establishModeChanged(nexus)` / `lunsChanged()` raise the SPC-4 unit
// attentions; `unitAttentions.establish(port, Sense.x)` any other.
import type { CommandTable } from './command-table.ts';
import type { LogicalUnit, Nexus, ResetKind, ScsiCommand, ScsiResult } from './command.ts';
import { dispatch, type Dispatchable, type ScsiLog } from './dispatch.ts';
import { Sense, invalidParameterField, type SenseCode } from './sense.ts';
import { LogPages } from './spc/log-pages.ts';
import { ModePages } from './spc/mode-pages.ts';
import { Reservations } from './spc/reservations.ts';
import {
  controlExtensionPage,
  controlPage,
  deviceIdentificationPage,
  dSense,
  extendedInquiryPage,
  informationalExceptionsPage,
  unitSerialNumberPage,
  type Identity,
} from './spc/standard-pages.ts';
import { TaskSet } from './spc/task-set.ts';
import { VpdPages } from './spc/vpd.ts';
import { UnitAttentions } from './unit-attention.ts';

export type { Identity } from './spc/standard-pages.ts';
export type { ScsiLog } from './dispatch.ts';

export interface LogicalUnitOptions {
  readonly identity: Identity;
  readonly log?: ScsiLog;
  /** Run one command at a time in CmdSN order (tape, changer). Default false: SIMPLE tasks overlap. */
  readonly serial?: boolean;
  /** VPD 86h V_SUP: the device has a volatile write cache (disk). Default false. */
  readonly volatileCache?: boolean;
  /** Report POWER ON (29/00) to each I_T nexus on its first command. Default true. */
  readonly powerOnUnitAttention?: boolean;
  /** Control mode page SWP (software write protect) is changeable; the device honours it. Default false. */
  readonly softwareWriteProtect?: boolean;
}

/** MODE SENSE/SELECT short block descriptor (SPC-4 7.5.5; SBC-3/SSC-4 give the fields meaning). */
export interface BlockDescriptor {
  readonly density: number;
  readonly blocks: bigint;
  readonly blockLength: number;
}

const consoleLog: ScsiLog = {
  debug: () => undefined,
  warn: (msg, meta) => console.warn(msg, meta ?? ''),
  error: (msg, meta) => console.error(msg, meta ?? ''),
};

export abstract class ScsiLogicalUnit implements LogicalUnit, Dispatchable {
  /** SPC-4 PERIPHERAL DEVICE TYPE. */
  abstract readonly peripheralType: number;
  /** PERIPHERAL QUALIFIER: 000b for a connected LU (the unmapped-LUN stand-in uses 011b). */
  readonly peripheralQualifier: number = 0;
  readonly identity: Identity;
  readonly log: ScsiLog;
  readonly vpdPages: VpdPages;
  readonly modePages = new ModePages();
  readonly logPages = new LogPages();
  readonly unitAttentions: UnitAttentions;
  readonly reservations = new Reservations();
  readonly #tasks: TaskSet;

  constructor(opts: LogicalUnitOptions) {
    this.identity = opts.identity;
    this.log = opts.log ?? consoleLog;
    this.#tasks = new TaskSet(opts.serial ?? false);
    this.unitAttentions = new UnitAttentions(opts.powerOnUnitAttention === false ? null : Sense.powerOnResetOrBusDeviceReset);
    this.vpdPages = new VpdPages(() => ((this.peripheralQualifier & 7) << 5) | (this.peripheralType & 0x1f));
    this.vpdPages.add(unitSerialNumberPage(opts.identity));
    this.vpdPages.add(deviceIdentificationPage(opts.identity));
    this.vpdPages.add(extendedInquiryPage(opts.volatileCache ?? false));
    this.modePages.add(controlPage(!(opts.serial ?? false), opts.softwareWriteProtect ?? false));
    this.modePages.add(controlExtensionPage());
    this.modePages.add(informationalExceptionsPage());
  }

  /**
   * The merged table (SPC defaults + device rows), built once at module load
   * with withSpcCommands<YourDevice>(...). Typed CommandTable<never> so that a
   * device class stays assignable to ScsiLogicalUnit (a table of handlers taking
   * a Disk is a CommandTable<never>); the dispatcher runs it with `this`.
   */
  protected abstract commandTable(): CommandTable<never>;

  /** The table, for REPORT SUPPORTED OPERATION CODES. */
  commands(): CommandTable<never> {
    return this.commandTable();
  }

  /** Is a medium present? Commands marked needsMedium get NOT READY 3A/00 when not. */
  mediumPresent(): boolean {
    return true;
  }

  /**
   * Sense REQUEST SENSE reports when no unit attention is pending: undefined
   * means NO SENSE. (The unmapped-LUN stand-in reports 25/00; a tape drive
   * may report a standing condition such as becoming ready.)
   */
  standingSense(): SenseCode | undefined {
    return undefined;
  }

  /** Control mode page SWP: the initiator asked for software write protection (SPC-4 7.5.8). */
  softwareWriteProtected(): boolean {
    return ((this.modePages.current(0x0a)?.[4] ?? 0) & 0x08) !== 0;
  }

  /** Control mode page D_SENSE. */
  descriptorSense(): boolean {
    return dSense(this.modePages.current(0x0a));
  }

  /** MODE SENSE block descriptor; undefined: none (DBD-like, e.g. a changer). */
  modeBlockDescriptor(): BlockDescriptor | undefined {
    return undefined;
  }

  /** MODE SENSE header DEVICE-SPECIFIC PARAMETER (disk: WP, DPOFUA; tape: WP, BUFFERED MODE, SPEED). */
  modeDeviceSpecific(): number {
    return 0;
  }

  /**
   * MODE SELECT header and block descriptor: validate and apply. The default
   * accepts a descriptor only if its block length equals the current one.
   * `at` is the descriptor's offset in the parameter list (field pointers).
   */
  modeSelectHeader(_deviceSpecific: number, descriptor: BlockDescriptor | undefined, at: number): void {
    const cur = this.modeBlockDescriptor();
    if (descriptor !== undefined && cur !== undefined && descriptor.blockLength !== cur.blockLength) {
      throw invalidParameterField(at + 5);
    }
  }

  execute(cmd: ScsiCommand): Promise<ScsiResult> {
    const table = this.commandTable() as CommandTable<this>;
    return this.#tasks.run(cmd.taskAttribute, () => dispatch(this, table, cmd));
  }

  /** Resolves when every command accepted so far has completed. */
  drain(): Promise<void> {
    return this.#tasks.drain();
  }

  /** MODE SELECT changed a page: 2A/01 to every other I_T nexus (SPC-4 6.9). */
  establishModeChanged(by: Nexus): void {
    this.unitAttentions.establishAll(Sense.modeParametersChanged, by.initiatorPort);
  }

  /** The target's LUN inventory changed: 3F/0E to every I_T nexus. */
  lunsChanged(): void {
    this.unitAttentions.establishAll(Sense.reportedLunsDataChanged);
  }

  /**
   * SAM-5: a LOGICAL UNIT RESET or target reset establishes 29/03 for every
   * nexus and releases SPC-2 reservations (persistent ones survive); a cold
   * reset is a power on: 29/01 and mode pages back to defaults.
   */
  reset(kind: ResetKind, by: Nexus | undefined): void {
    this.reservations.releaseSpc2();
    if (kind === 'target-cold-reset') {
      this.modePages.restoreDefaults();
      this.unitAttentions.establishAll(Sense.powerOnOccurred);
    } else {
      this.unitAttentions.establishAll(Sense.busDeviceResetFunctionOccurred);
    }
    this.onReset(kind, by);
  }

  /** SPC-4 I_T nexus loss: SPC-2 reservation of that nexus released, its UA queue dropped. */
  nexusLost(nexus: Nexus): void {
    this.reservations.releaseSpc2(nexus.initiatorPort);
    this.unitAttentions.forget(nexus.initiatorPort);
    this.onNexusLost(nexus);
  }

  async close(): Promise<void> {
    await this.drain();
  }

  /** Device hook: a reset reached the LU (clear prevent-removal, positions, ...). */
  protected onReset(_kind: ResetKind, _by: Nexus | undefined): void {}

  /** Device hook: per-nexus device state (PREVENT ALLOW) to drop. */
  protected onNexusLost(_nexus: Nexus): void {}
}
