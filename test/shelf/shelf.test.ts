// The archive shelf against an in-process fake S3: export moves segments to
// the pool's archive class, retrieve restores (tier, days), polls, copies back
// and puts the cartridge in a free import/export slot, recover brings an
// archived cartridge back archived. Commands run through the CLI, offline.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { LibraryExportResult, ShelfStatus, TapeListResult, TapeRetrieveResult } from '../../src/control/protocol.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { repeatSteps } from '../../src/shelf/progress.ts';
import { Shelf } from '../../src/shelf/shelf.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { runCli } from '../cli/helpers.ts';
import { FakeS3 } from './fake-s3.ts';

process.env.AWS_ACCESS_KEY_ID = 'FAKEACCESSKEY';
process.env.AWS_SECRET_ACCESS_KEY = 'fakesecret';
delete process.env.AWS_ENDPOINT_URL_S3;
delete process.env.AWS_ENDPOINT_URL;

interface Box {
  fake: FakeS3;
  dir: string;
  config: string;
  run(...args: string[]): Promise<{ out: string; exitCode: number | undefined }>;
  json<T>(...args: string[]): Promise<T>;
  cleanup(): Promise<void>;
}

async function box(o: { mailslots?: number; pools?: string } = {}): Promise<Box> {
  const fake = new FakeS3();
  await fake.start();
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-shelf-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `listen: 127.0.0.1:0
data: ${join(dir, 'data')}
store: "${fake.url()}"
${o.pools ?? ''}
targets:
  - iqn: iqn.2026-11.org.s3vtl:test
    library:
      name: lib0
      drives: 1
      slots: 4
      mailslots: ${o.mailslots ?? 2}
`);
  const run = (...args: string[]): Promise<{ out: string; exitCode: number | undefined }> => runCli(config, ...args);
  return {
    fake, dir, config, run,
    json: async <T>(...args: string[]) => JSON.parse((await run(...args, '--json')).out) as T,
    cleanup: async () => {
      await fake.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const SEGS = ['0000000000000000-0000000000000009-00000000', '000000000000000a-0000000000000013-00000001', '0000000000000014-000000000000001d-00000002'];
const seg = (b: string, i: number): string => `tapes/${b}/seg/${SEGS[i]}.seg`;
const manifest = (b: string): string => `tapes/${b}/manifest/0000000000000001.json`;

/** A cartridge in import/export slot 10 with three segments and a manifest in the fake bucket. */
async function cartridgeInMailslot(b: Box, barcode: string): Promise<void> {
  await b.run('tape', 'create', barcode, '--shelf');
  await b.run('library', 'import', barcode, '--library', 'lib0', '--slot', '10');
  for (let i = 0; i < 3; i++) b.fake.put(seg(barcode, i), Buffer.alloc(1000 * (i + 1), i));
  b.fake.put(manifest(barcode), Buffer.from('{}'));
}

const classes = (b: Box, barcode: string): string[] => [0, 1, 2].map((i) => b.fake.objects.get(seg(barcode, i))!.storageClass);

test('export moves every segment to the archive class, keeps the manifest, and the cartridge is archived', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF001L6');
  const { out } = await b.run('library', 'export', 'SHF001L6');
  // The default archive class GLACIER holds every segment.
  t.deepEqual(classes(b, 'SHF001L6'), ['GLACIER', 'GLACIER', 'GLACIER']);
  // The manifest stays readable in STANDARD.
  t.is(b.fake.objects.get(manifest('SHF001L6'))!.storageClass, 'STANDARD');
  // Each segment was copied once, onto itself.
  t.deepEqual(b.fake.copies.map((c) => [c.key === c.source, c.storageClass]), [[true, 'GLACIER'], [true, 'GLACIER'], [true, 'GLACIER']]);
  t.log(out.trim());
  t.regex(out, /SHF001L6 left import\/export slot 10 of lib0; it is on the shelf, archived: 3 objects \(5\.9 KiB\) in GLACIER/);
  // The catalog says archived, on the shelf.
  const tape = (await b.json<TapeListResult>('tape', 'list')).tapes[0]!;
  t.is(tape.state, 'archived');
  t.is(tape.location, null);
  // A shelf record in the bucket says so too.
  const records = [...b.fake.objects.keys()].filter((k) => k.startsWith('tapes/SHF001L6/shelf/'));
  t.true(records.length >= 1);
  const newest = JSON.parse(b.fake.objects.get(records.sort().at(-1)!)!.body.toString('utf8')) as { phase: string; state: string; archiveClass: string };
  t.like(newest, { phase: 'archived', state: 'archived', archiveClass: 'GLACIER' });
  // An archived cartridge cannot go through the mail slot before it is retrieved.
  const e = await t.throwsAsync(b.run('library', 'import', 'SHF001L6', '--library', 'lib0'));
  t.is(e?.message, 'SHF001L6 is archived (in GLACIER): bring it back with s3vtl tape retrieve SHF001L6');
  // Exporting it again says where it is.
  const again = await t.throwsAsync(b.run('library', 'export', 'SHF001L6'));
  t.is(again?.message, 'SHF001L6 is on the shelf already (archived in GLACIER); bring it back with s3vtl tape retrieve SHF001L6');
});

test('the pool\'s archiveClass is used, and objects already there are skipped', async (t) => {
  const b = await box({ pools: 'pools:\n  deep:\n    archiveClass: DEEP_ARCHIVE\n' });
  t.teardown(() => b.cleanup());
  await b.run('tape', 'create', 'SHF002L6', '--shelf', '--pool', 'deep');
  await b.run('library', 'import', 'SHF002L6', '--library', 'lib0');
  for (let i = 0; i < 3; i++) b.fake.put(seg('SHF002L6', i), Buffer.alloc(100), i === 1 ? 'DEEP_ARCHIVE' : 'STANDARD');
  const r = await b.json<LibraryExportResult>('library', 'export', '--slot', '10');
  t.deepEqual(classes(b, 'SHF002L6'), ['DEEP_ARCHIVE', 'DEEP_ARCHIVE', 'DEEP_ARCHIVE']);
  // Only the two objects not yet in DEEP_ARCHIVE were copied.
  t.is(b.fake.copies.length, 2);
  t.like(r.shelf, { phase: 'archived', state: 'archived', archiveClass: 'DEEP_ARCHIVE', objects: 3, archived: 3, complete: true });
});

test('an interrupted archive resumes where it stopped (one bounded step at a time)', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF003L6');
  const opened = S3ObjectStore.fromUrl(b.fake.url());
  const catalog = Catalog.open(join(b.dir, 'data', 'catalog.sqlite'));
  t.teardown(() => { catalog.close(); opened.close(); });
  // The changer let it out (what library export does first); steps of 0 ms copy one object each.
  catalog.elements.apply([{ address: 10, barcode: null, sourceAddress: null }]);
  const shelf = new Shelf({ catalog, store: opened, pools: {}, stepMs: 0 });
  await shelf.shelve('SHF003L6', 'lib0');
  const first = await shelf.archiveStep('SHF003L6');
  t.like(first, { phase: 'archiving', state: 'exported', archived: 1, objects: 3, complete: false });
  // The operator's command goes on with it (a new process: offline over the same catalog).
  catalog.close();
  const { out } = await b.run('library', 'export', 'SHF003L6');
  t.log(out.trim());
  t.regex(out, /SHF003L6 is on the shelf, archived: 3 objects/);
  t.deepEqual(classes(b, 'SHF003L6'), ['GLACIER', 'GLACIER', 'GLACIER']);
  // Three copies in all: nothing was copied twice.
  t.is(b.fake.copies.length, 3);
});

