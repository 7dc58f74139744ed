// `s3vtl tape protect|unprotect`: the write-protect switch, offline on the
// catalog and online through the control socket; refused while the cartridge
// is in a drive; seen by the drive at the next load; published to the bucket
// so `s3vtl recover` keeps it.
import test from 'ava';
import { join } from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { factsPrefix, readCartridgeFacts } from '../../src/catalog/cartridge-facts.ts';
import { LibraryKeys, readLatestSnapshot } from '../../src/catalog/library-snapshot.ts';
import type { TapeListResult, TapeProtectResult } from '../../src/control/protocol.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { block, command, decodeSense } from '../scsi/ssc/harness.ts';
import { attach, online, sandbox, type Sandbox } from './helpers.ts';

const storeOf = (s: Sandbox) => new DirObjectStore({ root: join(s.config.data, 'store') });
const wp = async (s: Sandbox) => Object.fromEntries((await s.json<TapeListResult>('tape', 'list')).tapes.map((x) => [x.barcode, x.writeProtected]));

test('offline: protect and unprotect set the switch, tape list shows it, repeating changes nothing', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6', 'S3V002L6');
  const text = await s.run('tape', 'protect', 'S3V001L6');
  t.is(text, [
    'BARCODE   MEDIA  POOL     STATE    WRITTEN  CAPACITY  WORM  WP   LOCATION',
    'S3V001L6  LTO-6  default  scratch      0 B   2.3 TiB  no    yes  lib0 slot @1000',
    '',
  ].join('\n'));
  t.deepEqual(await wp(s), { S3V001L6: true, S3V002L6: false });
  const again = await s.json<TapeProtectResult>('tape', 'protect', 'S3V001L6', 'S3V002L6');
  t.log('only the cartridge whose switch moved is in `changed`');
  t.deepEqual(again.changed, ['S3V002L6']);
  t.is(again.warning, null);
  t.deepEqual(again.tapes.map((x) => [x.barcode, x.writeProtected]), [['S3V001L6', true], ['S3V002L6', true]]);
  const off = await s.json<TapeProtectResult>('tape', 'unprotect', 'S3V002L6');
  t.deepEqual(off.changed, ['S3V002L6']);
  t.deepEqual(await wp(s), { S3V001L6: true, S3V002L6: false });
});

test('refusals name the problem and change nothing (all or nothing)', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6', 'S3V002L6');
  const unknown = await t.throwsAsync(s.run('tape', 'protect', 'S3V001L6', 'NOPE01L6'));
  t.is(unknown?.message, 'no cartridge NOPE01L6 in the catalog; known: S3V001L6, S3V002L6');
  t.deepEqual(await wp(s), { S3V001L6: false, S3V002L6: false });
  const twice = await t.throwsAsync(s.run('tape', 'unprotect', 'S3V001L6', 'S3V001L6'));
  t.is(twice?.message, 'barcode S3V001L6 is given twice');
});

