// Shelf rows: cartridges that left the library through an import/export slot,
// and where their objects are kept meanwhile (src/shelf/ moves them).

import type Database from 'better-sqlite3';
import type { CartridgeState } from './cartridges.ts';
import { CatalogError, CatalogErrorCode } from './errors.ts';

export const ShelfPhase = {
  ARCHIVING: 'archiving',
  ARCHIVED: 'archived',
  RETRIEVING: 'retrieving',
  SHELVED: 'shelved',
} as const;
export type ShelfPhase = (typeof ShelfPhase)[keyof typeof ShelfPhase];

export type ShelfMedium = 'storage-class' | 'vault' | 'none';

/** One object of a cartridge kept in a Glacier vault. */
export interface VaultArchive {
  readonly key: string;
  readonly archiveId: string;
  readonly size: number;
  readonly treeHash: string;
}

export interface ShelfDetail {
  /** Archive ids of the objects in the vault; `jobs`: object key -> retrieval job under way. */
  readonly vault?: { readonly name: string; readonly archives: readonly VaultArchive[]; readonly jobs?: Readonly<Record<string, string>> };
  readonly tier?: string;
}

export interface ShelfRow {
  readonly barcode: string;
  readonly phase: ShelfPhase;
  readonly medium: ShelfMedium;
  readonly archiveClass: string | null;
  readonly previousState: CartridgeState;
  readonly library: string | null;
  readonly since: string;
  readonly detail: ShelfDetail;
}

interface Raw {
  barcode: string; phase: ShelfPhase; medium: ShelfMedium; archive_class: string | null;
  previous_state: CartridgeState; library: string | null; since: string; detail: string | null;
}

const toRow = (r: Raw): ShelfRow => ({
  barcode: r.barcode, phase: r.phase, medium: r.medium, archiveClass: r.archive_class, previousState: r.previous_state,
  library: r.library, since: r.since, detail: r.detail === null ? {} : (JSON.parse(r.detail) as ShelfDetail),
});

export class ShelfQueries {
  readonly #put: Database.Statement<[Record<string, unknown>]>;
  readonly #get: Database.Statement<[string], Raw>;
  readonly #all: Database.Statement<[], Raw>;
  readonly #phase: Database.Statement<[ShelfPhase, string]>;
  readonly #detail: Database.Statement<[string, string]>;
  readonly #remove: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#put = db.prepare(`INSERT INTO shelf (barcode, phase, medium, archive_class, previous_state, library, since, detail)
      VALUES (@barcode, @phase, @medium, @archiveClass, @previousState, @library, @since, @detail)
      ON CONFLICT (barcode) DO UPDATE SET phase = excluded.phase, medium = excluded.medium,
        archive_class = excluded.archive_class, previous_state = excluded.previous_state,
        library = excluded.library, since = excluded.since, detail = excluded.detail`);
    this.#get = db.prepare('SELECT * FROM shelf WHERE barcode = ?');
    this.#all = db.prepare('SELECT * FROM shelf ORDER BY barcode');
    this.#phase = db.prepare('UPDATE shelf SET phase = ? WHERE barcode = ?');
    this.#detail = db.prepare('UPDATE shelf SET detail = ? WHERE barcode = ?');
    this.#remove = db.prepare('DELETE FROM shelf WHERE barcode = ?');
  }

  /** Insert or replace a cartridge's shelf row. */
  put(r: ShelfRow): void {
    this.#put.run({ ...r, detail: JSON.stringify(r.detail) });
  }

  get(barcode: string): ShelfRow | undefined {
    const r = this.#get.get(barcode);
    return r === undefined ? undefined : toRow(r);
  }

  list(): ShelfRow[] {
    return this.#all.all().map(toRow);
  }

  setPhase(barcode: string, phase: ShelfPhase): void {
    if (this.#phase.run(phase, barcode).changes === 0) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `${barcode} is not on the shelf`);
  }

  setDetail(barcode: string, detail: ShelfDetail): void {
    if (this.#detail.run(JSON.stringify(detail), barcode).changes === 0) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `${barcode} is not on the shelf`);
  }

  /** The cartridge is back in a library. */
  remove(barcode: string): void {
    this.#remove.run(barcode);
  }
}
