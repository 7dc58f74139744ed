// The command tables: every row's CDB usage data is as long as its CDB, and
// REPORT SUPPORTED OPERATION CODES lists the SSC and SMC commands.
import test from 'ava';
import { cdbLength } from '../../../scsi/cdb.ts';
import { isServiceActionEntry, type CommandTable } from '../../../scsi/command-table.ts';
import { changerCommands, changerCommandsWithExchange } from '../../../scsi/smc/commands.ts';
import { tapeCommands } from '../../../scsi/ssc/commands.ts';
import { library } from '../smc/fixture.ts';
import { loadedDrive, run } from './harness.ts';

function rows<D>(table: CommandTable<D>): Array<{ op: number; name: string; usage: readonly number[] }> {
  return [...table].flatMap(([op, e]) =>
    isServiceActionEntry(e) ? [...e.serviceActions.values()].map((s) => ({ op, name: s.name, usage: s.usage })) : [{ op, name: e.name, usage: e.usage }],
  );
}

test('every tape and changer row has usage data as long as its CDB, starting with its opcode', (t) => {
  t.log('each row\'s usage array matches its CDB length and opcode');
  for (const table of [tapeCommands, changerCommands, changerCommandsWithExchange] as Array<CommandTable<unknown>>) {
    for (const r of rows(table)) {
      t.is(r.usage.length, cdbLength(r.op), r.name);
      t.is(r.usage[0], r.op, r.name);
    }
  }
});

async function supportedOpcodes(lu: Parameters<typeof run>[0]): Promise<Set<number>> {
  const r = await run(lu, [0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0]);
  const set = new Set<number>();
  for (let at = 4; at + 8 <= r.data.length; at += 8) set.add(r.data[at] ?? 0);
  return set;
}

test('REPORT SUPPORTED OPERATION CODES on the drive lists the SSC commands', async (t) => {
  const { drive } = await loadedDrive();
  const ops = await supportedOpcodes(drive);
  t.log('every SSC opcode is reported');
  for (const op of [0x01, 0x05, 0x08, 0x0a, 0x10, 0x11, 0x13, 0x19, 0x1b, 0x1e, 0x2b, 0x34, 0x44, 0x80, 0x8c, 0x8d, 0x91, 0x92, 0x93, 0xab]) {
    t.true(ops.has(op), op.toString(16));
  }
});

test('REPORT SUPPORTED OPERATION CODES on the changer lists the SMC commands', async (t) => {
  const { changer } = await library();
  const ops = await supportedOpcodes(changer);
  t.log('every SMC opcode is reported, EXCHANGE MEDIUM not (STK L700)');
  for (const op of [0x07, 0x1e, 0x2b, 0x37, 0xa5, 0xb8]) t.true(ops.has(op), op.toString(16));
  t.false(ops.has(0xa6));
});
