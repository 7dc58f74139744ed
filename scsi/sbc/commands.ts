// The SBC-3 command table of a Disk, merged over the SPC defaults.
import type { CommandSpec, CommandTable, TableEntry } from '../command-table.ts';
import { Op, ServiceActionIn16 } from '../opcodes.ts';
import { withSpcCommands } from '../spc/commands.ts';
import { getLbaStatus, readCapacity10, readCapacity16 } from './capacity.ts';
import { preFetch, preventAllowMediumRemoval, readDefectData, startStopUnit, synchronizeCache } from './cache-and-unit.ts';
import { compareAndWrite, compareAndWriteBytes, orWrite } from './compare-and-write.ts';
import type { Disk } from './disk.ts';
import { transferBytes } from './lba.ts';
import { read, write } from './read-write.ts';
import { verify, verifyTransferBytes, writeAndVerify } from './verify.ts';
import { unmapCommand, writeSame, writeSameBytes } from './write-same.ts';

type Spec = CommandSpec<Disk>;

const F = 0xff;
const LBA4 = [F, F, F, F] as const;
const LBA8 = [F, F, F, F, F, F, F, F] as const;
/** Reads are allowed to non-holders of Write Exclusive reservations (SPC-4 5.13.1, SBC-3 table). */
const readLike = { needsMedium: true, allowedUnderConflict: 'write-exclusive-only' } as const;
const writeLike = { needsMedium: true } as const;

function row(name: string, direction: Spec['direction'], usage: readonly number[], run: Spec['run'], extra: Partial<Spec>): Spec {
  return { name, direction, usage, run, ...extra };
}

