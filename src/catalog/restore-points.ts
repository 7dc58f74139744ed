// The restore points of the cartridges: one row per thing a backup
// application wrote at the start of a tape file (Amanda's header, Bacula's
// volume label and job sessions) or per tape file it did not recognize.
// Written by the drives' recorder (src/points), read by `catalog points` and
// the retention planner. A rewrite from an earlier position drops the points
// it overwrote.
import type Database from 'better-sqlite3';
import type { JobEnd, PointApp, PointFacts, PointKind } from '../points/recognize.ts';

export interface NewRestorePoint extends PointFacts {
  readonly barcode: string;
  readonly objectId: number;
  readonly fileNumber: number;
  readonly seq: number;
  readonly writtenAt: string;
}

export interface RestorePointRow {
  readonly barcode: string;
  readonly objectId: number;
  readonly fileNumber: number;
  readonly seq: number;
  readonly app: PointApp;
  readonly kind: PointKind;
  readonly host: string | null;
  readonly disk: string | null;
  readonly job: string | null;
  readonly jobId: number | null;
  readonly level: string | null;
  readonly label: string | null;
  readonly date: string | null;
  readonly writtenAt: string;
  readonly bytes: number;
  readonly detail: Record<string, unknown>;
}

export interface RestorePointFilter {
  readonly barcode?: string;
  readonly app?: PointApp;
}

type Raw = Omit<RestorePointRow, 'detail'> & { detail: string | null };

const COLUMNS = `barcode, object_id AS objectId, file_number AS fileNumber, seq, app, kind, host, disk, job_name AS job,
  job_id AS jobId, level, label, app_date AS date, written_at AS writtenAt, bytes, detail`;

const parseDetail = (s: string | null): Record<string, unknown> => {
  if (s === null) return {};
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export class RestorePointQueries {
  readonly #insert: Database.Statement<[Record<string, unknown>]>;
  readonly #drop: Database.Statement<[string, number]>;
  readonly #addBytes: Database.Statement<[number, string, number]>;
  readonly #job: Database.Statement<[string, number], { objectId: number; seq: number; detail: string | null }>;
  readonly #setDetail: Database.Statement<[string, string, number, number]>;
  readonly #list: Database.Statement<[Record<string, unknown>], Raw>;

  constructor(db: Database.Database) {
    // A point takes the label the cartridge's newest label point names, and the bytes its file has so far.
    this.#insert = db.prepare(`INSERT OR REPLACE INTO restore_points
      (barcode, object_id, file_number, seq, app, kind, host, disk, job_name, job_id, level, label, app_date, written_at, bytes, detail)
      VALUES (@barcode, @objectId, @fileNumber, @seq, @app, @kind, @host, @disk, @job, @jobId, @level,
        COALESCE(@label, (SELECT label FROM restore_points WHERE barcode = @barcode AND kind = 'label' AND object_id <= @objectId
          ORDER BY object_id DESC LIMIT 1)),
        @date, @writtenAt,
        COALESCE((SELECT MAX(bytes) FROM restore_points WHERE barcode = @barcode AND file_number = @fileNumber), 0),
        @detail)`);
    this.#drop = db.prepare('DELETE FROM restore_points WHERE barcode = ? AND object_id >= ?');
    this.#addBytes = db.prepare('UPDATE restore_points SET bytes = bytes + ? WHERE barcode = ? AND file_number = ?');
    this.#job = db.prepare(`SELECT object_id AS objectId, seq, detail FROM restore_points
      WHERE barcode = ? AND app = 'bacula' AND kind = 'backup' AND job_id = ? ORDER BY object_id DESC LIMIT 1`);
    this.#setDetail = db.prepare('UPDATE restore_points SET detail = ? WHERE barcode = ? AND object_id = ? AND seq = ?');
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM restore_points
      WHERE (@barcode IS NULL OR barcode = @barcode) AND (@app IS NULL OR app = @app)
      ORDER BY barcode, object_id, seq`);
  }

  record(p: NewRestorePoint): void {
    this.#insert.run({
      barcode: p.barcode, objectId: p.objectId, fileNumber: p.fileNumber, seq: p.seq, app: p.app, kind: p.kind,
      host: p.host, disk: p.disk, job: p.job, jobId: p.jobId, level: p.level, label: p.label, date: p.date,
      writtenAt: p.writtenAt, detail: JSON.stringify(p.detail),
    });
  }

  /** A rewrite at `objectId`: every point from there on is gone. Returns how many. */
  dropFrom(barcode: string, objectId: number): number {
    return this.#drop.run(barcode, objectId).changes;
  }

  /** `bytes` more were written in file `fileNumber` of `barcode`. */
  addFileBytes(barcode: string, fileNumber: number, bytes: number): void {
    if (bytes > 0) this.#addBytes.run(bytes, barcode, fileNumber);
  }

  /** A Bacula job ended (EOS label): its point keeps the totals Bacula wrote. */
  jobEnded(barcode: string, end: JobEnd): boolean {
    const row = this.#job.get(barcode, end.jobId);
    if (row === undefined) return false;
    const detail = { ...parseDetail(row.detail), end: { files: end.jobFiles, bytes: end.jobBytes, status: end.jobStatus, time: end.time } };
    this.#setDetail.run(JSON.stringify(detail), barcode, row.objectId, row.seq);
    return true;
  }

  list(f: RestorePointFilter = {}): RestorePointRow[] {
    return this.#list.all({ barcode: f.barcode ?? null, app: f.app ?? null }).map((r) => ({ ...r, detail: parseDetail(r.detail) }));
  }
}
