// Library state in the object store, so that the bucket alone is enough to
// rebuild a gateway: after every changer move, import or export the gateway
// writes one small immutable object
//
//   <prefix>/libraries/<NAME>/state/<%016x version>.json
//
// (create-only, fixed-width hex so listing order is version order) holding
// what the library was at that instant: geometry and personality, every
// element's cartridge and source element, and the catalog facts about those
// cartridges that manifests do not carry (pool as it is now, state, write
// protection). Only the newest few versions are kept. `s3vtl recover` reads
// the newest one that parses.

import type { ObjectStore } from '../../tapes/object-store.ts';
import { createNextVersion, listVersions, pruneVersions, readNewestVersion, versionKey } from '../../tapes/versioned-json.ts';
import { CatalogError, CatalogErrorCode } from './errors.ts';

export const LIBRARY_STATE_FORMAT = 's3vtl.library-state';
export const LIBRARY_STATE_FORMAT_VERSION = 1;

export type SnapshotElementKind = 'storage' | 'import-export' | 'data-transfer';

export interface SnapshotElement {
  readonly kind: SnapshotElementKind;
  /** 0-based ordinal within the kind (personality independent). */
  readonly index: number;
  /** SCSI element address under the personality of this snapshot. */
  readonly address: number;
  readonly barcode: string;
  readonly source: { readonly kind: SnapshotElementKind; readonly index: number; readonly address: number } | null;
  readonly imported: boolean;
}

export interface SnapshotCartridge {
  readonly barcode: string;
  readonly mediaType: string;
  readonly pool: string | null;
  readonly capacityBytes: number;
  readonly worm: boolean;
  readonly writeProtected: boolean;
  readonly state: string;
  readonly createdAt: string;
  readonly retainUntil: string | null;
}

export interface LibrarySnapshot {
  readonly format: typeof LIBRARY_STATE_FORMAT;
  readonly formatVersion: typeof LIBRARY_STATE_FORMAT_VERSION;
  readonly library: string;
  readonly version: number;
  readonly createdAt: string;
  readonly personality: { readonly changer: string; readonly drive: string };
  readonly geometry: {
    readonly bases: { readonly transport: number; readonly storage: number; readonly importExport: number; readonly dataTransfer: number };
    readonly slots: number;
    readonly mailslots: number;
    readonly drives: number;
  };
  /** Full elements only, ascending by address. */
  readonly elements: readonly SnapshotElement[];
  /** The cartridges in `elements`, ascending by barcode. */
  readonly cartridges: readonly SnapshotCartridge[];
}

/** A snapshot without the fields the writer assigns. */
export type SnapshotContent = Omit<LibrarySnapshot, 'format' | 'formatVersion' | 'version' | 'createdAt'>;

export class LibraryKeys {
  readonly #root: string;

  constructor(prefix = '') {
    this.#root = prefix === '' ? 'libraries/' : `${prefix.replace(/\/+$/, '')}/libraries/`;
  }

  get librariesPrefix(): string {
    return this.#root;
  }

  statePrefix(library: string): string {
    return `${this.#root}${library}/state/`;
  }

  state(library: string, version: number): string {
    return versionKey(this.statePrefix(library), version);
  }

  /** A startAfter value after every key of the library. */
  afterLibrary(library: string): string {
    return `${this.#root}${library}/~`;
  }