const rows: Array<[number, TableEntry<Disk>]> = [
  [Op.START_STOP_UNIT, row('START STOP UNIT', 'none', [0x1b, 0x01, 0, 0x0f, 0xf7, 0x07], startStopUnit, {})],
  [Op.PREVENT_ALLOW_MEDIUM_REMOVAL, row('PREVENT ALLOW MEDIUM REMOVAL', 'none', [0x1e, 0, 0, 0, 0x03, 0x07], preventAllowMediumRemoval, {})],
  [Op.READ_6, row('READ(6)', 'in', [0x08, 0x1f, F, F, F, 0x07], read, { ...readLike, transferLength: transferBytes })],
  [Op.WRITE_6, row('WRITE(6)', 'out', [0x0a, 0x1f, F, F, F, 0x07], write, { ...writeLike, transferLength: transferBytes })],
  [Op.READ_CAPACITY_10, row('READ CAPACITY(10)', 'in', [0x25, 0, ...LBA4, 0, 0, 0x01, 0x07], readCapacity10, { allowedUnderConflict: true })],
  [Op.READ_10, row('READ(10)', 'in', [0x28, 0xf8, ...LBA4, 0, F, F, 0x07], read, { ...readLike, transferLength: transferBytes })],
  [Op.WRITE_10, row('WRITE(10)', 'out', [0x2a, 0xf8, ...LBA4, 0, F, F, 0x07], write, { ...writeLike, transferLength: transferBytes })],
  [Op.WRITE_AND_VERIFY_10, row('WRITE AND VERIFY(10)', 'out', [0x2e, 0xf6, ...LBA4, 0, F, F, 0x07], writeAndVerify, { ...writeLike, transferLength: transferBytes })],
  [Op.VERIFY_10, row('VERIFY(10)', 'out', [0x2f, 0xf6, ...LBA4, 0, F, F, 0x07], verify, { ...readLike, transferLength: verifyTransferBytes })],
  [Op.PRE_FETCH_10, row('PRE-FETCH(10)', 'none', [0x34, 0x02, ...LBA4, 0, F, F, 0x07], preFetch, readLike)],
  [Op.SYNCHRONIZE_CACHE_10, row('SYNCHRONIZE CACHE(10)', 'none', [0x35, 0x02, ...LBA4, 0, F, F, 0x07], synchronizeCache, writeLike)],
  [Op.READ_DEFECT_DATA_10, row('READ DEFECT DATA(10)', 'in', [0x37, 0, 0x1f, 0, 0, 0, 0, F, F, 0x07], readDefectData, readLike)],
  [Op.WRITE_SAME_10, row('WRITE SAME(10)', 'out', [0x41, 0xf8, ...LBA4, 0, F, F, 0x07], writeSame, { ...writeLike, transferLength: writeSameBytes })],
  [Op.READ_16, row('READ(16)', 'in', [0x88, 0xf8, ...LBA8, F, F, F, F, 0, 0x07], read, { ...readLike, transferLength: transferBytes })],
  [Op.COMPARE_AND_WRITE, row('COMPARE AND WRITE', 'out', [0x89, 0xf8, ...LBA8, 0, 0, 0, F, 0, 0x07], compareAndWrite, { ...writeLike, transferLength: compareAndWriteBytes })],
  [Op.WRITE_16, row('WRITE(16)', 'out', [0x8a, 0xf8, ...LBA8, F, F, F, F, 0, 0x07], write, { ...writeLike, transferLength: transferBytes })],
  [Op.ORWRITE_16, row('ORWRITE(16)', 'out', [0x8b, 0xf8, ...LBA8, F, F, F, F, 0, 0x07], orWrite, { ...writeLike, transferLength: transferBytes })],
  [Op.WRITE_AND_VERIFY_16, row('WRITE AND VERIFY(16)', 'out', [0x8e, 0xf6, ...LBA8, F, F, F, F, 0, 0x07], writeAndVerify, { ...writeLike, transferLength: transferBytes })],
  [Op.VERIFY_16, row('VERIFY(16)', 'out', [0x8f, 0xf6, ...LBA8, F, F, F, F, 0, 0x07], verify, { ...readLike, transferLength: verifyTransferBytes })],
  [Op.PRE_FETCH_16, row('PRE-FETCH(16)', 'none', [0x90, 0x02, ...LBA8, F, F, F, F, 0, 0x07], preFetch, readLike)],
  [Op.SYNCHRONIZE_CACHE_16, row('SYNCHRONIZE CACHE(16)', 'none', [0x91, 0x02, ...LBA8, F, F, F, F, 0, 0x07], synchronizeCache, writeLike)],
  [Op.WRITE_SAME_16, row('WRITE SAME(16)', 'out', [0x93, 0xf9, ...LBA8, F, F, F, F, 0, 0x07], writeSame, { ...writeLike, transferLength: writeSameBytes })],
  [
    Op.SERVICE_ACTION_IN_16,
    {
      name: 'SERVICE ACTION IN(16)',
      serviceActions: new Map<number, Spec>([
        [ServiceActionIn16.READ_CAPACITY_16, row('READ CAPACITY(16)', 'in', [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, F, F, F, F, 0, 0x07], readCapacity16, { allowedUnderConflict: true })],
        [ServiceActionIn16.GET_LBA_STATUS, row('GET LBA STATUS', 'in', [0x9e, 0x12, ...LBA8, F, F, F, F, 0, 0x07], getLbaStatus, readLike)],
      ]),
    },
  ],
  [Op.READ_12, row('READ(12)', 'in', [0xa8, 0xf8, ...LBA4, F, F, F, F, 0, 0x07], read, { ...readLike, transferLength: transferBytes })],
  [Op.WRITE_12, row('WRITE(12)', 'out', [0xaa, 0xf8, ...LBA4, F, F, F, F, 0, 0x07], write, { ...writeLike, transferLength: transferBytes })],
  [Op.WRITE_AND_VERIFY_12, row('WRITE AND VERIFY(12)', 'out', [0xae, 0xf6, ...LBA4, F, F, F, F, 0, 0x07], writeAndVerify, { ...writeLike, transferLength: transferBytes })],
  [Op.VERIFY_12, row('VERIFY(12)', 'out', [0xaf, 0xf6, ...LBA4, F, F, F, F, 0, 0x07], verify, { ...readLike, transferLength: verifyTransferBytes })],
  [Op.READ_DEFECT_DATA_12, row('READ DEFECT DATA(12)', 'in', [0xb7, 0x1f, 0, 0, 0, 0, F, F, F, F, 0, 0x07], readDefectData, readLike)],
];

const unmapRow: [number, TableEntry<Disk>] = [
  Op.UNMAP,
  row('UNMAP', 'out', [0x42, 0x01, 0, 0, 0, 0, 0, F, F, 0x07], unmapCommand, { ...writeLike, transferLength: (_d, cdb) => cdb.u16(7) }),
];

/** A fully provisioned disk: no UNMAP. */
export const DISK_COMMANDS: CommandTable<Disk> = withSpcCommands<Disk>(new Map(rows));
/** A thin-provisioned disk (the backend can deallocate). */
export const THIN_DISK_COMMANDS: CommandTable<Disk> = withSpcCommands<Disk>(new Map([...rows, unmapRow]));
