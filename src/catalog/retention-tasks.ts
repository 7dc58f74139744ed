// Retention tasks: the cartridge actions the retention executor has begun and
// not yet finished (migration 6). A task row is inserted in the same
// transaction as the action's audit entries (the action and every object it
// will delete), before anything is deleted, and removed in the transaction
// that records the action done; so a crash anywhere leaves either nothing
// begun or a row the next pass finishes.

import type Database from 'better-sqlite3';

export type RetentionTaskAction = 'recycle' | 'archive' | 'delete';

export interface RetentionTaskDetail {
  readonly reason: string;
  readonly pool: string;
  readonly bytes: number;
  /** Objects the task deletes (recycle, delete), fixed when it begins. */
  readonly keys: readonly string[];
  /** Version of the blank manifest written before anything is deleted (recycle, delete). */
  readonly blankVersion?: number;
  /** The segment number the blank manifest continues from (above every old segment). */
  readonly nextSeq?: number;
  /** The library the cartridge left (archive, delete), for the shelf record and the state object. */
  readonly library?: string | null;
}

export interface RetentionTask {
  readonly barcode: string;
  readonly action: RetentionTaskAction;
  readonly startedAt: string;
  readonly detail: RetentionTaskDetail;
}

interface Raw { barcode: string; action: RetentionTaskAction; started_at: string; detail: string }

export class RetentionTaskQueries {
  readonly #insert: Database.Statement<[string, string, string, string]>;
  readonly #get: Database.Statement<[string], Raw>;
  readonly #all: Database.Statement<[], Raw>;
  readonly #remove: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare('INSERT INTO retention_tasks (barcode, action, started_at, detail) VALUES (?, ?, ?, ?)');
    this.#get = db.prepare('SELECT * FROM retention_tasks WHERE barcode = ?');
    this.#all = db.prepare('SELECT * FROM retention_tasks ORDER BY started_at, barcode');
    this.#remove = db.prepare('DELETE FROM retention_tasks WHERE barcode = ?');
  }

  begin(t: RetentionTask): void {
    this.#insert.run(t.barcode, t.action, t.startedAt, JSON.stringify(t.detail));
  }

  get(barcode: string): RetentionTask | undefined {
    const r = this.#get.get(barcode);
    return r === undefined ? undefined : toTask(r);
  }

  /** Every unfinished task, oldest first. */
  list(): RetentionTask[] {
    return this.#all.all().map(toTask);
  }

  finish(barcode: string): void {
    this.#remove.run(barcode);
  }
}

const toTask = (r: Raw): RetentionTask => ({ barcode: r.barcode, action: r.action, startedAt: r.started_at, detail: JSON.parse(r.detail) as RetentionTaskDetail });
