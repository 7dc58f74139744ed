// `s3vtl tape create|list`, offline against a temporary data directory and
// online through a running gateway's control socket.
import test from 'ava';
import { batchBarcodes } from '../../src/wiring/provision.ts';
import type { TapeCreateResult, TapeInfo, TapeListResult } from '../../src/control/protocol.ts';
import { attach, online, sandbox, testUnitReady } from './helpers.ts';

const GiB = 1024 ** 3;

test('create --prefix --count --media: numbered barcodes in the first empty storage slots, JSON shape', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const r = await s.json<TapeCreateResult>('tape', 'create', '--prefix', 'S3V', '--count', '2', '--first', '7', '--media', 'L6', '--capacity', '8GiB');
  t.log('The result names every created cartridge with its row and where it went.');
  t.deepEqual(r.created[0], {
    barcode: 'S3V007L6', media: 'LTO-6', pool: 'default', state: 'scratch', bytesWritten: 0, capacityBytes: 8 * GiB,
    worm: false, writeProtected: false, location: { library: 'lib0', kind: 'storage', address: 1000, index: 0 },
  } satisfies TapeInfo);
  t.deepEqual(r.created.map((c) => [c.barcode, c.location?.address]), [['S3V007L6', 1000], ['S3V008L6', 1001]]);
});

test('create BARCODE --shelf: no element, pool, WORM and capacity kept', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const r = await s.json<TapeCreateResult>('tape', 'create', 'VLT001L5', 'VLT002L5', '--shelf', '--pool', 'vault', '--worm', '--capacity', '1GiB');
  t.log('Shelf cartridges have a null location; --worm marks them WORM although L5 is a rewritable media id.');
  t.deepEqual(r.created.map((c) => [c.barcode, c.pool, c.worm, c.capacityBytes, c.location]), [
    ['VLT001L5', 'vault', true, GiB, null], ['VLT002L5', 'vault', true, GiB, null],
  ]);
});

test('create refuses an existing barcode and says where it is', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6');
  const e = await t.throwsAsync(s.run('tape', 'create', 'S3V002L6', 'S3V001L6'));
  t.is(e?.message, 'cartridge S3V001L6 exists already (in lib0 storage slot 1000); choose other barcodes');
  t.log('Nothing of the refused request was created.');
  t.deepEqual((await s.json<TapeListResult>('tape', 'list')).tapes.map((x) => x.barcode), ['S3V001L6']);
});

test('create is all or nothing when one barcode is malformed', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(s.run('tape', 'create', 'S3V001L6', 'BAD'));
  t.regex(e?.message ?? '', /BAD.*6 characters/);
  t.deepEqual((await s.json<TapeListResult>('tape', 'list')).tapes, []);
});

test('create says how many slots are free when there are too few', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(s.run('tape', 'create', '--prefix', 'S3V', '--count', '7', '--media', 'L6'));
  t.is(e?.message, 'lib0 has 6 empty storage slots for 7 cartridges: create fewer, use --shelf, or export some first');
});

test('create --prefix validates like the config does', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(s.run('tape', 'create', '--prefix', 'S3V', '--count', '2', '--media', 'Q9'));
  t.regex(e?.message ?? '', /^--media: unknown LTO media id/);
  const both = await t.throwsAsync(s.run('tape', 'create', 'S3V001L6', '--prefix', 'S3V'));
  t.is(both?.message, 'give barcodes or --prefix/--count/--media, not both');
});

test('the barcodes of a batch are the ones serve provisions', (t) => {
  t.deepEqual(batchBarcodes({ prefix: 'AB', first: 9, count: 2, media: 'LW' }), ['AB0009LW', 'AB0010LW']);
});

test('list prints a table with location and filters by pool', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6', '--capacity', '8GiB');
  await s.run('tape', 'create', 'VLT001LW', '--shelf', '--pool', 'vault');
  const text = await s.run('tape', 'list');
  t.is(text, [
    'BARCODE   MEDIA  POOL     STATE    WRITTEN  CAPACITY  WORM  WP  LOCATION',
    'S3V001L6  LTO-6  default  scratch      0 B     8 GiB  no    no  lib0 slot @1000',
    'VLT001LW  LTO-6  vault    scratch      0 B   2.3 TiB  yes   no  shelf',
    '',
  ].join('\n'));
  t.deepEqual((await s.json<TapeListResult>('tape', 'list', '--pool', 'vault')).tapes.map((x) => x.barcode), ['VLT001LW']);
  t.deepEqual((await s.json<TapeListResult>('tape', 'list', '--library', 'lib0')).tapes.map((x) => x.barcode), ['S3V001L6']);
});

test('online: create goes through the running changer, which reports the door closing (28/00)', async (t) => {
  const s = sandbox({ cartridges: '{ prefix: S3V, count: 2, media: L6 }' });
  t.teardown(() => s.cleanup());
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  await attach(changer);
  const r = await s.json<TapeCreateResult>('tape', 'create', 'NEW001L6');
  t.log('The configured cartridges took slots 1000-1001, so the new one takes 1002 in the changer\'s own inventory.');
  t.is(r.created[0]?.location?.address, 1002);
  t.is(changer.inventory().find((e) => e.address === 1002)?.barcode, 'NEW001L6');
  t.deepEqual(await testUnitReady(changer), [0x6, 0x28, 0x00]);
  t.log('tape list online and offline print the same.');
  const live = await s.run('tape', 'list', '--json');
  await gateway.close();
  t.is(await s.run('tape', 'list', '--json'), live);
});
