// docs/emulation-matrix.md's command table says, for every opcode, which device types answer
// it: checked here against the command tables themselves, both ways (a command added to a table
// and a row that claims one that is not there both fail), with each command's name in its row.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandTable } from '../scsi/command-table.ts';
import { DISK_COMMANDS, THIN_DISK_COMMANDS } from '../scsi/sbc/commands.ts';
import { changerCommands, changerCommandsWithExchange } from '../scsi/smc/commands.ts';
import { tapeCommands } from '../scsi/ssc/commands.ts';
import { changerProfiles, tapeDriveProfiles } from '../scsi/profiles/index.ts';

const DOC = readFileSync(fileURLToPath(new URL('../docs/emulation-matrix.md', import.meta.url)), 'utf8');

/** The command table's rows: opcode -> { row text, changer, tape, disk cells }. */
function docRows(): Map<number, { text: string; cells: string[] }> {
  const rows = new Map<number, { text: string; cells: string[] }>();
  const section = DOC.slice(DOC.indexOf('## Commands'), DOC.indexOf('## Mode pages'));
  for (const line of section.split('\n')) {
    const m = /^\| ([0-9A-F]{2})h \|/.exec(line);
    if (!m) continue;
    const cells = line.split('|').slice(2, -1).map((c) => c.trim()); // name, changer, tape, disk
    rows.set(parseInt(m[1]!, 16), { text: cells[0]!, cells: cells.slice(1) });
  }
  return rows;
}

function names(table: CommandTable<unknown>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [op, e] of table as CommandTable<never>) {
    const entry = e as { name: string; serviceActions?: ReadonlyMap<number, { name: string }> };
    out.set(op, entry.serviceActions ? [...entry.serviceActions.values()].map((s) => s.name) : [entry.name]);
  }
  return out;
}

const columns = [
  { name: 'changer', table: changerCommandsWithExchange as CommandTable<unknown>, col: 0 },
  { name: 'tape drive', table: tapeCommands as CommandTable<unknown>, col: 1 },
  { name: 'disk', table: THIN_DISK_COMMANDS as CommandTable<unknown>, col: 2 },
];

test('every command of every table has its row, named, with its device type marked', (t) => {
  const rows = docRows();
  t.true(rows.size > 50, 'the command table was found');
  for (const c of columns) {
    for (const [op, ns] of names(c.table)) {
      const row = rows.get(op);
      const hex = op.toString(16).toUpperCase().padStart(2, '0');
      if (!row) { t.fail(`${c.name}: ${hex}h ${ns.join(', ')} has no row`); continue; }
      for (const n of ns) t.true(row.text.includes(n), `${hex}h row names ${n} (${row.text})`);
      t.not(row.cells[c.col] ?? '', '', `${hex}h ${ns.join(', ')}: the ${c.name} column is empty`);
    }
  }
});

test('no row claims a command a device type does not have', (t) => {
  for (const [op, row] of docRows()) {
    for (const c of columns) {
      if (row.cells[c.col] !== '') t.true(c.table.has(op), `${op.toString(16)}h: ${c.name} marked but not in its table`);
    }
  }
});

test('the variants the rows qualify are the tables\' differences', (t) => {
  const rows = docRows();
  // EXCHANGE MEDIUM only with the changer table that has it; UNMAP only on thin disks
  t.false(changerCommands.has(0xa6));
  t.true(changerCommandsWithExchange.has(0xa6));
  t.is(rows.get(0xa6)?.cells[0], '`generic-changer` only');
  t.deepEqual([...changerProfiles.values()].filter((p) => p.capabilities.exchangeMedium).map((p) => p.name), ['generic-changer']);
  t.false(DISK_COMMANDS.has(0x42));
  t.true(THIN_DISK_COMMANDS.has(0x42));
  t.is(rows.get(0x42)?.cells[2], 'thin disks');
});

test('every personality has a row in its table', (t) => {
  for (const name of [...changerProfiles.keys(), ...tapeDriveProfiles.keys()]) t.regex(DOC, new RegExp(`^\\| \`${name}\`( \\(default\\))? \\|`, 'm'), name);
});