test('offline, data still in staging is not archived: the operator is told to start serve, then the export finishes', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF009L6');
  const staged = join(b.dir, 'data', 'staging', 'SHF009L6');
  mkdirSync(staged, { recursive: true });
  writeFileSync(join(staged, 'journal'), 'x');
  const e = await t.throwsAsync(b.run('library', 'export', 'SHF009L6'));
  t.is(e?.message, `${staged} holds data of SHF009L6 that is not in the store yet: start s3vtl serve (it uploads it), then run s3vtl library export SHF009L6 again`);
  // It left the mail slot all the same; nothing moved to GLACIER.
  t.like((await b.json<TapeListResult>('tape', 'list')).tapes[0], { location: null, state: 'exported' });
  t.deepEqual(classes(b, 'SHF009L6'), ['STANDARD', 'STANDARD', 'STANDARD']);
  rmSync(staged, { recursive: true });
  const { out } = await b.run('library', 'export', 'SHF009L6');
  t.regex(out, /SHF009L6 is on the shelf, archived: 3 objects/);
});

test('retrieve asks for restores with the tier and days, polls, copies back and puts the cartridge in an import/export slot', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF004L6');
  await b.run('library', 'export', 'SHF004L6');
  b.fake.copies.length = 0;
  b.fake.restorePolls = 2;
  const { out, exitCode } = await b.run('tape', 'retrieve', 'SHF004L6', '--tier', 'Bulk', '--days', '2', '--wait', '--poll', '1');
  t.log(out.trim());
  t.is(exitCode, undefined);
  // One RestoreObject per segment, with the tier and days asked for.
  t.deepEqual(b.fake.restores.map((r) => [r.key, r.tier, r.days]), [0, 1, 2].map((i) => [seg('SHF004L6', i), 'Bulk', 2]));
  // Each segment was HEADed until its restore finished (2 polls after the request, then done).
  for (let i = 0; i < 3; i++) t.true(b.fake.heads.filter((k) => k === seg('SHF004L6', i)).length >= 3);
  // Every segment was copied back onto itself in STANDARD.
  t.deepEqual(b.fake.copies.map((c) => [c.key, c.source, c.storageClass]), [0, 1, 2].map((i) => [seg('SHF004L6', i), seg('SHF004L6', i), 'STANDARD']));
  t.deepEqual(classes(b, 'SHF004L6'), ['STANDARD', 'STANDARD', 'STANDARD']);
  // Progress lines: restores under way, then all restored and copied back.
  t.regex(out, /^retrieve SHF004L6: 0\/3 objects restored \(0 B of 5\.9 KiB\), 0\/3 copied back, 3 restoring$/m);
  t.regex(out, /^retrieve SHF004L6: 3\/3 objects restored \(5\.9 KiB of 5\.9 KiB\), 3\/3 copied back$/m);
  t.regex(out, /SHF004L6 is in import\/export slot 10 of lib0 \(3 objects, 5\.9 KiB readable again\)\n$/);
  // Back in the library with the state it had before the export.
  const tape = (await b.json<TapeListResult>('tape', 'list')).tapes[0]!;
  t.deepEqual(tape.location, { library: 'lib0', kind: 'import-export', address: 10, index: 0 });
  t.is(tape.state, 'scratch');
});

