// `s3vtl library status|import|export`, offline against a temporary data
// directory and online through a running gateway, where the changer must
// raise UNIT ATTENTION 28/01 IMPORT OR EXPORT ELEMENT ACCESSED.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { LibraryExportResult, LibraryImportResult, LibraryStatusResult, TapeListResult } from '../../src/control/protocol.ts';
import { attach, online, sandbox, testUnitReady } from './helpers.ts';

const IMPORT_EXPORT_ACCESSED: [number, number, number] = [0x6, 0x28, 0x01];

test('status: personality, drives with serials, slots and import/export slots (JSON shape)', async (t) => {
  const s = sandbox({ cartridges: '{ prefix: S3V, count: 1, media: L6 }' });
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V002L6');
  const r = await s.json<LibraryStatusResult>('library', 'status');
  const lib = r.libraries[0]!;
  t.is(r.libraries.length, 1);
  t.like(lib, { name: 'lib0', iqn: 'iqn.2026-11.org.s3vtl:test', changer: { personality: 'stk-l700', vendor: 'STK', product: 'L700' }, drive: { personality: 'ibm-ult3580-td6' } });
  t.log('Drive serials are the ones the running drives report (stable per config place).');
  t.deepEqual(lib.drives.map((d) => ({ ...d, serial: d.serial.length })), [
    { address: 500, index: 0, barcode: null, lun: 1, serial: 10 },
    { address: 501, index: 1, barcode: null, lun: 2, serial: 10 },
  ]);
  t.log('Offline, configured cartridges are not provisioned (serve does that at start); the created one is in slot 1000.');
  t.deepEqual(lib.slots[0], { address: 1000, index: 0, barcode: 'S3V002L6' });
  t.is(lib.slots.length, 6);
  t.deepEqual(lib.importExport, [{ address: 10, index: 0, barcode: null }, { address: 11, index: 1, barcode: null }]);
  t.regex(await s.run('library', 'status'), /^lib0 \(iqn\.2026-11\.org\.s3vtl:test\): changer stk-l700 \(STK L700, serial \w+\), 2 × ibm-ult3580-td6, 1\/6 slots full\n/);
});

test('import then export offline: shelf -> mail slot -> shelf', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'VLT001L6', '--shelf');
  const imp = await s.json<LibraryImportResult>('library', 'import', '--library', 'lib0', 'VLT001L6', '--slot', '11');
  t.deepEqual(imp, { library: 'lib0', barcode: 'VLT001L6', address: 11 });
  const where = (await s.json<TapeListResult>('tape', 'list')).tapes[0]?.location;
  t.deepEqual(where, { library: 'lib0', kind: 'import-export', address: 11, index: 1 });
  t.log('Export by barcode finds the mail slot.');
  const exp = await s.json<LibraryExportResult>('library', 'export', '--library', 'lib0', '--slot', 'VLT001L6');
  t.like(exp, { library: 'lib0', barcode: 'VLT001L6', address: 11, shelf: { phase: 'shelved', medium: 'none', state: 'exported', complete: true } });
  t.is((await s.json<TapeListResult>('tape', 'list')).tapes[0]?.location, null);
  t.is(await s.run('library', 'import', '--library', 'lib0', 'VLT001L6'), 'VLT001L6 is in import/export slot 10 of lib0\n');
});

test('import and export errors say what to do', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6');
  await s.run('tape', 'create', 'VLT001L6', 'VLT002L6', 'VLT003L6', '--shelf');
  const msg = async (...args: string[]): Promise<string | undefined> => (await t.throwsAsync(s.run(...args)))?.message;
  t.is(await msg('library', 'import', '--library', 'lib0', 'VLT001L6', '--slot', '4096'), 'slot 4096 is not an import/export slot of lib0; import/export slots are 10-11');
  t.is(await msg('library', 'import', '--library', 'lib9', 'VLT001L6'), 'no library lib9; the configuration has lib0');
  t.is(await msg('library', 'import', '--library', 'lib0', 'NOPE01L6'), 'no cartridge NOPE01L6 in the catalog; create it first: s3vtl tape create NOPE01L6 --shelf');
  t.is(await msg('library', 'import', '--library', 'lib0', 'S3V001L6'), 'S3V001L6 is in lib0 storage slot 1000, not on the shelf');
  await s.run('library', 'import', '--library', 'lib0', 'VLT001L6', '--slot', '10');
  t.is(await msg('library', 'import', '--library', 'lib0', 'VLT002L6', '--slot', '10'), 'import/export slot 10 of lib0 holds VLT001L6; empty ones: 11');
  await s.run('library', 'import', '--library', 'lib0', 'VLT002L6');
  t.is(await msg('library', 'import', '--library', 'lib0', 'VLT003L6'), 'every import/export slot of lib0 (10-11) is full; export one first (s3vtl library export --library lib0 --slot 10)');
  t.is(await msg('library', 'export', '--library', 'lib0', '--slot', '1000'), 'slot 1000 is not an import/export slot of lib0; import/export slots are 10-11');
  t.is(await msg('library', 'export', '--library', 'lib0', '--slot', 'S3V001L6'), 'S3V001L6 is in storage slot 1000 of lib0, not in an import/export slot: move it there first');
  await s.run('library', 'export', '--library', 'lib0', '--slot', '11');
  t.is(await msg('library', 'export', '--library', 'lib0', '--slot', '11'), 'import/export slot 11 of lib0 is empty');
  t.log('A cartridge recorded in a drive (as a running server leaves it after a load).');
  const catalog = Catalog.open(join(s.config.data, 'catalog.sqlite'));
  catalog.elements.move(1000, 500);
  catalog.close();
  t.is(await msg('library', 'export', '--library', 'lib0', '--slot', 'S3V001L6'), 'S3V001L6 is loaded in drive 0 of lib0: unload it first (mtx unload), then move it to an import/export slot');
});

