// The SQLite catalog: one database for the library (elements, cartridges,
// manifests, segments) and, through `store_objects`, every object the gateway
// wrote, so one retention engine can plan over tapes and CDP alike. WAL mode;
// prepared statements live in #private fields of the query classes.
//
// It implements the two interfaces tapes/ declares: ManifestSink (a cartridge
// reports each committed manifest) and CartridgeDirectory (the pool asks what
// a barcode is before creating blank media).

import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../../tapes/private-fs.ts';
import { dirname } from 'node:path';
import { fullNote } from '../disk-full.ts';
import type { CartridgeDirectory, CartridgeSpec } from '../../tapes/cartridge-pool.ts';
import { encodeManifest, type Manifest, type ManifestSink } from '../../tapes/manifest.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { AuditLog } from './audit.ts';
import { CartridgeQueries } from './cartridges.ts';
import { ElementQueries } from './elements.ts';
import { CatalogError, CatalogErrorCode } from './errors.ts';
import { migrate } from './migrations.ts';
import { RestorePointQueries } from './restore-points.ts';
import { ShelfQueries } from './shelf.ts';
import { type RebuildReport, rebuildFromStore } from './rebuild.ts';

export interface SegmentRow {
  readonly barcode: string;
  readonly seq: number;
  readonly objectKey: string;
  readonly firstObjectId: number;
  readonly recordCount: number;
  readonly validCount: number;
  readonly dataBytes: number;
  readonly sizeBytes: number;
  readonly firstManifest: number;
  readonly droppedAfter: number | null;
}

export interface ManifestRow {
  readonly barcode: string;
  readonly version: number;
  readonly objectKey: string;
  readonly committedAt: string;
  readonly eodObjectId: number;
  readonly usedBytes: number;
  readonly segmentCount: number;
}

export class Catalog implements ManifestSink, CartridgeDirectory {
  readonly cartridges: CartridgeQueries;
  readonly elements: ElementQueries;
  /** Cartridges outside every library and where their objects are (src/shelf). */
  readonly shelf: ShelfQueries;
  /** Every action taken on what the gateway keeps (retention, deletions). */
  readonly audit: AuditLog;
  /** What the backup applications wrote on the cartridges (src/points). */
  readonly restorePoints: RestorePointQueries;
  readonly #db: Database.Database;
  readonly #insertManifest: Database.Statement<[Record<string, unknown>]>;
  readonly #upsertSegment: Database.Statement<[Record<string, unknown>]>;
  readonly #dropSegments: Database.Statement<[Record<string, unknown>]>;
  readonly #registerObject: Database.Statement<[Record<string, unknown>]>;
  readonly #segments: Database.Statement<[string], SegmentRow>;
  readonly #manifests: Database.Statement<[string], ManifestRow>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.cartridges = new CartridgeQueries(db);
    this.elements = new ElementQueries(db);
    this.shelf = new ShelfQueries(db);
    this.audit = new AuditLog(db);
    this.restorePoints = new RestorePointQueries(db);
    this.#insertManifest = db.prepare(`INSERT OR IGNORE INTO manifests
      (barcode, version, object_key, committed_at, eod_object_id, used_bytes, segment_count)
      VALUES (@barcode, @version, @key, @at, @eod, @used, @segments)`);
    this.#upsertSegment = db.prepare(`INSERT INTO segments
      (barcode, seq, object_key, first_object_id, record_count, valid_count, data_bytes, size_bytes, first_manifest)
      VALUES (@barcode, @seq, @key, @first, @records, @count, @dataBytes, @size, @version)
      ON CONFLICT (barcode, seq) DO UPDATE SET
        valid_count = excluded.valid_count, data_bytes = excluded.data_bytes, dropped_after = NULL`);
    this.#dropSegments = db.prepare(`UPDATE segments SET dropped_after = @previous
      WHERE barcode = @barcode AND dropped_after IS NULL
        AND seq NOT IN (SELECT value FROM json_each(@seqs))`);
    this.#registerObject = db.prepare(`INSERT OR IGNORE INTO store_objects
      (object_key, owner_kind, owner, kind, size_bytes, created_at) VALUES (@key, 'tape', @owner, @kind, @size, @at)`);
    this.#segments = db.prepare(`SELECT barcode, seq, object_key AS objectKey, first_object_id AS firstObjectId,
      record_count AS recordCount, valid_count AS validCount, data_bytes AS dataBytes, size_bytes AS sizeBytes,
      first_manifest AS firstManifest, dropped_after AS droppedAfter FROM segments WHERE barcode = ? ORDER BY seq`);
    this.#manifests = db.prepare(`SELECT barcode, version, object_key AS objectKey, committed_at AS committedAt,
      eod_object_id AS eodObjectId, used_bytes AS usedBytes, segment_count AS segmentCount
      FROM manifests WHERE barcode = ? ORDER BY version`);
  }

  /** Open (creating and migrating) a catalog file, or ':memory:'. */
  static open(file: string): Catalog {
    let db: Database.Database;
    try {
      // SQLite creates the file 0644 less the umask, and its -wal and -shm with the file's mode:
      // create it 0600 first (or tighten a file an older version made) so all three are private.
      if (file !== ':memory:') {
        closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
        chmodSync(file, PRIVATE_FILE_MODE);
      }
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (e) {
      if (e instanceof CatalogError) throw e;
      // "disk I/O error" is how SQLite says it could not create its shared-memory file on a full disk.
      const full = file === ':memory:' ? '' : fullNote(dirname(file));
      throw new CatalogError(CatalogErrorCode.SCHEMA, `catalog ${file} cannot be opened or migrated: ${(e as Error).message}${full}`, { cause: e });
    }
    return new Catalog(db);
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  /** Run `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  close(): void {
    this.#db.close();
  }

