// Operations.tapeProtect: the catalog change, what it publishes (the facts
// object of every named cartridge, the state object of the libraries holding
// them) and how a failed publish reaches the operator.
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { CartridgeRow } from '../../src/catalog/cartridges.ts';
import { Operations, type LibraryHandle } from '../../src/control/operations.ts';
import { ControlServer } from '../../src/control/server.ts';
import { request } from '../../src/control/client.ts';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietLogger } from '../cli/helpers.ts';

function catalogWith(...barcodes: string[]): Catalog {
  const c = Catalog.open(':memory:');
  for (const b of barcodes) c.cartridges.add({ barcode: b });
  return c;
}

test('the facts of every named cartridge are published after the catalog changed, changed or not', async (t) => {
  const catalog = catalogWith('AAA001L6', 'AAA002L6');
  t.teardown(() => catalog.close());
  catalog.cartridges.setWriteProtected('AAA002L6', true);
  const seen: [string, boolean][] = [];
  const ops = new Operations(catalog, [], { pools: ['default'], publishFacts: async (row: CartridgeRow) => { seen.push([row.barcode, row.writeProtected]); } });
  const r = await ops.tapeProtect({ barcodes: ['AAA001L6', 'AAA002L6'], protect: true });
  t.deepEqual(r.changed, ['AAA001L6']);
  t.is(r.warning, null);
  t.log('the publisher sees the rows as they are after the change');
  t.deepEqual(seen, [['AAA001L6', true], ['AAA002L6', true]]);
  t.true(catalog.cartridges.require('AAA001L6').writeProtected);
});

test('a failed publish keeps the switch and says so in `warning`; repeating the command publishes', async (t) => {
  const catalog = catalogWith('AAA001L6');
  t.teardown(() => catalog.close());
  let down = true;
  const published: string[] = [];
  const ops = new Operations(catalog, [], {
    pools: ['default'],
    publishFacts: async (row) => {
      if (down) throw new Error('store unreachable');
      published.push(row.barcode);
    },
  });
  const r = await ops.tapeProtect({ barcodes: ['AAA001L6'], protect: true });
  t.true(catalog.cartridges.require('AAA001L6').writeProtected);
  t.is(r.warning, 'the switch moved but was not written to the object store for AAA001L6 (store unreachable); run the command again to publish it (recover would not see it)');
  down = false;
  const again = await ops.tapeProtect({ barcodes: ['AAA001L6'], protect: true });
  t.deepEqual(again.changed, []);
  t.is(again.warning, null);
  t.deepEqual(published, ['AAA001L6']);
});

test('no barcodes: a usage error that says how to call it', async (t) => {
  const catalog = catalogWith();
  t.teardown(() => catalog.close());
  const ops = new Operations(catalog, [], { pools: ['default'] });
  await t.throwsAsync(ops.tapeProtect({ barcodes: [], protect: false }), {
    message: 'name the cartridges: s3vtl tape unprotect BARCODE... (s3vtl tape list shows them)',
  });
});

test('over the control socket: tape.protect is a command of the handler table, errors travel as VTL_USAGE', async (t) => {
  const catalog = catalogWith('AAA001L6');
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-ctl-'));
  const path = join(dir, 'control.sock');
  const server = new ControlServer({ path, handlers: new Operations(catalog, [] as LibraryHandle[], { pools: ['default'] }).handlers(), log: quietLogger });
  t.teardown(async () => { await server.close(); catalog.close(); await rm(dir, { recursive: true, force: true }); });
  await server.listen();
  const r = await request(path, 'tape.protect', { barcodes: ['AAA001L6'], protect: true });
  t.like(r, { changed: ['AAA001L6'], warning: null });
  await t.throwsAsync(request(path, 'tape.protect', { barcodes: ['ZZZ001L6'], protect: true }), {
    code: 'VTL_USAGE', message: 'no cartridge ZZZ001L6 in the catalog; known: AAA001L6',
  } as never);
  t.log('arguments are validated by the schema: protect is required');
  await t.throwsAsync(request(path, 'tape.protect', { barcodes: ['AAA001L6'] } as never));
});
