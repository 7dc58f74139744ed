// Cartridge rows: typed queries over the `cartridges` table.

import type Database from 'better-sqlite3';
import { effectiveCapacity, parseBarcode } from '../../tapes/barcode.ts';
import { CatalogError, CatalogErrorCode } from './errors.ts';

export const CartridgeState = {
  SCRATCH: 'scratch',
  IN_USE: 'in-use',
  FULL: 'full',
  ARCHIVED: 'archived',
  EXPORTED: 'exported',
  RETIRED: 'retired',
} as const;
export type CartridgeState = (typeof CartridgeState)[keyof typeof CartridgeState];

export interface CartridgeRow {
  readonly barcode: string;
  readonly mediaType: string;
  readonly pool: string | null;
  readonly capacityBytes: number;
  readonly bytesWritten: number;
  readonly eodObjectId: number;
  readonly filemarkCount: number;
  readonly worm: boolean;
  readonly writeProtected: boolean;
  readonly state: CartridgeState;
  readonly manifestVersion: number;
  readonly createdAt: string;
  readonly lastWrittenAt: string | null;
  readonly retainUntil: string | null;
}

export interface NewCartridge {
  readonly barcode: string;
  readonly pool?: string | null;
  /** Virtual capacity (smaller than native); default native for the media type. */
  readonly capacityBytes?: number;
  /** Default: from the barcode suffix (LT..LZ are WORM). */
  readonly worm?: boolean;
  readonly state?: CartridgeState;
}

interface Raw {
  barcode: string; media_type: string; pool: string | null; capacity_bytes: number; bytes_written: number;
  eod_object_id: number; filemark_count: number; worm: number; write_protected: number; state: CartridgeState;
  manifest_version: number; created_at: string; last_written_at: string | null; retain_until: string | null;
}

const toRow = (r: Raw): CartridgeRow => ({
  barcode: r.barcode, mediaType: r.media_type, pool: r.pool, capacityBytes: r.capacity_bytes,
  bytesWritten: r.bytes_written, eodObjectId: r.eod_object_id, filemarkCount: r.filemark_count,
  worm: r.worm === 1, writeProtected: r.write_protected === 1, state: r.state, manifestVersion: r.manifest_version,
  createdAt: r.created_at, lastWrittenAt: r.last_written_at, retainUntil: r.retain_until,
});

export class CartridgeQueries {
  readonly #insert: Database.Statement<[Record<string, unknown>]>;
  readonly #get: Database.Statement<[string], Raw>;
  readonly #all: Database.Statement<[], Raw>;
  readonly #byPool: Database.Statement<[string], Raw>;
  readonly #setState: Database.Statement<[CartridgeState, string]>;
  readonly #setProtect: Database.Statement<[number, string]>;
  readonly #written: Database.Statement<[Record<string, unknown>]>;
  readonly #remove: Database.Statement<[string]>;
  readonly #facts: Database.Statement<[Record<string, unknown>]>;
  readonly #blank: Database.Statement<[Record<string, unknown>]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(`INSERT INTO cartridges
      (barcode, media_type, pool, capacity_bytes, worm, state, created_at)
      VALUES (@barcode, @mediaType, @pool, @capacityBytes, @worm, @state, @createdAt)`);
    this.#get = db.prepare('SELECT * FROM cartridges WHERE barcode = ?');
    this.#all = db.prepare('SELECT * FROM cartridges ORDER BY barcode');
    this.#byPool = db.prepare('SELECT * FROM cartridges WHERE pool IS ? ORDER BY barcode');
    this.#setState = db.prepare('UPDATE cartridges SET state = ? WHERE barcode = ?');
    this.#setProtect = db.prepare('UPDATE cartridges SET write_protected = ? WHERE barcode = ?');
    this.#written = db.prepare(`UPDATE cartridges SET
        bytes_written = @bytes, eod_object_id = @eod, filemark_count = @filemarks,
        manifest_version = @version, last_written_at = @at,
        state = CASE WHEN state = 'scratch' AND @eod > 0 THEN 'in-use' ELSE state END
      WHERE barcode = @barcode AND manifest_version < @version`);
    this.#remove = db.prepare('DELETE FROM cartridges WHERE barcode = ?');
    this.#facts = db.prepare(`UPDATE cartridges SET pool = @pool, state = @state, write_protected = @writeProtected,
      retain_until = @retainUntil, created_at = @createdAt WHERE barcode = @barcode`);
    this.#blank = db.prepare(`UPDATE cartridges SET bytes_written = 0, eod_object_id = 0, filemark_count = 0,
      state = 'scratch', manifest_version = @version, last_written_at = NULL WHERE barcode = @barcode`);
  }

  /** Add a cartridge; media type and WORM come from the barcode (throws BarcodeError VTL_BARCODE_INVALID). */
  add(c: NewCartridge): CartridgeRow {
    const parsed = parseBarcode(c.barcode);
    if (this.get(c.barcode) !== undefined) throw new CatalogError(CatalogErrorCode.EXISTS, `cartridge ${c.barcode} exists`);
    this.#insert.run({
      barcode: c.barcode, mediaType: parsed.media.mediaType, pool: c.pool ?? null,
      capacityBytes: effectiveCapacity(parsed, c.capacityBytes), worm: (c.worm ?? parsed.media.worm) ? 1 : 0,
      state: c.state ?? CartridgeState.SCRATCH, createdAt: new Date().toISOString(),
    });
    return this.get(c.barcode)!;
  }

  /** Insert a row as found in a manifest (catalog rebuild); no barcode policy applied. */
  restore(r: { barcode: string; mediaType: string; pool: string | null; capacityBytes: number; worm: boolean; createdAt: string }): void {
    this.#insert.run({ ...r, worm: r.worm ? 1 : 0, state: CartridgeState.SCRATCH });
  }

  get(barcode: string): CartridgeRow | undefined {
    const r = this.#get.get(barcode);
    return r === undefined ? undefined : toRow(r);
  }

  require(barcode: string): CartridgeRow {
    const r = this.get(barcode);
    if (r === undefined) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `no cartridge ${barcode}`);
    return r;
  }

  list(pool?: string | null): CartridgeRow[] {
    return (pool === undefined ? this.#all.all() : this.#byPool.all(pool as string)).map(toRow);
  }

  setState(barcode: string, state: CartridgeState): void {
    if (this.#setState.run(state, barcode).changes === 0) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `no cartridge ${barcode}`);
  }

  setWriteProtected(barcode: string, on: boolean): void {
    if (this.#setProtect.run(on ? 1 : 0, barcode).changes === 0) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `no cartridge ${barcode}`);
  }

  /** Record what a newer manifest says was written (older versions are ignored). */
  recordWritten(barcode: string, version: number, bytes: number, eod: number, filemarks: number, at: string): void {
    this.#written.run({ barcode, version, bytes, eod, filemarks, at });
  }

  /** Disaster recovery: set what a library state object says about a cartridge (facts manifests do not carry). */
  restoreFacts(f: { barcode: string; pool: string | null; state: CartridgeState; writeProtected: boolean; retainUntil: string | null; createdAt: string }): void {
    this.#facts.run({ ...f, writeProtected: f.writeProtected ? 1 : 0 });
  }

  /** Recycled: an empty scratch tape whose newest manifest is the blank `version`. */
  resetBlank(barcode: string, version: number): void {
    if (this.#blank.run({ barcode, version }).changes === 0) throw new CatalogError(CatalogErrorCode.NOT_FOUND, `no cartridge ${barcode}`);
  }

  remove(barcode: string): void {
    this.#remove.run(barcode);
  }
}
