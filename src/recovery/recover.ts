// Disaster recovery: rebuild a gateway's catalog from the bucket alone.
//   1. every cartridge from its newest manifest (tapes/<BARCODE>/manifest/):
//      medium, pool at creation, segments, filemarks, EOD;
//   2. every library from its newest state object (libraries/<NAME>/state/):
//      geometry, which cartridge is in which element and where it came from,
//      and the cartridge facts manifests do not carry (current pool, state,
//      write protection; cartridges never loaded, which have no manifest yet).
//   3. every cartridge outside every library from its newest shelf record
//      (tapes/<BARCODE>/shelf/): exported or archived, how its objects are
//      kept (storage class or vault archive ids) and the state to give back.
// Placement uses the configured geometry when the config names the library
// (so `serve` with that config sees exactly these elements), else the
// geometry the state object records. A cartridge a library state places is in
// that library whatever an older shelf record says.

import { applyCartridgeFacts } from '../catalog/cartridge-facts.ts';
import { CartridgeState } from '../catalog/cartridges.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { LibraryKeys, listLibraries, readLatestSnapshot, type LibrarySnapshot } from '../catalog/library-snapshot.ts';
import { type RebuildOptions, type RebuildReport, rebuildFromStore } from '../catalog/rebuild.ts';
import type { LibraryConfig } from '../config.ts';
import { changerProfiles } from '../../scsi/profiles/index.ts';
import { addressOf } from '../../scsi/smc/elements.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { elementsOf, type Geometry } from '../wiring/library-state.ts';
import { readShelfRecord } from '../shelf/records.ts';
import { TapeKeys } from '../../tapes/keys.ts';

export interface RecoveredLibrary {
  readonly name: string;
  /** State object version used (0: none in the store). */
  readonly stateVersion: number;
  readonly stateWrittenAt: string | null;
  readonly geometry: 'config' | 'state-object';
  /** Elements filled: address -> barcode. */
  readonly placed: { address: number; kind: string; index: number; barcode: string }[];
  /** Element contents that could not be placed, with the reason. */
  readonly unplaced: { barcode: string; reason: string }[];
  /** State objects skipped because they did not parse. */
  readonly skippedStates: string[];
}

export interface RecoverySummary {
  readonly cartridges: number;
  /** Cartridges found through a manifest (data on them is readable). */
  readonly fromManifests: number;
  /** Cartridges known only from a library state object (never written). */
  readonly fromStateOnly: string[];
  readonly bytes: number;
  readonly failed: { barcode: string; reason: string }[];
  readonly libraries: RecoveredLibrary[];
  /** Cartridges brought back onto the shelf from their shelf records. */
  readonly shelf: { barcode: string; phase: string; state: string; medium: string }[];
  /** Cartridges restored from an older manifest: newer ones failed their checks (forged, altered, out of bounds). */
  readonly fellBack: RebuildReport['fellBack'];
  /** Cartridges a catalog copy knew as written whose objects are gone from the store: now empty. */
  readonly emptied: string[];
}

const STATES = new Set<string>(Object.values(CartridgeState));

export async function recoverCatalog(catalog: Catalog, store: ObjectStore, libraries: readonly LibraryConfig[] = [], o: RebuildOptions = {}): Promise<RecoverySummary> {
  const rebuilt = await rebuildFromStore(catalog, store, '', o);
  const keys = new LibraryKeys('');
  const names = new Set<string>([...(await listLibraries(store, keys)), ...libraries.map((l) => l.name)]);
  const out: RecoveredLibrary[] = [];
  const fromStateOnly: string[] = [];
  for (const name of [...names].sort()) {
    const cfg = libraries.find((l) => l.name === name);
    const found = await readLatestSnapshot(store, keys, name);
    const geometry = geometryFor(cfg, found?.snapshot);
    const lib: RecoveredLibrary = {
      name, stateVersion: found?.snapshot.version ?? 0, stateWrittenAt: found?.snapshot.createdAt ?? null,
      geometry: cfg !== undefined ? 'config' : 'state-object', placed: [], unplaced: [], skippedStates: found?.skipped ?? [],
    };
    out.push(lib);
    if (geometry === undefined) continue;
    catalog.elements.define(elementsOf(geometry));
    if (found === undefined) continue;
    catalog.transaction(() => {
      // The newest state object places every cartridge: contents a restored catalog copy had go first.
      for (const e of catalog.elements.list()) if (e.barcode !== null) catalog.elements.clear(e.address);
      for (const c of found.snapshot.cartridges) {
        const row = catalog.cartridges.get(c.barcode);
        if (row === undefined) {
          catalog.cartridges.restore({ barcode: c.barcode, mediaType: c.mediaType, pool: c.pool, capacityBytes: c.capacityBytes, worm: c.worm, createdAt: c.createdAt });
          fromStateOnly.push(c.barcode);
        }
        const written = (catalog.cartridges.get(c.barcode)?.eodObjectId ?? 0) > 0;
        const state = STATES.has(c.state) ? (c.state as CartridgeState) : CartridgeState.SCRATCH;
        catalog.cartridges.restoreFacts({
          barcode: c.barcode, pool: c.pool, writeProtected: c.writeProtected, retainUntil: c.retainUntil, createdAt: c.createdAt,
          state: state === CartridgeState.SCRATCH && written ? CartridgeState.IN_USE : state,
        });
      }
      for (const e of found.snapshot.elements) {
        const count = e.kind === 'storage' ? geometry.slots : e.kind === 'import-export' ? geometry.mailslots : geometry.drives;
        if (!(e.index >= 0 && e.index < count)) {
          lib.unplaced.push({ barcode: e.barcode, reason: `${e.kind} element ${e.index + 1} is not in this geometry` });
          continue;
        }
        if (catalog.cartridges.get(e.barcode) === undefined) {
          lib.unplaced.push({ barcode: e.barcode, reason: 'no manifest and no cartridge record' });
          continue;
        }
        const address = addressOf(geometry.bases, { kind: e.kind, index: e.index });
        const at = catalog.elements.whereIs(e.barcode);
        if (at !== undefined) {
          lib.unplaced.push({ barcode: e.barcode, reason: `already in element ${at.address} (another library?)` });
          continue;
        }
        const source = e.source === null ? null : addressOf(geometry.bases, { kind: e.source.kind, index: e.source.index });
        catalog.elements.apply([{ address, barcode: e.barcode, sourceAddress: source }]);
        catalog.shelf.remove(e.barcode);
        lib.placed.push({ address, kind: e.kind, index: e.index, barcode: e.barcode });
      }
    });
  }
  const failed = [...rebuilt.failed];
  const emptied = emptyVanished(catalog, rebuilt);
  const shelf = await recoverShelf(catalog, store, failed);
  // The write-protect switch from each cartridge's newest facts object (src/catalog/cartridge-facts.ts): every
  // protect/unprotect writes one, so it wins over library state objects and shelf records.
  const facts = await applyCartridgeFacts(catalog, store, [...catalog.cartridges.list().map((c) => c.barcode), ...failed.map((f) => f.barcode)]);
  for (const b of facts.recreated) {
    const i = failed.findIndex((f) => f.barcode === b);
    if (i >= 0) failed.splice(i, 1);
    fromStateOnly.push(b);
  }
  const all = catalog.cartridges.list();
  return {
    cartridges: all.length,
    fromManifests: rebuilt.cartridges.length,
    fromStateOnly,
    bytes: all.reduce((s, r) => s + r.bytesWritten, 0),
    failed,
    libraries: out,
    shelf,
    fellBack: rebuilt.fellBack,
    emptied,
  };
}

