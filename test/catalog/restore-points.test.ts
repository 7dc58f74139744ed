// The restore_points queries: a point takes the cartridge's label and its
// file's bytes, a rewrite drops from an object id on, an EOS completes its
// job, filters, and a deleted cartridge takes its points with it.
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { NewRestorePoint } from '../../src/catalog/restore-points.ts';

const at = '2026-12-06T12:00:00.000Z';
const base = { host: null, disk: null, job: null, jobId: null, level: null, label: null, date: null, detail: {}, seq: 0, writtenAt: at } as const;

function catalog(): Catalog {
  const c = Catalog.open(':memory:');
  for (const barcode of ['AAA001L6', 'BBB001L6']) c.cartridges.restore({ barcode, mediaType: 'LTO-6', pool: null, capacityBytes: 1e12, worm: false, createdAt: at });
  return c;
}

const point = (p: Partial<NewRestorePoint> & Pick<NewRestorePoint, 'barcode' | 'objectId' | 'fileNumber' | 'app' | 'kind'>): NewRestorePoint => ({ ...base, ...p });

test('label and bytes: a point inherits the newest label before it and its file\'s bytes so far', (t) => {
  const c = catalog();
  t.teardown(() => c.close());
  const rp = c.restorePoints;
  rp.record(point({ barcode: 'AAA001L6', objectId: 0, fileNumber: 0, app: 'bacula', kind: 'label', label: 'Vol-1' }));
  rp.record(point({ barcode: 'AAA001L6', objectId: 2, fileNumber: 1, app: 'bacula', kind: 'backup', jobId: 5, job: 'J' }));
  rp.addFileBytes('AAA001L6', 1, 1000);
  rp.record(point({ barcode: 'AAA001L6', objectId: 9, fileNumber: 1, seq: 0, app: 'bacula', kind: 'backup', jobId: 6, job: 'K' }));
  rp.addFileBytes('AAA001L6', 1, 500);
  t.deepEqual(rp.list({ barcode: 'AAA001L6' }).map((p) => [p.objectId, p.label, p.bytes]), [[0, 'Vol-1', 0], [2, 'Vol-1', 1500], [9, 'Vol-1', 1500]]);
  t.log('The job\'s end lands on its point.');
  t.true(rp.jobEnded('AAA001L6', { jobId: 5, jobFiles: 3, jobBytes: 900, jobStatus: 'T', time: at }));
  t.false(rp.jobEnded('AAA001L6', { jobId: 99, jobFiles: 0, jobBytes: 0, jobStatus: null, time: null }));
  t.deepEqual(rp.list().find((p) => p.jobId === 5)?.detail, { end: { files: 3, bytes: 900, status: 'T', time: at } });
});

test('dropFrom removes the points at and after an object id of that cartridge only; filters by app', (t) => {
  const c = catalog();
  t.teardown(() => c.close());
  const rp = c.restorePoints;
  for (const [barcode, objectId, app] of [['AAA001L6', 0, 'amanda'], ['AAA001L6', 2, 'amanda'], ['AAA001L6', 4, 'unknown'], ['BBB001L6', 4, 'unknown']] as const) {
    rp.record(point({ barcode, objectId, fileNumber: objectId / 2, app, kind: app === 'amanda' ? 'backup' : 'data' }));
  }
  t.is(rp.dropFrom('AAA001L6', 2), 2);
  t.deepEqual(rp.list().map((p) => [p.barcode, p.objectId]), [['AAA001L6', 0], ['BBB001L6', 4]]);
  t.deepEqual(rp.list({ app: 'unknown' }).map((p) => p.barcode), ['BBB001L6']);
  t.log('A cartridge deleted from the catalog takes its points with it.');
  c.cartridges.remove('BBB001L6');
  t.deepEqual(rp.list({ app: 'unknown' }), []);
});
