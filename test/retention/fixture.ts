// A small library on a directory store for the retention executor's tests:
// a catalog with four cartridges in storage slots, a cartridge pool to write
// them, a shelf, and ApplyDeps over all of it.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import { LibrarySnapshotWriter } from '../../src/catalog/library-snapshot.ts';
import type { LibraryConfig } from '../../src/config.ts';
import type { ApplyDeps, RetentionLibraries } from '../../src/retention/apply.ts';
import type { CartridgeAction, RetentionPlan } from '../../src/retention/types.ts';
import { Shelf } from '../../src/shelf/shelf.ts';
import { CatalogLibraryState, type Geometry } from '../../src/wiring/library-state.ts';
import { provision } from '../../src/wiring/provision.ts';
import { changerProfiles } from '../../scsi/profiles/index.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';

export const bases = changerProfiles.get('stk-l700')!.addressBases;
export const geometry: Geometry = { bases, slots: 6, mailslots: 2, drives: 2 };
export const libraryConfig = {
  name: 'lib0', changer: 'stk-l700', drive: 'ibm-ult3580-td6', drives: 2, slots: 6, mailslots: 2,
  cartridges: [{ prefix: 'RET', first: 1, count: 4, media: 'L6', capacity: 2 ** 30, pool: 'daily' }],
} as unknown as LibraryConfig;
const silent = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;

export interface Fixture {
  readonly dir: string;
  readonly store: ObjectStore;
  readonly catalog: Catalog;
  readonly pool: CartridgePool;
  readonly state: CatalogLibraryState;
  readonly shelf: Shelf;
  readonly stagingDir: string;
}

/** A fixture on `dir` (created when absent); the catalog file lives there too, so a child process can open it. */
export async function fixture(dir?: string, catalogFile?: string): Promise<Fixture> {
  const root = dir ?? (await mkdtemp(path.join(tmpdir(), 'retention-')));
  await mkdir(root, { recursive: true });
  const store = new DirObjectStore({ root: path.join(root, 'store') });
  const catalog = Catalog.open(catalogFile ?? ':memory:');
  const state = new CatalogLibraryState(catalog, geometry, {
    writer: new LibrarySnapshotWriter({ store, library: 'lib0', keep: 8 }),
    library: 'lib0', personality: { changer: 'stk-l700', drive: 'ibm-ult3580-td6' }, onError: () => undefined,
  });
  if (catalog.cartridges.list().length === 0) provision(catalog, libraryConfig, geometry, silent);
  const stagingDir = path.join(root, 'staging');
  const pool = new CartridgePool({ store, prefix: '', stagingDir, directory: catalog, sink: catalog, segments: { segmentBytes: 64 << 10 } });
  const shelf = new Shelf({ catalog, store, pools: { daily: {} } as never });
  return { dir: root, store, catalog, pool, state, shelf, stagingDir };
}

/** Write `blocks` 8 KiB blocks and a filemark to a cartridge, then unload it (everything in the store). */
export async function writeTape(f: Fixture, barcode: string, blocks: number): Promise<void> {
  const c = await f.pool.open(barcode);
  for (let i = 0; i < blocks; i++) await c.write(Buffer.alloc(8192, i + 1), 8192);
  await c.writeFilemarks(1);
  await c.close();
}

/** Libraries over the catalog's elements (the changer is the wiring's business; here the catalog is the library). */
export function catalogLibraries(f: Fixture): RetentionLibraries {
  return {
    libraryOf: (b) => (f.catalog.elements.whereIs(b) === undefined ? null : 'lib0'),
    remove: async (b) => {
      const e = f.catalog.elements.whereIs(b);
      if (e !== undefined) f.catalog.elements.clear(e.address);
    },
    publish: async () => {
      await f.state.publish();
    },
  };
}

export function deps(f: Fixture, over: Partial<ApplyDeps> = {}): ApplyDeps {
  return {
    catalog: f.catalog, store: f.store, keys: new TapeKeys(''), stagingDir: f.stagingDir, libraries: catalogLibraries(f),
    shelf: f.shelf, clock: () => new Date(), holds: (b) => (f.pool.isOpen(b) ? 'held: open' : undefined), ...over,
  };
}

export function plan(actions: CartridgeAction[], now = new Date()): RetentionPlan {
  return { now, cartridges: actions, volumes: [], warnings: [], freed: { pools: {}, volumes: {} } };
}

export const act = (kind: 'recycle' | 'archive' | 'delete', barcode: string): CartridgeAction => ({ kind, barcode, pool: 'daily', bytes: 0, reason: `expired: test ${kind}` });

/** Every key in the store under `prefix`. */
export async function keysOf(store: ObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listAll(store, prefix)) out.push(o.key);
  return out;
}

/** `store` with some of its methods replaced (a store that fails, or one that pretends to lock). */
export function wrapStore(store: ObjectStore, over: Partial<ObjectStore>): ObjectStore {
  return {
    kind: store.kind,
    put: (k, b, o) => store.put(k, b, o),
    get: (k, r, o) => store.get(k, r, o),
    head: (k) => store.head(k),
    list: (p, o) => store.list(p, o),
    delete: (k) => store.delete(k),
    ...over,
  };
}

/** The plan the crash test applies: one of each action, and a second recycle. */
export function crashPlan(): RetentionPlan {
  return plan([act('recycle', 'RET001L6'), act('delete', 'RET002L6'), act('archive', 'RET003L6'), act('recycle', 'RET004L6')]);
}