test('--no-wait asks for the restores and returns; repeating it finishes', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF005L6');
  await b.run('library', 'export', 'SHF005L6');
  b.fake.restorePolls = 0;
  const first = await b.json<TapeRetrieveResult>('tape', 'retrieve', 'SHF005L6');
  // Standard tier and 7 days by default; nothing readable yet.
  t.deepEqual(b.fake.restores.map((r) => [r.tier, r.days]), [['Standard', 7], ['Standard', 7], ['Standard', 7]]);
  t.like(first, { phase: 'retrieving', state: 'archived', restoring: 3, requested: 3, restored: 0, complete: false, location: null });
  const { out } = await b.run('tape', 'retrieve', 'SHF005L6');
  t.log(out.trim());
  // No second RestoreObject for a restore under way.
  t.is(b.fake.restores.length, 3);
  t.regex(out, /SHF005L6 is in import\/export slot 10 of lib0/);
});

test('no free import/export slot: readable again but left on the shelf, and the next retrieve places it', async (t) => {
  const b = await box({ mailslots: 1 });
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF006L6');
  await b.run('library', 'export', 'SHF006L6');
  await b.run('tape', 'create', 'OTHER1L6', '--shelf');
  await b.run('library', 'import', 'OTHER1L6', '--library', 'lib0');
  b.fake.restorePolls = 0;
  const { out, exitCode } = await b.run('tape', 'retrieve', 'SHF006L6', '--wait', '--poll', '1');
  t.is(exitCode, 3);
  t.regex(out, /SHF006L6 is readable again but stays on the shelf: every import\/export slot of lib0 \(10\) is full\. Empty one \(s3vtl library export --library lib0 --slot ADDR\), then run s3vtl tape retrieve SHF006L6 again\n$/);
  t.is((await b.json<TapeListResult>('tape', 'list')).tapes.find((x) => x.barcode === 'SHF006L6')?.state, 'exported');
  await b.run('library', 'export', 'OTHER1L6');
  const copies = b.fake.copies.length;
  const again = await b.json<TapeRetrieveResult>('tape', 'retrieve', 'SHF006L6');
  t.like(again, { complete: true, location: { library: 'lib0', address: 10 } });
  // Nothing was restored or copied a second time.
  t.is(b.fake.copies.length, copies);
});

