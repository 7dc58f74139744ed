// The registry of every object the gateway wrote to the store (`store_objects`):
// registered when a write completes, marked deleted when the gateway deletes
// it, and reconciled with a listing of the store (reconcile.ts). The retention
// engine reads the keys from here instead of listing the bucket.
import type Database from 'better-sqlite3';
import { classifyKey, ObjectKind, type OwnerKind } from './object-kinds.ts';

export interface StoreObjectRow {
  readonly key: string;
  readonly ownerKind: OwnerKind;
  readonly owner: string;
  readonly kind: ObjectKind;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly deletedAt: string | null;
}

/** Documents kept in the catalog: what a retention pass reads of a CDP volume besides its keys. */
const DOCUMENT_KINDS: ReadonlySet<string> = new Set([ObjectKind.CDP_BASE_INDEX, ObjectKind.CDP_BOOKMARK, ObjectKind.CDP_META]);
/** A base index of a very large volume is read from the store instead. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

const COLUMNS = `object_key AS key, owner_kind AS ownerKind, owner, kind, size_bytes AS sizeBytes,
  created_at AS createdAt, deleted_at AS deletedAt`;

export class StoreObjects {
  readonly #db: Database.Database;
  readonly #upsert: Database.Statement<[Record<string, unknown>]>;
  readonly #deleted: Database.Statement<[string, string]>;
  readonly #live: Database.Statement<[string, string], StoreObjectRow>;
  readonly #get: Database.Statement<[string], StoreObjectRow>;
  readonly #ownedBy: Database.Statement<[string, string], StoreObjectRow>;
  readonly #owners: Database.Statement<[string], { owner: string }>;
  readonly #keepDoc: Database.Statement<[string, Buffer]>;
  readonly #doc: Database.Statement<[string], { body: Buffer }>;
  readonly #dropDoc: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#db = db;
    // A key written again (a lost create-only race retried, a part upload completed twice) is the same object.
    this.#upsert = db.prepare(`INSERT INTO store_objects (object_key, owner_kind, owner, kind, size_bytes, created_at)
      VALUES (@key, @ownerKind, @owner, @kind, @size, @at)
      ON CONFLICT (object_key) DO UPDATE SET size_bytes = excluded.size_bytes, deleted_at = NULL
        WHERE store_objects.deleted_at IS NOT NULL OR store_objects.size_bytes <> excluded.size_bytes`);
    this.#deleted = db.prepare('UPDATE store_objects SET deleted_at = ? WHERE object_key = ? AND deleted_at IS NULL');
    this.#live = db.prepare(`SELECT ${COLUMNS} FROM store_objects WHERE deleted_at IS NULL AND object_key >= ? AND object_key < ? ORDER BY object_key`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM store_objects WHERE object_key = ?`);
    this.#owners = db.prepare('SELECT DISTINCT owner FROM store_objects WHERE owner_kind = ? AND deleted_at IS NULL ORDER BY owner');
    this.#keepDoc = db.prepare('INSERT OR REPLACE INTO store_documents (object_key, body) VALUES (?, ?)');
    this.#doc = db.prepare('SELECT body FROM store_documents WHERE object_key = ?');
    this.#dropDoc = db.prepare('DELETE FROM store_documents WHERE object_key = ?');
    this.#ownedBy = db.prepare(`SELECT ${COLUMNS} FROM store_objects WHERE owner_kind = ? AND owner = ? AND deleted_at IS NULL ORDER BY object_key`);
  }

  /** A write completed: `key` holds `size` bytes since `at`. Owner and kind come from the key. */
  register(key: string, size: number, at: string = new Date().toISOString()): void {
    const o = classifyKey(key);
    this.#upsert.run({ key, ownerKind: o.ownerKind, owner: o.owner, kind: o.kind, size, at });
  }

  /** The gateway deleted `keys`; returns how many were live in the registry. */
  markDeleted(keys: readonly string[], at: string = new Date().toISOString()): number {
    return this.#db.transaction(() => keys.reduce((n, k) => {
      this.#dropDoc.run(k);
      return n + this.#deleted.run(at, k).changes;
    }, 0))();
  }

  /** Keep the body of a small immutable document (see DOCUMENT_KINDS) so readers need no GET. */
  keepDocument(key: string, body: Buffer): void {
    if (body.length <= MAX_DOCUMENT_BYTES && DOCUMENT_KINDS.has(classifyKey(key).kind)) this.#keepDoc.run(key, body);
  }

  /** A kept document's body, or undefined. */
  document(key: string): Buffer | undefined {
    return this.#doc.get(key)?.body;
  }

  get(key: string): StoreObjectRow | undefined {
    return this.#get.get(key);
  }

  /** Live (not deleted) objects whose key starts with `prefix`, in key order. */
  live(prefix = ''): StoreObjectRow[] {
    // '~' sorts after every character a key may hold.
    return this.#live.all(prefix, `${prefix}~`);
  }

  /** Owners of that kind with live objects (barcodes, volume names). */
  owners(ownerKind: OwnerKind): string[] {
    return this.#owners.all(ownerKind).map((r) => r.owner);
  }

  /** Live objects of one owner (a barcode, a volume), in key order. */
  ownedBy(ownerKind: OwnerKind, owner: string): StoreObjectRow[] {
    return this.#ownedBy.all(ownerKind, owner);
  }
}
