// The tape drive's command table (SSC-4 over the SPC-4 defaults). A command
// is a row: the dispatcher runs the shared checks, then `run`.
import type { CommandSpec, CommandTable, TableEntry } from '../command-table.ts';
import { Op } from '../opcodes.ts';
import { withSpcCommands } from '../spc/commands.ts';
import { readAttribute, readMediaSerialNumber, writeAttribute } from './attributes.ts';
import { readBlockLimits, reportDensitySupport } from './density.ts';
import { erase16, erase6, loadUnload, preventAllowTape, testUnitReadyTape } from './load-unload.ts';
import { locate10, locate16, readPosition, rewind, space16, space6 } from './position.ts';
import { read6, verify6, write6, writeFilemarks16, writeFilemarks6 } from './read-write.ts';
import type { TapeDrive } from './tape-drive.ts';

/** SSC-4 opcodes the shared table names differently (or not at all). */
const TapeOp = {
  LOCATE_10: Op.SEEK_10,
  WRITE_FILEMARKS_16: 0x80,
  SERVICE_ACTION_IN_12: 0xab,
} as const;
const READ_MEDIA_SERIAL_NUMBER = 0x01;

type Spec = CommandSpec<TapeDrive>;

const rows: Array<[number, TableEntry<TapeDrive>]> = [
  [Op.TEST_UNIT_READY, { name: 'TEST UNIT READY', direction: 'none', usage: [0x00, 0, 0, 0, 0, 0x07], needsMedium: true, allowedUnderConflict: true, run: testUnitReadyTape }],
  [Op.REWIND, { name: 'REWIND', direction: 'none', usage: [0x01, 0x01, 0, 0, 0, 0x07], needsMedium: true, run: rewind }],
  [Op.READ_BLOCK_LIMITS, { name: 'READ BLOCK LIMITS', direction: 'in', usage: [0x05, 0x01, 0, 0, 0, 0x07], allowedUnderConflict: true, run: readBlockLimits }],
  [Op.READ_6, { name: 'READ(6)', direction: 'in', usage: [0x08, 0x03, 0xff, 0xff, 0xff, 0x07], needsMedium: true, allowedUnderConflict: 'write-exclusive-only', run: read6 }],
  [Op.WRITE_6, { name: 'WRITE(6)', direction: 'out', usage: [0x0a, 0x01, 0xff, 0xff, 0xff, 0x07], needsMedium: true, run: write6 }],
  [Op.WRITE_FILEMARKS_6, { name: 'WRITE FILEMARKS(6)', direction: 'none', usage: [0x10, 0x03, 0xff, 0xff, 0xff, 0x07], needsMedium: true, run: writeFilemarks6 }],
  [Op.SPACE_6, { name: 'SPACE(6)', direction: 'none', usage: [0x11, 0x0f, 0xff, 0xff, 0xff, 0x07], needsMedium: true, run: space6 }],
  [Op.VERIFY_6, { name: 'VERIFY(6)', direction: 'out', usage: [0x13, 0x3f, 0xff, 0xff, 0xff, 0x07], needsMedium: true, allowedUnderConflict: 'write-exclusive-only', run: verify6 }],
  [Op.ERASE_6, { name: 'ERASE(6)', direction: 'none', usage: [0x19, 0x03, 0, 0, 0, 0x07], needsMedium: true, run: erase6 }],
  [Op.START_STOP_UNIT, { name: 'LOAD UNLOAD', direction: 'none', usage: [0x1b, 0x01, 0, 0, 0x0f, 0x07], run: loadUnload }],
  [Op.PREVENT_ALLOW_MEDIUM_REMOVAL, { name: 'PREVENT ALLOW MEDIUM REMOVAL', direction: 'none', usage: [0x1e, 0, 0, 0, 0x03, 0x07], run: preventAllowTape }],
  [TapeOp.LOCATE_10, { name: 'LOCATE(10)', direction: 'none', usage: [0x2b, 0x07, 0, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0x07], needsMedium: true, run: locate10 }],
  [Op.READ_POSITION, { name: 'READ POSITION', direction: 'in', usage: [0x34, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07], needsMedium: true, allowedUnderConflict: true, run: readPosition }],
  [Op.REPORT_DENSITY_SUPPORT, { name: 'REPORT DENSITY SUPPORT', direction: 'in', usage: [0x44, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07], allowedUnderConflict: true, run: reportDensitySupport }],
  [TapeOp.WRITE_FILEMARKS_16, { name: 'WRITE FILEMARKS(16)', direction: 'none', usage: [0x80, 0x01, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07], needsMedium: true, run: writeFilemarks16 }],
  [Op.READ_ATTRIBUTE, { name: 'READ ATTRIBUTE', direction: 'in', usage: [0x8c, 0x1f, 0, 0, 0, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x07], needsMedium: true, allowedUnderConflict: true, run: readAttribute }],
  [Op.WRITE_ATTRIBUTE, { name: 'WRITE ATTRIBUTE', direction: 'out', usage: [0x8d, 0x01, 0, 0, 0, 0xff, 0, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07], needsMedium: true, run: writeAttribute }],
  [Op.SPACE_16, { name: 'SPACE(16)', direction: 'none', usage: [0x91, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07], needsMedium: true, run: space16 }],
  [Op.LOCATE_16, { name: 'LOCATE(16)', direction: 'none', usage: [0x92, 0x3b, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x07], needsMedium: true, run: locate16 }],
  [Op.ERASE_16, { name: 'ERASE(16)', direction: 'none', usage: [0x93, 0x0f, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x07], needsMedium: true, run: erase16 }],
  [
    TapeOp.SERVICE_ACTION_IN_12,
    {
      name: 'SERVICE ACTION IN(12)',
      serviceActions: new Map<number, Spec>([
        [READ_MEDIA_SERIAL_NUMBER, { name: 'READ MEDIA SERIAL NUMBER', direction: 'in', usage: [0xab, 0x01, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07], needsMedium: true, allowedUnderConflict: true, run: readMediaSerialNumber }],
      ]),
    },
  ],
];

export const tapeCommands: CommandTable<TapeDrive> = withSpcCommands<TapeDrive>(new Map(rows));
