// The SPC-4 command table every logical unit merges under its own rows.
import { isServiceActionEntry, type CommandSpec, type CommandTable, type TableEntry } from '../command-table.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { MaintenanceIn, Op } from '../opcodes.ts';
import { inquiry } from './inquiry.ts';
import { logSelect, logSense } from './log-sense.ts';
import { modeSelect10, modeSelect6 } from './mode-select.ts';
import { modeSense10, modeSense6 } from './mode-sense.ts';
import { persistentReserveIn } from './persistent-reserve-in.ts';
import { persistentReserveOut } from './persistent-reserve-out.ts';
import { reportLuns } from './report-luns.ts';
import { reportSupportedOperationCodes } from './report-supported-opcodes.ts';
import { requestSense } from './request-sense.ts';
import { release, reserve } from './reserve-release.ts';
import { testUnitReady } from './test-unit-ready.ts';

type Spec = CommandSpec<ScsiLogicalUnit>;

/** Allowed for every I_T nexus whatever the reservation (SPC-4 5.13.1 and SPC-2). */
const always = { allowedUnderConflict: true, allowedUnderReserve: true } as const;

export const spcCommands: CommandTable<ScsiLogicalUnit> = new Map<number, TableEntry<ScsiLogicalUnit>>([
  [Op.TEST_UNIT_READY, { name: 'TEST UNIT READY', direction: 'none', usage: [0x00, 0, 0, 0, 0, 0x07], allowedUnderConflict: true, run: testUnitReady }],
  [Op.REQUEST_SENSE, { name: 'REQUEST SENSE', direction: 'in', usage: [0x03, 0x01, 0, 0, 0xff, 0x07], bypassesUnitAttention: true, ...always, run: requestSense }],
  [Op.INQUIRY, { name: 'INQUIRY', direction: 'in', usage: [0x12, 0x01, 0xff, 0xff, 0xff, 0x07], bypassesUnitAttention: true, ...always, run: inquiry }],
  [Op.MODE_SELECT_6, { name: 'MODE SELECT(6)', direction: 'out', usage: [0x15, 0x11, 0, 0, 0xff, 0x07], run: modeSelect6 }],
  [Op.MODE_SENSE_6, { name: 'MODE SENSE(6)', direction: 'in', usage: [0x1a, 0x08, 0xff, 0xff, 0xff, 0x07], allowedUnderConflict: 'write-exclusive-only', run: modeSense6 }],
  [Op.MODE_SELECT_10, { name: 'MODE SELECT(10)', direction: 'out', usage: [0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07], run: modeSelect10 }],
  [Op.MODE_SENSE_10, { name: 'MODE SENSE(10)', direction: 'in', usage: [0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07], allowedUnderConflict: 'write-exclusive-only', run: modeSense10 }],
  [Op.RESERVE_6, { name: 'RESERVE(6)', direction: 'none', usage: [0x16, 0, 0, 0, 0, 0x07], ...always, run: reserve }],
  [Op.RELEASE_6, { name: 'RELEASE(6)', direction: 'none', usage: [0x17, 0, 0, 0, 0, 0x07], ...always, run: release }],
  [Op.RESERVE_10, { name: 'RESERVE(10)', direction: 'none', usage: [0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0x07], ...always, run: reserve }],
  [Op.RELEASE_10, { name: 'RELEASE(10)', direction: 'none', usage: [0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0x07], ...always, run: release }],
  [Op.LOG_SELECT, { name: 'LOG SELECT', direction: 'out', usage: [0x4c, 0x03, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0x07], run: logSelect }],
  [Op.LOG_SENSE, { name: 'LOG SENSE', direction: 'in', usage: [0x4d, 0x03, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0x07], allowedUnderConflict: true, run: logSense }],
  [Op.PERSISTENT_RESERVE_IN, { name: 'PERSISTENT RESERVE IN', direction: 'in', usage: [0x5e, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07], allowedUnderConflict: true, run: persistentReserveIn }],
  [Op.PERSISTENT_RESERVE_OUT, { name: 'PERSISTENT RESERVE OUT', direction: 'out', usage: [0x5f, 0x1f, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07], allowedUnderConflict: true, run: persistentReserveOut }],
  [Op.REPORT_LUNS, { name: 'REPORT LUNS', direction: 'in', usage: [0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07], bypassesUnitAttention: true, ...always, run: reportLuns }],
  [
    Op.MAINTENANCE_IN,
    {
      name: 'MAINTENANCE IN',
      serviceActions: new Map<number, Spec>([
        [MaintenanceIn.REPORT_SUPPORTED_OPERATION_CODES, { name: 'REPORT SUPPORTED OPERATION CODES', direction: 'in', usage: [0xa3, 0x0c, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07], ...always, run: reportSupportedOperationCodes }],
      ]),
    },
  ],
]);

/**
 * Merge tables, later ones winning per opcode; service-action entries are
 * merged per service action (SERVICE ACTION IN(16), MAINTENANCE IN).
 */
export function mergeTables<D>(...tables: ReadonlyArray<CommandTable<D>>): CommandTable<D> {
  const out = new Map<number, TableEntry<D>>();
  for (const t of tables) {
    for (const [op, entry] of t) {
      const prev = out.get(op);
      if (prev !== undefined && isServiceActionEntry(prev) && isServiceActionEntry(entry)) {
        out.set(op, { name: entry.name, serviceActions: new Map([...prev.serviceActions, ...entry.serviceActions]) });
      } else {
        out.set(op, entry);
      }
    }
  }
  return out;
}

/** The SPC defaults with a device's rows over them. */
export function withSpcCommands<D extends ScsiLogicalUnit>(device: CommandTable<D>): CommandTable<D> {
  return mergeTables<D>(spcCommands, device);
}
