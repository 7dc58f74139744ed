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

import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
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

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const tapesRoot = (prefix: string): string => (prefix === '' ? 'tapes/' : `${prefix.replace(/\/+$/, '')}/tapes/`);

export const factsPrefix = (barcode: string, prefix = ''): string => `${tapesRoot(prefix)}${barcode}/facts/`;
const factsKey = (barcode: string, version: number, prefix: string): string => `${factsPrefix(barcode, prefix)}${hex16(version)}.json`;
const versionOf = (key: string): number | undefined => {
  const m = /\/facts\/([0-9a-f]{16})\.json$/.exec(key);
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
};

async function versions(store: ObjectStore, barcode: string, prefix: string): Promise<number[]> {
  const out: number[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(factsPrefix(barcode, prefix), after === undefined ? {} : { startAfter: after });
    for (const o of page.objects) {
      const v = versionOf(o.key);
      if (v !== undefined) out.push(v);
    }
    if (page.next === undefined) return out.sort((a, b) => a - b);
    after = page.next;
  }
}

/** The facts of a catalog row as a library state object lists them. */
export function factsOf(c: CartridgeRow): SnapshotCartridge {
  return {
    barcode: c.barcode, mediaType: c.mediaType, pool: c.pool, capacityBytes: c.capacityBytes, worm: c.worm,
    writeProtected: c.writeProtected, state: c.state, createdAt: c.createdAt, retainUntil: c.retainUntil,
  };
}

/** Write the cartridge's facts as its next version (create-only; a lost race takes the next number). */
export async function writeCartridgeFacts(store: ObjectStore, c: CartridgeRow, prefix = ''): Promise<CartridgeFacts> {
  for (let attempt = 0; ; attempt++) {
    const existing = await versions(store, c.barcode, prefix);
    const version = (existing[existing.length - 1] ?? 0) + 1;
    const facts: CartridgeFacts = {
      format: CARTRIDGE_FACTS_FORMAT, formatVersion: 1, version, changedAt: new Date().toISOString(), ...factsOf(c),
    };
    try {
      await store.put(factsKey(c.barcode, version, prefix), Buffer.from(JSON.stringify(facts), 'utf8'), { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (e) {
      if (e instanceof StoreError && e.code === StoreErrorCode.EXISTS && attempt < 3) continue;
      throw e;
    }
    const old = existing.filter((v) => v <= version - KEEP).map((v) => factsKey(c.barcode, v, prefix));
    if (old.length > 0) await store.delete(old).catch(() => undefined);
    return facts;
  }
}

/** The newest facts object of a cartridge that parses, or undefined. */
export async function readCartridgeFacts(store: ObjectStore, barcode: string, prefix = ''): Promise<CartridgeFacts | undefined> {
  const all = await versions(store, barcode, prefix);
  for (let i = all.length - 1; i >= 0; i--) {
    try {
      const f = JSON.parse((await store.get(factsKey(barcode, all[i]!, prefix))).toString('utf8')) as CartridgeFacts;
      if (f.format === CARTRIDGE_FACTS_FORMAT && f.barcode === barcode && typeof f.writeProtected === 'boolean') return f;
    } catch {
      // an unreadable newest version falls back to the one before
    }
  }
  return undefined;
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
