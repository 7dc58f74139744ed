// Restore points through a tape drive: WRITE and WRITE FILEMARKS CDBs go to a
// drive whose cartridge (a real one, over a memory store) is wrapped by the
// recorder, as serve wires it; the catalog then holds one point per tape file
// (Amanda, Bacula, unknown), their bytes, and loses the ones a rewrite replaced.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { PointRecorder } from '../../src/points/recording-medium.ts';
import { genericTape } from '../../scsi/profiles/generic-tape.ts';
import { TapeDrive } from '../../scsi/ssc/tape-drive.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { cdb, clearUnitAttentions, quietLog, run } from '../scsi/ssc/harness.ts';
import { amandaBlock, baculaBlock, sessionLabel, volumeLabel } from './formats.ts';

const BARCODE = 'PTS001L6';
const now = new Date('2026-12-06T12:00:00.000Z');

async function fixture(t: { teardown(f: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'points-'));
  const catalog = Catalog.open(':memory:');
  catalog.cartridges.restore({ barcode: BARCODE, mediaType: 'LTO-6', pool: null, capacityBytes: 2_500_000_000_000, worm: false, createdAt: now.toISOString() });
  const pool = new CartridgePool({ store: new MemoryObjectStore(), prefix: '', stagingDir: path.join(dir, 'staging'), directory: catalog, sink: catalog });
  const warnings: unknown[] = [];
  const recorder = new PointRecorder({ points: catalog.restorePoints, log: { warn: (m, f) => warnings.push([m, f]) }, now: () => now });
  const drive = new TapeDrive({ profile: genericTape, serial: '1000000001', media: { open: async (b) => recorder.wrap(await pool.open(b)) }, log: quietLog });
  await drive.insert(BARCODE);
  await clearUnitAttentions(drive);
  t.teardown(async () => {
    await pool.closeAll();
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (b: Buffer): Promise<void> => {
    const r = await run(drive, cdb.write6(b.length), { dataOut: b });
    if (r.status !== 0) throw new Error(`WRITE failed: ${JSON.stringify(r.sense)}`);
  };
  const filemark = async (): Promise<void> => {
    const r = await run(drive, cdb.writeFilemarks6(1));
    if (r.status !== 0) throw new Error(`WRITE FILEMARKS failed: ${JSON.stringify(r.sense)}`);
  };
  return { catalog, drive, recorder, warnings, write, filemark };
}

const start = new Date('2026-12-06T11:00:00.000Z');

test('Amanda, Bacula and unknown files each leave their points, with the bytes of their file', async (t) => {
  const f = await fixture(t);
  await f.write(amandaBlock('AMANDA: TAPESTART DATE 20261206110000 TAPE DailySet1-07'));
  await f.filemark();
  await f.write(amandaBlock('AMANDA: FILE 20261206110000 client.example /etc lev 0 comp N program GNUTAR'));
  await f.write(Buffer.alloc(32768, 1));
  await f.write(Buffer.alloc(32768, 2));
  await f.filemark();
  await f.write(baculaBlock([volumeLabel({ volume: 'Vol-0001', pool: 'Default', labelled: start })]));
  await f.write(baculaBlock([sessionLabel({ jobId: 12, jobName: 'BackupClient1', client: 'client1-fd', level: 'F', start })], { number: 2, session: 3 }));
  await f.write(baculaBlock([{ fileIndex: 1, stream: 1, data: Buffer.alloc(1000) }], { number: 3, session: 3 }));
  await f.write(baculaBlock([sessionLabel({ jobId: 12, jobName: 'BackupClient1', client: 'client1-fd', level: 'F', start, end: { files: 1, bytes: 1000n, status: 'T' } })], { number: 4, session: 3 }));
  await f.filemark();
  await f.write(Buffer.from('raw data nobody labelled'.repeat(100)));
  await f.filemark();
  await f.recorder.queue.drained();

  const points = f.catalog.restorePoints.list({ barcode: BARCODE });
  t.log('One point per Amanda file, one per Bacula label and job, one for the unknown file.');
  t.deepEqual(points.map((p) => [p.fileNumber, p.objectId, p.app, p.kind, p.host, p.disk, p.job, p.jobId, p.level, p.label, p.bytes]), [
    [0, 0, 'amanda', 'label', null, null, null, null, null, 'DailySet1-07', 32768],
    [1, 2, 'amanda', 'backup', 'client.example', '/etc', null, null, '0', 'DailySet1-07', 3 * 32768],
    [2, 6, 'bacula', 'label', 'sd.example', null, null, null, null, 'Vol-0001', 4 * 64512],
    [2, 7, 'bacula', 'backup', 'client1-fd', null, 'BackupClient1', 12, 'F', 'Vol-0001', 4 * 64512],
    [3, 11, 'unknown', 'data', null, null, null, null, null, 'Vol-0001', 2400],
  ]);
  t.log('The job point learned its end from the EOS label; every point has the time it was written.');
  t.like(points[3]!.detail, { end: { files: 1, bytes: 1000, status: 'T' }, pool: 'Default' });
  t.is(points[3]!.date, start.toISOString());
  t.true(points.every((p) => p.writtenAt === now.toISOString()));
  t.deepEqual(f.warnings, []);
});

test('rewriting from file 1 drops the points of file 1 and after, keeps file 0', async (t) => {
  const f = await fixture(t);
  await f.write(amandaBlock('AMANDA: TAPESTART DATE 20261206110000 TAPE DailySet1-07'));
  await f.filemark();
  await f.write(amandaBlock('AMANDA: FILE 20261206110000 host /a lev 0 comp N program GNUTAR'));
  await f.filemark();
  await f.write(amandaBlock('AMANDA: FILE 20261206110000 host /b lev 0 comp N program GNUTAR'));
  await f.filemark();
  await f.recorder.queue.drained();
  t.is(f.catalog.restorePoints.list().length, 3);
  // Back to the start of file 1 (object 2), then a new dump replaces the rest.
  t.is((await run(f.drive, cdb.locate10(2))).status, 0);
  await f.write(amandaBlock('AMANDA: FILE 20261207110000 host /c lev 1 comp N program GNUTAR'));
  await f.filemark();
  await f.recorder.queue.drained();
  t.deepEqual(f.catalog.restorePoints.list().map((p) => [p.fileNumber, p.disk, p.label]), [[0, null, 'DailySet1-07'], [1, '/c', 'DailySet1-07']]);
  t.log('Relabelling at BOT drops every point of the cartridge.');
  t.is((await run(f.drive, cdb.rewind())).status, 0);
  await f.write(amandaBlock('AMANDA: TAPESTART DATE 20261208110000 TAPE DailySet1-08'));
  await f.recorder.queue.drained();
  t.deepEqual(f.catalog.restorePoints.list().map((p) => [p.fileNumber, p.label]), [[0, 'DailySet1-08']]);
});

test('a write whose header cannot be parsed is still GOOD and makes an unknown point', async (t) => {
  const f = await fixture(t);
  const broken = amandaBlock('AMANDA: FILE 2026');
  await f.write(broken);
  await f.recorder.queue.drained();
  t.deepEqual(f.catalog.restorePoints.list().map((p) => [p.app, p.kind, p.bytes]), [['unknown', 'data', 0]]);
  await f.filemark();
  await f.recorder.queue.drained();
  t.is(f.catalog.restorePoints.list()[0]!.bytes, broken.length, 'the file\'s bytes arrive at the filemark');
});

test('a catalog that fails every call never fails a WRITE: the failure is logged', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'points-'));
  const catalog = Catalog.open(':memory:');
  catalog.cartridges.restore({ barcode: BARCODE, mediaType: 'LTO-6', pool: null, capacityBytes: 2_500_000_000_000, worm: false, createdAt: now.toISOString() });
  const pool = new CartridgePool({ store: new MemoryObjectStore(), prefix: '', stagingDir: path.join(dir, 'staging'), directory: catalog, sink: catalog });
  t.teardown(async () => {
    await pool.closeAll();
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });
  const fail = (): never => {
    throw new Error('database is locked');
  };
  const warnings: string[] = [];
  const recorder = new PointRecorder({ points: { record: fail, dropFrom: fail, addFileBytes: fail, jobEnded: fail }, log: { warn: (m) => warnings.push(m) } });
  const drive = new TapeDrive({ profile: genericTape, serial: '1000000001', media: { open: async (b) => recorder.wrap(await pool.open(b)) }, log: quietLog });
  await drive.insert(BARCODE);
  await clearUnitAttentions(drive);
  const header = amandaBlock('AMANDA: TAPESTART DATE 20261206110000 TAPE DailySet1-07');
  t.is((await run(drive, cdb.write6(header.length), { dataOut: header })).status, 0);
  t.is((await run(drive, cdb.writeFilemarks6(1))).status, 0);
  t.is((await run(drive, cdb.rewind())).status, 0);
  t.is((await run(drive, cdb.write6(header.length), { dataOut: header })).status, 0, 'a rewrite at BOT (a drop) is GOOD too');
  await recorder.queue.drained();
  t.true(warnings.length >= 3);
  t.true(warnings.every((w) => w === 'restore point not recorded'));
});
