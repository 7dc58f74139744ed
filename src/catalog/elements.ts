// Library geometry and what each element holds (SMC-3 element model):
// medium transport, storage slots, import/export slots, data transfer (drives).
// `source_address` is the storage element a cartridge last came from, which
// READ ELEMENT STATUS reports (SVALID) and an unload returns it to.

import type Database from 'better-sqlite3';
import { CatalogError, CatalogErrorCode } from './errors.ts';

export const ElementType = {
  TRANSPORT: 'transport',
  STORAGE: 'storage',
  IMPORT_EXPORT: 'import-export',
  DATA_TRANSFER: 'data-transfer',
} as const;
export type ElementType = (typeof ElementType)[keyof typeof ElementType];

export interface ElementRow {
  readonly address: number;
  readonly type: ElementType;
  readonly barcode: string | null;
  readonly sourceAddress: number | null;
}

interface Raw { address: number; type: ElementType; barcode: string | null; source_address: number | null }
const toRow = (r: Raw): ElementRow => ({ address: r.address, type: r.type, barcode: r.barcode, sourceAddress: r.source_address });

export class ElementQueries {
  readonly #db: Database.Database;
  readonly #upsert: Database.Statement<[number, ElementType]>;
  readonly #all: Database.Statement<[], Raw>;
  readonly #byType: Database.Statement<[ElementType], Raw>;
  readonly #get: Database.Statement<[number], Raw>;
  readonly #whereIs: Database.Statement<[string], Raw>;
  readonly #set: Database.Statement<[string | null, number | null, number]>;
  readonly #delete: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#upsert = db.prepare('INSERT INTO elements (address, type) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET type = excluded.type');
    this.#all = db.prepare('SELECT * FROM elements ORDER BY address');
    this.#byType = db.prepare('SELECT * FROM elements WHERE type = ? ORDER BY address');
    this.#get = db.prepare('SELECT * FROM elements WHERE address = ?');
    this.#whereIs = db.prepare('SELECT * FROM elements WHERE barcode = ?');
    this.#set = db.prepare('UPDATE elements SET barcode = ?, source_address = ? WHERE address = ?');
    this.#delete = db.prepare('DELETE FROM elements WHERE address = ? AND barcode IS NULL');
  }

  /**
   * Make the geometry exactly `elements`: add new ones, retype existing ones,
   * remove empty ones that are no longer listed (a full one stays and is reported).
   */
  define(elements: readonly { address: number; type: ElementType }[]): { kept: number[] } {
    const wanted = new Set(elements.map((e) => e.address));
    const kept: number[] = [];
    this.#db.transaction(() => {
      for (const e of elements) this.#upsert.run(e.address, e.type);
      for (const row of this.list()) {
        if (wanted.has(row.address)) continue;
        if (this.#delete.run(row.address).changes === 0) kept.push(row.address);
      }
    })();
    return { kept };
  }

  list(type?: ElementType): ElementRow[] {
    return (type === undefined ? this.#all.all() : this.#byType.all(type)).map(toRow);
  }

  get(address: number): ElementRow | undefined {
    const r = this.#get.get(address);
    return r === undefined ? undefined : toRow(r);
  }

  whereIs(barcode: string): ElementRow | undefined {
    const r = this.#whereIs.get(barcode);
    return r === undefined ? undefined : toRow(r);
  }

  /** Put a cartridge (not in any element) into an empty element. */
  place(barcode: string, address: number): void {
    const to = this.#require(address);
    if (to.barcode !== null) throw new CatalogError(CatalogErrorCode.ELEMENT_FULL, `element ${address} holds ${to.barcode}`);
    const at = this.whereIs(barcode);
    if (at !== undefined) throw new CatalogError(CatalogErrorCode.INVALID, `${barcode} is already in element ${at.address}`);
    this.#set.run(barcode, null, address);
  }

  /** MOVE MEDIUM: from a full element to an empty one; remembers the storage slot it came from. */
  move(from: number, to: number): void {
    this.#db.transaction(() => {
      const src = this.#require(from);
      const dst = this.#require(to);
      if (src.barcode === null) throw new CatalogError(CatalogErrorCode.ELEMENT_EMPTY, `element ${from} is empty`);
      if (dst.barcode !== null) throw new CatalogError(CatalogErrorCode.ELEMENT_FULL, `element ${to} holds ${dst.barcode}`);
      const source = src.type === ElementType.STORAGE ? src.address : src.sourceAddress;
      this.#set.run(null, null, from);
      this.#set.run(src.barcode, source, to);
    })();
  }

  /** Take a cartridge out of the library (export, delete). */
  clear(address: number): string | null {
    const e = this.#require(address);
    this.#set.run(null, null, address);
    return e.barcode;
  }

  /**
   * Apply a changer's element changes in one transaction: every changed element
   * is emptied first, then filled, so a cartridge may move between two of them.
   */
  apply(changes: readonly { address: number; barcode: string | null; sourceAddress: number | null }[]): void {
    this.#db.transaction(() => {
      for (const c of changes) this.#set.run(null, null, this.#require(c.address).address);
      for (const c of changes) if (c.barcode !== null) this.#set.run(c.barcode, c.sourceAddress, c.address);
    })();
  }

  #require(address: number): ElementRow {
    const e = this.get(address);
    if (e === undefined) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `no element ${address}`);
    return e;
  }
}