test('online: import raises 28/01 on the changer and the cartridge shows in its inventory', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'VLT001L6', '--shelf');
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  await attach(changer, 1);
  await attach(changer, 2);
  const imp = await s.json<LibraryImportResult>('library', 'import', '--library', 'lib0', 'VLT001L6');
  t.deepEqual(imp, { library: 'lib0', barcode: 'VLT001L6', address: 10 });
  t.log('Every initiator that knows the changer is told the mail slot was accessed.');
  t.deepEqual(await testUnitReady(changer, 1), IMPORT_EXPORT_ACCESSED);
  t.deepEqual(await testUnitReady(changer, 2), IMPORT_EXPORT_ACCESSED);
  t.is(await testUnitReady(changer, 1), 'good');
  t.is(changer.inventory().find((e) => e.address === 10)?.barcode, 'VLT001L6');
  const status = await s.json<LibraryStatusResult>('library', 'status');
  t.is(status.libraries[0]?.importExport[0]?.barcode, 'VLT001L6');
});

test('online: export raises 28/01 and the catalog has the cartridge on the shelf after the server stops', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'VLT001L6', '--shelf');
  await s.run('library', 'import', '--library', 'lib0', 'VLT001L6', '--slot', '11');
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  await attach(changer);
  const exp = await s.json<LibraryExportResult>('library', 'export', '--library', 'lib0', '--slot', '11');
  t.like(exp, { library: 'lib0', barcode: 'VLT001L6', address: 11, shelf: { phase: 'shelved', medium: 'none' } });
  t.deepEqual(await testUnitReady(changer), IMPORT_EXPORT_ACCESSED);
  await gateway.close();
  t.is((await s.json<TapeListResult>('tape', 'list')).tapes[0]?.location, null);
});

test('online: mail slots locked by PREVENT ALLOW MEDIUM REMOVAL refuse the operator', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'VLT001L6', '--shelf');
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  changer.setPrevent('iqn.2026-01.test:host1', true);
  const e = await t.throwsAsync(s.run('library', 'import', '--library', 'lib0', 'VLT001L6'));
  t.regex(e?.message ?? '', /PREVENT ALLOW MEDIUM REMOVAL/);
  t.is((e as { code?: string } | undefined)?.code, 'VTL_LIBRARY_PREVENTED');
});

test('the s3vtl binary prints one line and exits 2 on an operator error', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const bin = join(import.meta.dirname, '../../bin/s3vtl.js');
  const e = await t.throwsAsync(promisify(execFile)(process.execPath, [bin, 'library', 'export', '--library', 'lib0', '--slot', '4096', '--config', s.configPath]));
  t.is((e as { code?: number }).code, 2);
  t.is((e as { stderr?: string }).stderr, 's3vtl: slot 4096 is not an import/export slot of lib0; import/export slots are 10-11\n');
});

test('offline import publishes the library state object to the store, as serve does', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'VLT001L6', '--shelf');
  await s.run('library', 'import', '--library', 'lib0', 'VLT001L6');
  const dir = join(s.config.store.slice('file://'.length), 'libraries', 'lib0', 'state');
  const newest = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().at(-1);
  t.log('the newest state object puts the cartridge in the first import/export slot');
  t.truthy(newest);
  const body = readFileSync(join(dir, newest!), 'utf8');
  t.regex(body, /"kind":\s*"import-export"[^}]*"barcode":\s*"VLT001L6"/);
});
