// Numbered schema migrations, applied in order inside one transaction each;
// PRAGMA user_version holds the last applied number and `schema_migrations`
// records when each ran. Never edit a released migration: add the next one.
//
// One catalog for tapes and CDP: `store_objects` is the registry of every
// immutable object the gateway wrote, whoever owns it (a cartridge or a CDP
// volume); the retention engine plans over it. CDP tables (volumes, journal
// segments, snapshots) arrive as later migrations referencing it.

import type Database from 'better-sqlite3';
import { CatalogError, CatalogErrorCode } from './errors.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'library, cartridges, manifests, segments',
    sql: `
      CREATE TABLE cartridges (
        barcode          TEXT PRIMARY KEY,
        media_type       TEXT NOT NULL,
        pool             TEXT,
        capacity_bytes   INTEGER NOT NULL CHECK (capacity_bytes > 0),
        bytes_written    INTEGER NOT NULL DEFAULT 0,
        eod_object_id    INTEGER NOT NULL DEFAULT 0,
        filemark_count   INTEGER NOT NULL DEFAULT 0,
        worm             INTEGER NOT NULL DEFAULT 0 CHECK (worm IN (0, 1)),
        write_protected  INTEGER NOT NULL DEFAULT 0 CHECK (write_protected IN (0, 1)),
        state            TEXT NOT NULL DEFAULT 'scratch'
                         CHECK (state IN ('scratch', 'in-use', 'full', 'archived', 'exported', 'retired')),
        manifest_version INTEGER NOT NULL DEFAULT 0,
        created_at       TEXT NOT NULL,
        last_written_at  TEXT,
        retain_until     TEXT
      );
      CREATE INDEX cartridges_pool_state ON cartridges (pool, state);

      CREATE TABLE elements (
        address        INTEGER PRIMARY KEY CHECK (address BETWEEN 0 AND 65535),
        type           TEXT NOT NULL CHECK (type IN ('transport', 'storage', 'import-export', 'data-transfer')),
        barcode        TEXT UNIQUE REFERENCES cartridges (barcode) ON DELETE SET NULL,
        source_address INTEGER
      );

      CREATE TABLE manifests (
        barcode       TEXT NOT NULL REFERENCES cartridges (barcode) ON DELETE CASCADE,
        version       INTEGER NOT NULL,
        object_key    TEXT NOT NULL UNIQUE,
        committed_at  TEXT NOT NULL,
        eod_object_id INTEGER NOT NULL,
        used_bytes    INTEGER NOT NULL,
        segment_count INTEGER NOT NULL,
        PRIMARY KEY (barcode, version)
      );

      CREATE TABLE segments (
        barcode         TEXT NOT NULL REFERENCES cartridges (barcode) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        object_key      TEXT NOT NULL UNIQUE,
        first_object_id INTEGER NOT NULL,
        record_count    INTEGER NOT NULL,
        valid_count     INTEGER NOT NULL,
        data_bytes      INTEGER NOT NULL,
        size_bytes      INTEGER NOT NULL,
        first_manifest  INTEGER NOT NULL,
        -- NULL while the current manifest names the segment; else the last version that did.
        dropped_after   INTEGER,
        PRIMARY KEY (barcode, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'store object registry and audit log (retention, CDP)',
    sql: `
      CREATE TABLE store_objects (
        object_key   TEXT PRIMARY KEY,
        owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('tape', 'cdp')),
        owner        TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('tape-segment', 'tape-manifest', 'cdp-journal', 'cdp-base-chunk')),
        size_bytes   INTEGER NOT NULL,
        created_at   TEXT NOT NULL,
        retain_until TEXT,
        deleted_at   TEXT
      );
      CREATE INDEX store_objects_owner ON store_objects (owner_kind, owner, kind);

      CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY,
        at      TEXT NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail  TEXT
      );
    `,
  },
  {
    version: 3,
    name: 'archive shelf: cartridges outside every library and how their objects are kept',
    sql: `
      CREATE TABLE shelf (
        barcode        TEXT PRIMARY KEY REFERENCES cartridges (barcode) ON DELETE CASCADE,
        -- archiving: objects moving to the archive; archived: all there; retrieving: restores
        -- asked or objects coming back; shelved: readable, outside every library.
        phase          TEXT NOT NULL CHECK (phase IN ('archiving', 'archived', 'retrieving', 'shelved')),
        -- storage-class: objects in archive_class of the same bucket; vault: a Glacier vault; none: dir store.
        medium         TEXT NOT NULL CHECK (medium IN ('storage-class', 'vault', 'none')),
        archive_class  TEXT,
        -- The cartridge state before it left the library, given back when it returns.
        previous_state TEXT NOT NULL,
        library        TEXT,
        since          TEXT NOT NULL,
        -- JSON: vault name and archive ids, restore tier.
        detail         TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'restore points: what the backup applications wrote on the cartridges',
    sql: `
      CREATE TABLE restore_points (
        barcode     TEXT NOT NULL REFERENCES cartridges (barcode) ON DELETE CASCADE,
        -- The logical object id of the record the point was read from, its file
        -- number, and its order among the points of that record.
        object_id   INTEGER NOT NULL,
        file_number INTEGER NOT NULL,
        seq         INTEGER NOT NULL DEFAULT 0,
        app         TEXT NOT NULL CHECK (app IN ('amanda', 'bacula', 'unknown')),
        kind        TEXT NOT NULL CHECK (kind IN ('label', 'backup', 'end', 'data')),
        host        TEXT,
        disk        TEXT,
        job_name    TEXT,
        job_id      INTEGER,
        level       TEXT,
        -- The cartridge's label as the application wrote it (Amanda TAPESTART, Bacula volume label).
        label       TEXT,
        -- The application's own date (Amanda datestamp as written; Bacula ISO 8601).
        app_date    TEXT,
        written_at  TEXT NOT NULL,
        -- Bytes written in the point's tape file.
        bytes       INTEGER NOT NULL DEFAULT 0,
        detail      TEXT,
        PRIMARY KEY (barcode, object_id, seq)
      );
      CREATE INDEX restore_points_file ON restore_points (barcode, file_number);
      CREATE INDEX restore_points_app ON restore_points (app, kind);
    `,
  },
];

/** Bring `db` to the newest schema; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > newest) {
    throw new CatalogError(CatalogErrorCode.SCHEMA, `catalog schema version ${current} is newer than this program knows (${newest})`);
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        record.run(m.version, m.name, new Date().toISOString());
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (e) {
      throw new CatalogError(CatalogErrorCode.SCHEMA, `catalog migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, { cause: e });
    }
    applied.push(m.version);
  }
  return applied;
}
