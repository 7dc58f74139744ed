// The catalog is copied after changes only: an idle catalog is not copied
// again (the copy's own bookkeeping does not count as a change), a changed one
// is, and a stop makes the last copy.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { CatalogBackupSchedule } from '../../src/catalog/backup-schedule.ts';
import { listCatalogBackups } from '../../src/catalog/catalog-backup.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const quiet = { info: () => undefined, warn: () => undefined };

test('copies only after changes, and once more at stop', async (t) => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'backup-schedule-'));
  const store = new MemoryObjectStore();
  const catalog = Catalog.open(path.join(tmp, 'catalog.sqlite'));
  const s = new CatalogBackupSchedule({ catalog, store, tmpDir: tmp, everyMs: 3_600_000, keep: 2, log: quiet });
  // The first pass of a run always copies (the store may hold none yet).
  t.is((await s.backupIfDue())?.version, 1);
  // Its own registry row is not a change.
  t.false(s.due);
  t.is(await s.backupIfDue(), undefined);
  catalog.cartridges.add({ barcode: 'SCH001L6', capacityBytes: 2 ** 30 });
  t.true(s.due);
  t.is((await s.backupIfDue())?.version, 2);
  // Pruning copy 1 (marked deleted, audited) is not a change either.
  t.is((await s.backupIfDue()), undefined);
  t.is(await s.stop(), undefined);
  catalog.audit.record({ actor: 'operator', action: 'test', subject: 'x' });
  t.is((await s.stop())?.version, 3);
  t.deepEqual((await listCatalogBackups(store)).map((b) => b.version), [2, 3]);
  t.is(catalog.objects.get('catalog/0000000000000003.sqlite.gz')?.kind, 'catalog-backup');
  catalog.close();
  await rm(tmp, { recursive: true, force: true });
});