  libraryOf(key: string): string | undefined {
    if (!key.startsWith(this.#root)) return undefined;
    const rest = key.slice(this.#root.length);
    const slash = rest.indexOf('/');
    return slash > 0 ? rest.slice(0, slash) : undefined;
  }
}

export function decodeSnapshot(bytes: Buffer, where: string): LibrarySnapshot {
  const fail = (why: string): never => {
    throw new CatalogError(CatalogErrorCode.INVALID, `${where}: library state: ${why}`);
  };
  let s: LibrarySnapshot;
  try {
    s = JSON.parse(bytes.toString('utf8')) as LibrarySnapshot;
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (s.format !== LIBRARY_STATE_FORMAT) fail(`format is not ${LIBRARY_STATE_FORMAT}`);
  if (s.formatVersion !== LIBRARY_STATE_FORMAT_VERSION) fail(`unsupported format version ${String(s.formatVersion)}`);
  if (typeof s.library !== 'string' || !Number.isSafeInteger(s.version) || s.version < 1) fail('bad library or version');
  if (!Array.isArray(s.elements) || !Array.isArray(s.cartridges)) fail('elements and cartridges must be arrays');
  const seen = new Set<string>();
  for (const e of s.elements) {
    if (typeof e.barcode !== 'string' || seen.has(e.barcode)) fail(`element ${e.address}: bad or repeated barcode`);
    seen.add(e.barcode);
  }
  return s;
}

/** Version numbers of a library's state objects in the store, ascending. */
export function listSnapshotVersions(store: ObjectStore, keys: LibraryKeys, library: string): Promise<number[]> {
  return listVersions(store, keys.statePrefix(library));
}

/** The newest state object of a library that parses (an unreadable newest one falls back to the one before). */
export async function readLatestSnapshot(
  store: ObjectStore,
  keys: LibraryKeys,
  library: string,
): Promise<{ snapshot: LibrarySnapshot; skipped: string[] } | undefined> {
  const skipped: string[] = [];
  const found = await readNewestVersion(store, keys.statePrefix(library), (bytes, key, version) => {
    const s = decodeSnapshot(bytes, key);
    if (s.library !== library || s.version !== version) throw new Error(`names ${s.library} v${s.version}`);
    return s;
  }, (key, e) => skipped.push(`${key}: ${(e as Error).message}`));
  return found === undefined ? undefined : { snapshot: found.doc, skipped };
}

/** Names of the libraries that have state objects under the prefix. */
export async function listLibraries(store: ObjectStore, keys: LibraryKeys): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(keys.librariesPrefix, { limit: 1, ...(after === undefined ? {} : { startAfter: after }) });
    const first = page.objects[0];
    if (first === undefined) return out;
    const name = keys.libraryOf(first.key);
    if (name === undefined) {
      after = first.key;
      continue;
    }
    out.push(name);
    after = keys.afterLibrary(name);
  }
}

/** Same content (ignoring version and time)? */
export function sameContent(a: SnapshotContent, b: SnapshotContent): boolean {
  const pick = (s: SnapshotContent) => JSON.stringify([s.library, s.personality, s.geometry, s.elements, s.cartridges]);
  return pick(a) === pick(b);
}

export interface SnapshotWriterOptions {
  readonly store: ObjectStore;
  readonly library: string;
  readonly prefix?: string;
  /** State versions kept in the store; older ones are deleted (default 8, minimum 2). */
  readonly keep?: number;
}

/**
 * Writes a library's state objects in version order, one at a time. The first
 * write lists the store to find the newest version; a create-only conflict
 * (someone else wrote that version) re-lists and takes the next number.
 */
export class LibrarySnapshotWriter {
  readonly #o: SnapshotWriterOptions;
  readonly #keys: LibraryKeys;
  readonly #keep: number;
  #newest: LibrarySnapshot | undefined;
  #version: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(o: SnapshotWriterOptions) {
    this.#o = o;
    this.#keys = new LibraryKeys(o.prefix ?? '');
    this.#keep = Math.max(2, o.keep ?? 8);
  }

  /** The newest snapshot written or found (after the first write or `latest()`). */
  get newest(): LibrarySnapshot | undefined {
    return this.#newest;
  }

  /** The newest snapshot in the store (read once, then tracked). */
  latest(): Promise<LibrarySnapshot | undefined> {
    return this.#serial(async () => {
      await this.#init();
      return this.#newest;
    });
  }

  /** Write `content` as the next version unless it equals the newest one; resolves once it is durable in the store. */
  write(content: SnapshotContent, options: { force?: boolean } = {}): Promise<LibrarySnapshot | undefined> {
    return this.#serial(async () => {
      await this.#init();
      if (options.force !== true && this.#newest !== undefined && sameContent(this.#newest, content)) return undefined;
      const prefix = this.#keys.statePrefix(this.#o.library);
      const { doc, version } = await createNextVersion(this.#o.store, prefix, (v): LibrarySnapshot => ({
        format: LIBRARY_STATE_FORMAT, formatVersion: LIBRARY_STATE_FORMAT_VERSION,
        ...content, library: this.#o.library, version: v, createdAt: new Date().toISOString(),
      }), {
        newest: this.#version!,
        resync: async () => {
          this.#version = undefined;
          await this.#init();
          return this.#version!;
        },
      });
      this.#version = version;
      this.#newest = doc;
      await pruneVersions(this.#o.store, prefix, version, this.#keep);
      return doc;
    });
  }

  async #init(): Promise<void> {
    if (this.#version !== undefined) return;
    const versions = await listSnapshotVersions(this.#o.store, this.#keys, this.#o.library);
    this.#version = versions[versions.length - 1] ?? 0;
    const found = await readLatestSnapshot(this.#o.store, this.#keys, this.#o.library);
    this.#newest = found?.snapshot;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
