import test from 'ava';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { CatalogError } from '../../src/catalog/errors.ts';
import { MIGRATIONS, migrate } from '../../src/catalog/migrations.ts';

test('a new database is migrated to the newest version', (t) => {
  const db = new Database(':memory:');
  const applied = migrate(db);
  // Every migration ran, in order, and user_version is the last one.
  t.deepEqual(applied, MIGRATIONS.map((m) => m.version));
  t.is(db.pragma('user_version', { simple: true }), MIGRATIONS[MIGRATIONS.length - 1]!.version);
  db.close();
});

test('migrating twice applies nothing the second time', (t) => {
  const db = new Database(':memory:');
  migrate(db);
  // The second run finds nothing to do.
  t.deepEqual(migrate(db), []);
  // Each migration is recorded once.
  t.is((db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n, MIGRATIONS.length);
  db.close();
});

test('a database at version 1 is brought forward by the later migrations only', (t) => {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS.slice(0, 1));
  // Starting from version 1, only the later migrations run.
  t.deepEqual(migrate(db), MIGRATIONS.slice(1).map((m) => m.version));
  db.close();
});

test('a failing migration leaves the database at the previous version', (t) => {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS.slice(0, 1));
  // A broken migration 2 throws...
  t.throws(() => migrate(db, [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE x (a); SELECT nonsense FROM nowhere;' }]), { code: 'VTL_CATALOG_SCHEMA' });
  // ...and rolls back completely: still version 1, no table x.
  t.is(db.pragma('user_version', { simple: true }), 1);
  t.is(db.prepare("SELECT name FROM sqlite_master WHERE name = 'x'").get(), undefined);
  db.close();
});

test('a database newer than the program is refused', (t) => {
  const db = new Database(':memory:');
  db.pragma('user_version = 99');
  // Opening a future schema fails rather than guessing.
  t.throws(() => migrate(db), { instanceOf: CatalogError, message: /newer than this program/ });
  db.close();
});

test('a catalog file uses WAL journaling', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cat-'));
  const c = Catalog.open(path.join(dir, 'catalog.sqlite'));
  // The schema is current and the file is in WAL mode.
  t.is(c.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1]!.version);
  c.close();
  const db = new Database(path.join(dir, 'catalog.sqlite'));
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  await rm(dir, { recursive: true, force: true });
});

test('migration 5 keeps every store object row and accepts the kinds the gateway now writes', (t) => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.filter((m) => m.version < 5));
  db.prepare(`INSERT INTO store_objects (object_key, owner_kind, owner, kind, size_bytes, created_at, deleted_at)
    VALUES ('tapes/A00001L6/seg/0000000000000000-00000000.seg', 'tape', 'A00001L6', 'tape-segment', 42, '2026-01-01', '2026-02-01')`).run();
  // Before it, a catalog backup cannot be registered.
  t.throws(() => db.prepare(`INSERT INTO store_objects (object_key, owner_kind, owner, kind, size_bytes, created_at)
    VALUES ('catalog/0000000000000001.sqlite.gz', 'catalog', 'catalog', 'catalog-backup', 1, '2026-01-01')`).run(), { any: true });
  t.deepEqual(migrate(db), MIGRATIONS.filter((m) => m.version >= 5).map((m) => m.version));
  t.like(db.prepare('SELECT * FROM store_objects').get(), { object_key: 'tapes/A00001L6/seg/0000000000000000-00000000.seg', size_bytes: 42, deleted_at: '2026-02-01' });
  db.prepare(`INSERT INTO store_objects (object_key, owner_kind, owner, kind, size_bytes, created_at)
    VALUES ('catalog/0000000000000001.sqlite.gz', 'catalog', 'catalog', 'catalog-backup', 1, '2026-01-01')`).run();
  // An unknown kind is still refused.
  t.throws(() => db.prepare(`INSERT INTO store_objects (object_key, owner_kind, owner, kind, size_bytes, created_at)
    VALUES ('x', 'tape', 'x', 'nonsense', 1, '2026-01-01')`).run(), { any: true });
  db.close();
});