test('offline: the switch is published (facts object and library state object) and recover keeps it', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6', 'S3V002L6');
  await s.run('tape', 'create', 'SHF001L6', '--shelf', '--pool', 'vault');
  await s.run('tape', 'protect', 'S3V001L6', 'SHF001L6');
  await s.run('tape', 'protect', 'S3V002L6');
  await s.run('tape', 'unprotect', 'S3V002L6');
  const store = storeOf(s);
  t.log('each change wrote a facts object under tapes/<BARCODE>/facts/');
  t.is((await store.list(factsPrefix('S3V002L6'))).objects.length, 2);
  t.like(await readCartridgeFacts(store, 'SHF001L6'), { barcode: 'SHF001L6', writeProtected: true, pool: 'vault', mediaType: 'LTO-6' });
  t.log('the library state object carries it for the cartridges in the library');
  const snap = await readLatestSnapshot(store, new LibraryKeys(''), 'lib0');
  t.deepEqual(snap?.snapshot.cartridges.map((c) => [c.barcode, c.writeProtected]), [['S3V001L6', true], ['S3V002L6', false]]);

  t.log('disaster: a new catalog from the bucket alone');
  const catalog = Catalog.open(':memory:');
  t.teardown(() => catalog.close());
  const summary = await recoverCatalog(catalog, store, s.config.targets.flatMap((x) => (x.library === undefined ? [] : [x.library])));
  t.deepEqual(catalog.cartridges.list().map((c) => [c.barcode, c.writeProtected, c.pool]), [
    ['S3V001L6', true, 'default'], ['S3V002L6', false, 'default'], ['SHF001L6', true, 'vault'],
  ]);
  t.log('the never-written shelf cartridge came back from its facts object, not as a failure');
  t.true(summary.fromStateOnly.includes('SHF001L6'));
  t.false(summary.failed.some((f) => f.barcode === 'SHF001L6'));
  t.is(catalog.elements.whereIs('SHF001L6'), undefined);
});

test('online: refused while loaded in a drive; the drive reads the switch at the next load', async (t) => {
  const s = sandbox({ cartridges: '{ prefix: S3V, count: 2, media: L6 }' });
  t.teardown(() => s.cleanup());
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  await attach(changer);
  const drive = gateway.libraries.get('lib0')!.drives[0]!;
  const exec = async (lu: typeof drive | typeof changer, cdb: number[], dataOut?: Buffer) => {
    const r = await lu.execute(command(cdb, dataOut === undefined ? {} : { dataOut }));
    return { status: r.status, data: r.dataIn ?? Buffer.alloc(0), sense: r.sense === undefined ? undefined : decodeSense(r.sense) };
  };
  const move = (src: number, dst: number) => exec(changer, [0xa5, 0, 0, 1, src >> 8, src & 0xff, dst >> 8, dst & 0xff, 0, 0, 0, 0]);
  const untilReady = async () => {
    for (let i = 0; i < 10 && (await exec(drive, [0, 0, 0, 0, 0, 0])).status !== 0;);
  };

  t.log('protect through the control socket, then load: MODE SENSE WP, WRITE refused 07/27/00');
  const r = await s.json<TapeProtectResult>('tape', 'protect', 'S3V001L6');
  t.deepEqual(r.changed, ['S3V001L6']);
  t.is((await move(1000, 500)).status, 0);
  await untilReady();
  t.is(((await exec(drive, [0x1a, 0, 0x3f, 0, 255, 0])).data[2] ?? 0) & 0x80, 0x80);
  const w = await exec(drive, [0x0a, 0, 0, 0x04, 0x00, 0], block(1024, 1));
  t.deepEqual([w.status, w.sense?.key, w.sense?.asc, w.sense?.ascq], [2, 0x7, 0x27, 0x00]);

  t.log('the switch of a loaded cartridge cannot move');
  const e = await t.throwsAsync(s.run('tape', 'unprotect', 'S3V001L6'));
  t.is(e?.message, 'S3V001L6 is loaded in lib0 drive 0: its write-protect switch cannot be moved inside a drive; unload it first (mtx unload), then run s3vtl tape unprotect S3V001L6 again');
  t.true((await wp(s)).S3V001L6);

  t.log('unload, unprotect, load again: WP clear and the write is accepted');
  t.is((await exec(drive, [0x1b, 0, 0, 0, 0, 0])).status, 0);
  t.is((await move(500, 1000)).status, 0);
  await s.run('tape', 'unprotect', 'S3V001L6');
  t.is((await move(1000, 500)).status, 0);
  await untilReady();
  t.is(((await exec(drive, [0x1a, 0, 0x3f, 0, 255, 0])).data[2] ?? 0) & 0x80, 0);
  t.is((await exec(drive, [0x0a, 0, 0, 0x04, 0x00, 0], block(1024, 1))).status, 0);
});