test('Ceph RGW 16 answers RestoreObject 501 NotImplemented: treated as readable, the retrieve completes at once', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF007L6');
  await b.run('library', 'export', 'SHF007L6');
  b.fake.rgw = true;
  const r = await b.json<TapeRetrieveResult>('tape', 'retrieve', 'SHF007L6');
  t.like(r, { complete: true, restored: 3, copied: 3, restoring: 0, location: { address: 10 } });
  t.deepEqual(classes(b, 'SHF007L6'), ['STANDARD', 'STANDARD', 'STANDARD']);
});

test('recover brings an archived cartridge back archived, on the shelf', async (t) => {
  const b = await box();
  t.teardown(() => b.cleanup());
  await cartridgeInMailslot(b, 'SHF008L6');
  b.fake.objects.delete(manifest('SHF008L6')); // never written through a drive: only shelf records describe it
  await b.run('library', 'export', 'SHF008L6');
  const opened = S3ObjectStore.fromUrl(b.fake.url());
  const catalog = Catalog.open(':memory:');
  t.teardown(() => { catalog.close(); opened.close(); });
  const summary = await recoverCatalog(catalog, opened);
  t.deepEqual(summary.shelf, [{ barcode: 'SHF008L6', phase: 'archived', state: 'archived', medium: 'storage-class' }]);
  t.deepEqual(summary.failed, []);
  t.is(catalog.cartridges.get('SHF008L6')?.state, 'archived');
  t.like(catalog.shelf.get('SHF008L6'), { phase: 'archived', archiveClass: 'GLACIER', previousState: 'scratch', library: 'lib0' });
  t.is(catalog.elements.whereIs('SHF008L6'), undefined);
});

test('progress: a bar redrawn in place on a terminal, plain lines otherwise, no repeats', async (t) => {
  const statuses: ShelfStatus[] = [1, 2, 3].map((n) => ({
    barcode: 'BAR001L6', phase: n === 3 ? 'archived' : 'archiving', state: 'exported', medium: 'storage-class', archiveClass: 'GLACIER',
    objects: 3, bytes: 3072, archived: n, archivedBytes: n * 1024, restored: 0, restoredBytes: 0, copied: 0, copiedBytes: 0,
    restoring: 0, requested: 0, complete: n === 3,
  }));
  const collect = (tty: boolean): { out: PassThrough & { isTTY?: boolean }; text: () => string } => {
    const out: PassThrough & { isTTY?: boolean } = new PassThrough();
    if (tty) out.isTTY = true;
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    return { out, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const tty = collect(true);
  let i = 0;
  await repeatSteps(async () => statuses[i++]!, { transfer: 'archive', wait: true, intervalMs: 1, out: tty.out });
  // On a terminal: carriage return, clear line, the bar; a newline only at the end.
  t.is(tty.text(), [
    '\r\x1b[2K[########................] archive BAR001L6: 1/3 objects in GLACIER (1.0 KiB of 3.0 KiB)',
    '\r\x1b[2K[################........] archive BAR001L6: 2/3 objects in GLACIER (2.0 KiB of 3.0 KiB)',
    '\r\x1b[2K[########################] archive BAR001L6: 3/3 objects in GLACIER (3.0 KiB of 3.0 KiB)\n',
  ].join(''));
  const plain = collect(false);
  const waits: number[] = [];
  const restoring: ShelfStatus = { ...statuses[0]!, phase: 'retrieving', archived: 0, restoring: 3, requested: 3 };
  const seq = [restoring, restoring, { ...restoring, restoring: 0, restored: 3, copied: 3, restoredBytes: 3072, copiedBytes: 3072, complete: true }];
  i = 0;
  await repeatSteps(async () => seq[i++]!, { transfer: 'retrieve', wait: true, intervalMs: 5, out: plain.out, pause: async (ms) => { waits.push(ms); } });
  // Elsewhere: one line per change (the repeated poll prints nothing), pauses between polls.
  t.is(plain.text(), 'retrieve BAR001L6: 0/3 objects restored (0 B of 3.0 KiB), 0/3 copied back, 3 restoring\n'
    + 'retrieve BAR001L6: 3/3 objects restored (3.0 KiB of 3.0 KiB), 3/3 copied back\n');
  t.deepEqual(waits, [5, 5]);
});