  /** CartridgeDirectory: what the pool needs to open (or create) a cartridge. */
  describe(barcode: string): CartridgeSpec | undefined {
    const r = this.cartridges.get(barcode);
    if (r === undefined) return undefined;
    return {
      barcode: r.barcode, mediaType: r.mediaType, capacityBytes: r.capacityBytes, worm: r.worm,
      pool: r.pool, writeProtected: r.writeProtected, manifestVersion: r.manifestVersion,
    };
  }

  /** ManifestSink: record a committed manifest (idempotent; older versions than known are ignored for totals). */
  manifestCommitted(m: Manifest, key: string): void {
    this.transaction(() => {
      if (this.cartridges.get(m.barcode) === undefined) {
        this.cartridges.restore({ barcode: m.barcode, mediaType: m.medium.mediaType, pool: m.medium.pool, capacityBytes: m.medium.capacityBytes, worm: m.medium.worm, createdAt: m.createdAt });
      }
      const known = this.cartridges.get(m.barcode)!.manifestVersion;
      this.#insertManifest.run({ barcode: m.barcode, version: m.version, key, at: m.createdAt, eod: m.eodObjectId, used: m.usedBytes, segments: m.segments.length });
      this.#registerObject.run({ key, owner: m.barcode, kind: 'tape-manifest', size: encodeManifest(m).length, at: m.createdAt });
      if (m.version <= known) return;
      for (const s of m.segments) {
        this.#upsertSegment.run({
          barcode: m.barcode, seq: s.seq, key: s.key, first: s.first, records: s.records, count: s.count,
          dataBytes: s.dataBytes, size: s.size, version: m.version,
        });
        this.#registerObject.run({ key: s.key, owner: m.barcode, kind: 'tape-segment', size: s.size, at: m.createdAt });
      }
      this.#dropSegments.run({ barcode: m.barcode, previous: m.version - 1, seqs: JSON.stringify(m.segments.map((s) => s.seq)) });
      this.cartridges.recordWritten(m.barcode, m.version, m.usedBytes, m.eodObjectId, m.filemarks.length, m.createdAt);
    });
  }

  segments(barcode: string): SegmentRow[] {
    return this.#segments.all(barcode);
  }

  manifests(barcode: string): ManifestRow[] {
    return this.#manifests.all(barcode);
  }

  /** Disaster recovery: reconstruct cartridges, manifests and segments from the manifests in the store. */
  rebuildFromStore(store: ObjectStore, prefix = ''): Promise<RebuildReport> {
    return rebuildFromStore(this, store, prefix);
  }
}