/**
 * Cartridges a restored catalog copy knows as written whose objects the store
 * no longer holds at all (recycled or deleted after the copy was made): the
 * store is the truth, so they come back empty, as scratch.
 */
function emptyVanished(catalog: Catalog, rebuilt: RebuildReport): string[] {
  const seen = new Set([...rebuilt.cartridges, ...rebuilt.failed.map((f) => f.barcode)]);
  const out: string[] = [];
  catalog.transaction(() => {
    for (const c of catalog.cartridges.list()) {
      if (c.manifestVersion === 0 || seen.has(c.barcode)) continue;
      catalog.resetWritten(c.barcode);
      if (c.state === CartridgeState.IN_USE || c.state === CartridgeState.FULL) catalog.cartridges.setState(c.barcode, CartridgeState.SCRATCH);
      out.push(c.barcode);
    }
  });
  return out;
}

/**
 * Cartridges outside every element: their newest shelf record (if any) puts
 * them back on the shelf as exported or archived. A cartridge whose only
 * objects are shelf records (exported before it was ever written) comes back
 * from the record's facts; `failed` loses its "no manifest" entry.
 */
async function recoverShelf(catalog: Catalog, store: ObjectStore, failed: { barcode: string; reason: string }[]): Promise<RecoverySummary['shelf']> {
  const keys = new TapeKeys('');
  const out: RecoverySummary['shelf'] = [];
  const candidates = [...catalog.cartridges.list().map((c) => c.barcode), ...failed.map((f) => f.barcode)];
  for (const barcode of candidates) {
    if (catalog.elements.whereIs(barcode) !== undefined) continue;
    const r = await readShelfRecord(store, keys, barcode);
    if (r === undefined || r.phase === 'returned') continue;
    catalog.transaction(() => {
      if (catalog.cartridges.get(barcode) === undefined) {
        catalog.cartridges.restore({ barcode, mediaType: r.cartridge.mediaType, pool: r.cartridge.pool, capacityBytes: r.cartridge.capacityBytes, worm: r.cartridge.worm, createdAt: r.cartridge.createdAt });
      }
      const state = STATES.has(r.state) ? r.state : CartridgeState.ARCHIVED;
      catalog.cartridges.restoreFacts({ barcode, pool: r.cartridge.pool, state, writeProtected: r.cartridge.writeProtected, retainUntil: r.cartridge.retainUntil, createdAt: r.cartridge.createdAt });
      catalog.shelf.put({
        barcode, phase: r.phase as Exclude<typeof r.phase, 'returned'>, medium: r.medium, archiveClass: r.archiveClass,
        previousState: STATES.has(r.previousState) ? r.previousState : CartridgeState.IN_USE, library: r.library, since: r.createdAt, detail: r.detail,
      });
    });
    const i = failed.findIndex((f) => f.barcode === barcode && f.reason === 'objects but no manifest');
    if (i >= 0) failed.splice(i, 1);
    out.push({ barcode, phase: r.phase, state: r.state, medium: r.medium });
  }
  return out;
}

function geometryFor(cfg: LibraryConfig | undefined, s: LibrarySnapshot | undefined): Geometry | undefined {
  if (cfg !== undefined) {
    const bases = changerProfiles.get(cfg.changer)?.addressBases;
    if (bases !== undefined) return { bases, slots: cfg.slots, mailslots: cfg.mailslots, drives: cfg.drives };
  }
  return s === undefined ? undefined : { ...s.geometry };
}
