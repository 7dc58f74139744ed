// Cartridge facts in the object store: what an operator command changed about
// one cartridge outside its manifests (today the write-protect switch), so
// that `s3vtl recover` keeps it wherever the cartridge is (in a library, whose
// state object also carries it, or on the shelf, which no library state
// object covers). One small immutable object per change:
//
//   <prefix>/tapes/<BARCODE>/facts/<%016x version>.json     newest 4 kept
//
// It holds every catalog fact a manifest does not carry (medium, pool, state,
// WORM, write protection, dates), so a cartridge that was never written (no
// manifest) comes back from it alone. Recovery rule: the newest facts object
// decides the write protection (every protect/unprotect writes one, so it is
// always the latest switch position); its other facts only recreate a
// cartridge nothing else describes.

import type { ObjectStore } from '../../tapes/object-store.ts';
import { readNewestVersion, writeNextVersion } from '../../tapes/versioned-json.ts';
import type { Catalog } from './catalog.ts';
import { CartridgeState, type CartridgeRow } from './cartridges.ts';
import type { SnapshotCartridge } from './library-snapshot.ts';

export const CARTRIDGE_FACTS_FORMAT = 's3vtl.cartridge-facts';
const KEEP = 4;

export interface CartridgeFacts extends SnapshotCartridge {
  readonly format: typeof CARTRIDGE_FACTS_FORMAT;
  readonly formatVersion: 1;
  readonly version: number;
  /** When the operator changed it. */
  readonly changedAt: string;
}

const tapesRoot = (prefix: string): string => (prefix === '' ? 'tapes/' : `${prefix.replace(/\/+$/, '')}/tapes/`);

export const factsPrefix = (barcode: string, prefix = ''): string => `${tapesRoot(prefix)}${barcode}/facts/`;

/** The facts of a catalog row as a library state object lists them. */
export function factsOf(c: CartridgeRow): SnapshotCartridge {
  return {
    barcode: c.barcode, mediaType: c.mediaType, pool: c.pool, capacityBytes: c.capacityBytes, worm: c.worm,
    writeProtected: c.writeProtected, state: c.state, createdAt: c.createdAt, retainUntil: c.retainUntil,
  };
}

/** Write the cartridge's facts as its next version (create-only; a lost race takes the next number). */
export function writeCartridgeFacts(store: ObjectStore, c: CartridgeRow, prefix = ''): Promise<CartridgeFacts> {
  return writeNextVersion(store, factsPrefix(c.barcode, prefix), (version): CartridgeFacts => ({
    format: CARTRIDGE_FACTS_FORMAT, formatVersion: 1, version, changedAt: new Date().toISOString(), ...factsOf(c),
  }), KEEP);
}

/** The newest facts object of a cartridge that parses, or undefined. */
export async function readCartridgeFacts(store: ObjectStore, barcode: string, prefix = ''): Promise<CartridgeFacts | undefined> {
  // an unreadable newest version falls back to the one before
  const found = await readNewestVersion(store, factsPrefix(barcode, prefix), (bytes, key) => {
    const f = JSON.parse(bytes.toString('utf8')) as CartridgeFacts;
    if (f.format !== CARTRIDGE_FACTS_FORMAT || f.barcode !== barcode || typeof f.writeProtected !== 'boolean') throw new Error(`${key}: not facts of ${barcode}`);
    return f;
  });
  return found?.doc;
}

const STATES = new Set<string>(Object.values(CartridgeState));

/**
 * Disaster recovery: apply the newest facts object of each cartridge. Its
 * write protection wins over what library state objects say; a cartridge
 * the catalog does not know (never written, on the shelf) is recreated from
 * it. Returns the barcodes it applied to and those it recreated.
 */
export async function applyCartridgeFacts(
  catalog: Catalog, store: ObjectStore, barcodes: Iterable<string>, prefix = '',
): Promise<{ applied: string[]; recreated: string[] }> {
  const applied: string[] = [];
  const recreated: string[] = [];
  for (const barcode of new Set(barcodes)) {
    const f = await readCartridgeFacts(store, barcode, prefix);
    if (f === undefined) continue;
    catalog.transaction(() => {
      if (catalog.cartridges.get(barcode) === undefined) {
        catalog.cartridges.restore({ barcode, mediaType: f.mediaType, pool: f.pool, capacityBytes: f.capacityBytes, worm: f.worm, createdAt: f.createdAt });
        catalog.cartridges.restoreFacts({
          barcode, pool: f.pool, writeProtected: f.writeProtected, retainUntil: f.retainUntil, createdAt: f.createdAt,
          state: STATES.has(f.state) ? (f.state as CartridgeState) : CartridgeState.SCRATCH,
        });
        recreated.push(barcode);
      } else {
        catalog.cartridges.setWriteProtected(barcode, f.writeProtected);
      }
    });
    applied.push(barcode);
  }
  return { applied, recreated };
}
