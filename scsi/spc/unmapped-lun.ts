// The stand-in for a LUN the target does not map (SPC-4 6.6.2, SAM-5 5.9.4):
// INQUIRY answers PERIPHERAL QUALIFIER 011b / DEVICE TYPE 1Fh ("the device
// server is not capable of supporting a peripheral device on this logical
// unit"), REPORT LUNS works, REQUEST SENSE reports LOGICAL UNIT NOT SUPPORTED,
// and every other command ends in CHECK CONDITION 25/00.
import type { CommandTable, TableEntry } from '../command-table.ts';
import { Status, type ScsiCommand, type ScsiResult } from '../command.ts';
import { senseBytes } from '../dispatch.ts';
import { ScsiLogicalUnit, type LogicalUnitOptions } from '../logical-unit.ts';
import { Op } from '../opcodes.ts';
import { Sense, type SenseCode } from '../sense.ts';
import { spcCommands } from './commands.ts';

const ANSWERED = [Op.INQUIRY, Op.REPORT_LUNS, Op.REQUEST_SENSE] as const;

const UNMAPPED_COMMANDS: CommandTable<UnmappedLun> = new Map<number, TableEntry<UnmappedLun>>(
  [...spcCommands].filter(([op]) => (ANSWERED as readonly number[]).includes(op)),
);

export class UnmappedLun extends ScsiLogicalUnit {
  readonly peripheralType = 0x1f;
  override readonly peripheralQualifier = 0x03;

  constructor(opts: Omit<LogicalUnitOptions, 'powerOnUnitAttention'>) {
    super({ ...opts, powerOnUnitAttention: false });
  }

  protected override commandTable(): CommandTable<never> {
    return UNMAPPED_COMMANDS;
  }

  override standingSense(): SenseCode {
    return Sense.logicalUnitNotSupported;
  }

  override execute(cmd: ScsiCommand): Promise<ScsiResult> {
    if ((ANSWERED as readonly number[]).includes(cmd.cdb[0] ?? -1)) return super.execute(cmd);
    return Promise.resolve({ status: Status.CHECK_CONDITION, sense: senseBytes(this, Sense.logicalUnitNotSupported) });
  }
}
