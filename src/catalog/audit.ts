// The audit log: one row per thing the gateway did to what it keeps (a
// retention action, an object deleted, a cartridge recycled), with who did it
// and why. Rows are only appended; `s3vtl audit` reads them back.
import type Database from 'better-sqlite3';

export interface AuditEntry {
  /** ISO time; defaults to now. */
  readonly at?: string;
  /** Who: "retention", "operator", "pipeline", "recover"... */
  readonly actor: string;
  /** What: "delete-object", "recycle", "archive", "delete-cartridge", "build-base"... */
  readonly action: string;
  /** On what: a barcode, a volume, an object key. */
  readonly subject: string;
  /** Why, and anything else worth keeping (JSON-serializable). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRow {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly detail: Record<string, unknown> | null;
}

export class AuditLog {
  readonly #insert: Database.Statement<[Record<string, unknown>]>;
  readonly #since: Database.Statement<[string], { id: number; at: string; actor: string; action: string; subject: string; detail: string | null }>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (@at, @actor, @action, @subject, @detail)');
    this.#since = db.prepare('SELECT id, at, actor, action, subject, detail FROM audit_log WHERE at >= ? ORDER BY id');
  }

  record(e: AuditEntry): void {
    this.#insert.run({ at: e.at ?? new Date().toISOString(), actor: e.actor, action: e.action, subject: e.subject, detail: e.detail === undefined ? null : JSON.stringify(e.detail) });
  }

  /** Entries at or after `since` (ISO), oldest first. */
  since(since = ''): AuditRow[] {
    return this.#since.all(since).map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
  }
}
