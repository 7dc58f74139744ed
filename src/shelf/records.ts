// Shelf records in the object store, so `s3vtl recover` brings a shelved or
// archived cartridge back as it was: off every library, with the state it has
// on the shelf and (for a vault) the archive ids of its objects.
//
//   <prefix>/tapes/<BARCODE>/shelf/<%016x version>.json     immutable, newest 4 kept
//
// Written create-only after every shelf transition (export, archive done,
// retrieve done, return to a library). A library state object that places the
// cartridge in an element wins over a shelf record (the cartridge went back
// in); the record's phase `returned` says the same thing on its own.
//
// What stays readable while a cartridge is archived: its manifests and these
// records stay in the class they were written in (tiny objects; recover and
// listing read them), only segments (seg/) move to the archive class.

import type { CartridgeRow, CartridgeState } from '../catalog/cartridges.ts';
import type { ShelfDetail, ShelfMedium, ShelfPhase } from '../catalog/shelf.ts';
import type { TapeKeys } from '../../tapes/keys.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { readNewestVersion, writeNextVersion } from '../../tapes/versioned-json.ts';

export const SHELF_RECORD_FORMAT = 's3vtl.shelf-record';
const KEEP = 4;

export type RecordPhase = ShelfPhase | 'returned';

export interface ShelfRecord {
  readonly format: typeof SHELF_RECORD_FORMAT;
  readonly formatVersion: 1;
  readonly barcode: string;
  readonly version: number;
  readonly createdAt: string;
  readonly phase: RecordPhase;
  readonly medium: ShelfMedium;
  readonly archiveClass: string | null;
  /** Catalog state while on the shelf (archived / exported), and the one to give back. */
  readonly state: CartridgeState;
  readonly previousState: CartridgeState;
  readonly library: string | null;
  /** What a never-written cartridge (no manifest) needs to exist again. */
  readonly cartridge: {
    readonly mediaType: string; readonly pool: string | null; readonly capacityBytes: number; readonly worm: boolean;
    readonly writeProtected: boolean; readonly createdAt: string; readonly retainUntil: string | null;
  };
  readonly detail: ShelfDetail;
}

export type ShelfRecordContent = Omit<ShelfRecord, 'format' | 'formatVersion' | 'barcode' | 'version' | 'createdAt' | 'cartridge'>;

export const shelfPrefix = (keys: TapeKeys, barcode: string): string => `${keys.cartridgePrefix(barcode)}shelf/`;

function decode(bytes: Buffer, key: string): ShelfRecord {
  const r = JSON.parse(bytes.toString('utf8')) as ShelfRecord;
  if (r.format !== SHELF_RECORD_FORMAT || r.formatVersion !== 1 || typeof r.barcode !== 'string' || typeof r.phase !== 'string') {
    throw new Error(`${key}: not a shelf record`);
  }
  return r;
}

/** The newest shelf record of a cartridge that parses, or undefined. */
export async function readShelfRecord(store: ObjectStore, keys: TapeKeys, barcode: string): Promise<ShelfRecord | undefined> {
  // an unreadable newest record falls back to the one before
  const found = await readNewestVersion(store, shelfPrefix(keys, barcode), (bytes, key) => {
    const r = decode(bytes, key);
    if (r.barcode !== barcode) throw new Error(`${key}: names ${r.barcode}`);
    return r;
  });
  return found?.doc;
}

/** Write the next shelf record of a cartridge (create-only) and prune old ones. */
export function writeShelfRecord(store: ObjectStore, keys: TapeKeys, c: CartridgeRow, content: ShelfRecordContent): Promise<ShelfRecord> {
  return writeNextVersion(store, shelfPrefix(keys, c.barcode), (version): ShelfRecord => ({
    format: SHELF_RECORD_FORMAT, formatVersion: 1, barcode: c.barcode, version, createdAt: new Date().toISOString(),
    ...content,
    cartridge: {
      mediaType: c.mediaType, pool: c.pool, capacityBytes: c.capacityBytes, worm: c.worm,
      writeProtected: c.writeProtected, createdAt: c.createdAt, retainUntil: c.retainUntil,
    },
  }), KEEP);
}
