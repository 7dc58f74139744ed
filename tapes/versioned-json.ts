// A small JSON document kept in an object store as a series of immutable
// versions, one object per version under the series' prefix:
//
//   <prefix><%016x version>.json
//
// (fixed-width lower-case hex, so listing order is version order). A new
// version is written create-only (If-None-Match: *): a writer that finds its
// number taken lists again and takes the next one, up to three times. Only the
// newest `keep` versions stay; deleting older ones is best effort. A reader
// takes the newest version that decodes and falls back to the ones before.
//
// Users: cartridge facts (src/catalog/cartridge-facts.ts), shelf records
// (src/shelf/records.ts), library state objects (src/catalog/library-snapshot.ts).

import { StoreError, StoreErrorCode } from './errors.ts';
import { listAll, type ObjectStore } from './object-store.ts';

/** Create-only conflicts retried before the write gives up (with the VTL_STORE_EXISTS error). */
const CONFLICT_RETRIES = 3;

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const VERSION_NAME = /^([0-9a-f]{16})\.json$/;

/** The key of one version of the series under `prefix` (which ends in '/'). */
export const versionKey = (prefix: string, version: number): string => `${prefix}${hex16(version)}.json`;

/** The version a key of the series names, or undefined when it is not one. */
export function versionOfKey(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = VERSION_NAME.exec(key.slice(prefix.length));
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
}

/** The versions in the store, ascending. */
export async function listVersions(store: ObjectStore, prefix: string): Promise<number[]> {
  const out: number[] = [];
  for await (const o of listAll(store, prefix)) {
    const v = versionOfKey(prefix, o.key);
    if (v !== undefined) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The newest version that `decode` accepts (it throws to reject one), or
 * undefined. A version that cannot be read or decoded is told to `onSkip`
 * and the one before it is tried.
 */
export async function readNewestVersion<T>(
  store: ObjectStore,
  prefix: string,
  decode: (bytes: Buffer, key: string, version: number) => T,
  onSkip?: (key: string, error: unknown) => void,
): Promise<{ doc: T; version: number; key: string } | undefined> {
  const all = await listVersions(store, prefix);
  for (let i = all.length - 1; i >= 0; i--) {
    const version = all[i]!;
    const key = versionKey(prefix, version);
    try {
      return { doc: decode(await store.get(key), key, version), version, key };
    } catch (e) {
      onSkip?.(key, e);
    }
  }
  return undefined;
}

export interface CreateVersionOptions {
  /** The newest version the caller already knows of: the first attempt does not list the store. */
  readonly newest?: number;
  /**
   * Called after a create-only conflict, before the next attempt; returns the
   * newest version to build on. Without it the next attempt lists the store.
   */
  readonly resync?: () => Promise<number>;
}

export interface CreatedVersion<T> {
  readonly doc: T;
  readonly version: number;
  readonly key: string;
  /** The versions the successful attempt listed (absent when it built on a known newest version). */
  readonly listed?: readonly number[];
}

/**
 * Write `make(version)` as the next version, create-only. Throws the store's
 * error, or its VTL_STORE_EXISTS after the last conflict. Does not prune.
 */
export async function createNextVersion<T>(
  store: ObjectStore,
  prefix: string,
  make: (version: number) => T,
  options: CreateVersionOptions = {},
): Promise<CreatedVersion<T>> {
  let newest = options.newest;
  for (let attempt = 0; ; attempt++) {
    const listed = newest === undefined ? await listVersions(store, prefix) : undefined;
    const version = (newest ?? listed?.[listed.length - 1] ?? 0) + 1;
    const doc = make(version);
    const key = versionKey(prefix, version);
    try {
      await store.put(key, Buffer.from(JSON.stringify(doc), 'utf8'), { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (e) {
      if (!(e instanceof StoreError && e.code === StoreErrorCode.EXISTS) || attempt >= CONFLICT_RETRIES) throw e;
      newest = options.resync === undefined ? undefined : await options.resync();
      continue;
    }
    return { doc, version, key, ...(listed !== undefined && { listed }) };
  }
}

/**
 * Delete the versions older than the newest `keep` (counted back from
 * `newest`), from `listed` or else a fresh listing. A failed delete is ignored
 * (the next write tries again); a failed listing throws.
 */
export async function pruneVersions(store: ObjectStore, prefix: string, newest: number, keep: number, listed?: readonly number[]): Promise<void> {
  const old = (listed ?? (await listVersions(store, prefix))).filter((v) => v <= newest - keep);
  if (old.length > 0) await store.delete(old.map((v) => versionKey(prefix, v))).catch(() => undefined);
}

/** createNextVersion, then pruneVersions down to `keep`; resolves to the document written. */
export async function writeNextVersion<T>(store: ObjectStore, prefix: string, make: (version: number) => T, keep: number): Promise<T> {
  const created = await createNextVersion(store, prefix, make);
  await pruneVersions(store, prefix, created.version, keep, created.listed);
  return created.doc;
}
