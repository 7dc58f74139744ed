// Copies of the SQLite catalog in the object store, so that `s3vtl recover`
// brings back what no manifest carries (the audit log, restore points, the
// registry of store objects, retention state):
//
//   <prefix>/catalog/<%016x version>.sqlite.gz     immutable, newest `keep` kept
//
// A copy is SQLite's online backup of the live database (consistent while
// writers go on), gzipped, written create-only; a writer that finds its
// number taken lists again and takes the next. Older copies beyond `keep` are
// deleted through the store it is given (a RecordingStore audits them). A
// reader takes the newest copy that decompresses, opens and passes
// `PRAGMA integrity_check`, and falls back to the ones before.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import type { Catalog } from './catalog.ts';
import { MIGRATIONS } from './migrations.ts';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

export const BACKUP_PREFIX = 'catalog/';
const NAME = /^catalog\/([0-9a-f]{16})\.sqlite\.gz$/;
const CONFLICT_RETRIES = 3;

export const backupKey = (version: number): string => `${BACKUP_PREFIX}${version.toString(16).padStart(16, '0')}.sqlite.gz`;

export function backupVersionOf(key: string): number | undefined {
  const m = NAME.exec(key);
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
}

export interface BackupObject {
  readonly version: number;
  readonly key: string;
  readonly size: number;
}

/** The catalog copies in the store, oldest first (one LIST; they are few). */
export async function listCatalogBackups(store: ObjectStore): Promise<BackupObject[]> {
  const out: BackupObject[] = [];
  for await (const o of listAll(store, BACKUP_PREFIX)) {
    const version = backupVersionOf(o.key);
    if (version !== undefined) out.push({ version, key: o.key, size: o.size });
  }
  return out.sort((a, b) => a.version - b.version);
}

export interface WrittenBackup {
  readonly version: number;
  readonly key: string;
  /** Compressed bytes in the store. */
  readonly bytes: number;
  /** Older copies deleted. */
  readonly pruned: readonly string[];
}

/**
 * Copy the catalog to the store as its next version and prune down to
 * `keep`. `tmpDir` holds the uncompressed copy meanwhile (the data dir: the
 * same filesystem as the catalog). `newest` is the newest version the caller
 * knows of (skips the LIST); the result's version is the next one to pass.
 */
export async function writeCatalogBackup(
  catalog: Catalog,
  o: { readonly store: ObjectStore; readonly tmpDir: string; readonly keep: number; readonly newest?: number },
): Promise<WrittenBackup> {
  const tmp = join(o.tmpDir, `.catalog-backup-${randomBytes(6).toString('hex')}.sqlite`);
  let body: Buffer;
  try {
    await catalog.backupTo(tmp);
    body = await gzip(await readFile(tmp));
  } finally {
    await rm(tmp, { force: true });
  }
  let listed = o.newest === undefined ? await listCatalogBackups(o.store) : undefined;
  let newest = o.newest ?? listed?.at(-1)?.version ?? 0;
  for (let attempt = 0; ; attempt++) {
    const key = backupKey(newest + 1);
    try {
      await o.store.put(key, body, { ifNoneMatch: '*', contentType: 'application/gzip' });
    } catch (e) {
      if (!(e instanceof StoreError && e.code === StoreErrorCode.EXISTS) || attempt >= CONFLICT_RETRIES) throw e;
      listed = await listCatalogBackups(o.store);
      newest = listed.at(-1)?.version ?? newest + 1;
      continue;
    }
    const version = newest + 1;
    const old = (listed ?? (await listCatalogBackups(o.store))).filter((b) => b.version <= version - o.keep).map((b) => b.key);
    // A failed prune is retried by the next backup, which lists again.
    const pruned = old.length === 0 ? [] : await o.store.delete(old).then(() => old, () => []);
    return { version, key, bytes: body.length, pruned };
  }
}

export interface RestoredBackup {
  /** The copy written to the file; undefined: none usable (or none at all), nothing written. */
  readonly used: { readonly key: string; readonly version: number } | undefined;
  /** Newer copies passed over, with the reason. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

/** Write the newest usable catalog copy to `file` (which must not exist). */
export async function restoreNewestBackup(store: ObjectStore, file: string): Promise<RestoredBackup> {
  const skipped: { key: string; reason: string }[] = [];
  const all = await listCatalogBackups(store);
  const tmp = `${file}.restoring`;
  for (const b of all.reverse()) {
    let reason: string | undefined;
    try {
      await writeFile(tmp, await gunzip(await store.get(b.key)), { mode: 0o600 });
      reason = checkCopy(tmp);
    } catch (e) {
      reason = (e as Error).message;
    }
    if (reason === undefined) {
      await rename(tmp, file);
      return { used: { key: b.key, version: b.version }, skipped };
    }
    await removeDb(tmp);
    skipped.push({ key: b.key, reason });
  }
  return { used: undefined, skipped };
}

/** Why a copy is not usable, or undefined when it opens, is a catalog this program knows and passes integrity_check. */
function checkCopy(path: string): string | undefined {
  const db = new Database(path, { fileMustExist: true });
  try {
    const verdict = db.pragma('integrity_check', { simple: true });
    if (verdict !== 'ok') return `integrity_check: ${String(verdict)}`;
    const version = db.pragma('user_version', { simple: true }) as number;
    const newest = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);
    if (version > newest) return `schema version ${version} is newer than this program knows (${newest})`;
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('cartridges', 'store_objects')").get() as { n: number };
    if (tables.n !== 2) return 'not an s3vtl catalog';
    // Back to a plain rollback journal: the copy is one file, opened by Catalog.open as any other.
    db.pragma('journal_mode = DELETE');
    return undefined;
  } finally {
    db.close();
  }
}

async function removeDb(path: string): Promise<void> {
  for (const ext of ['', '-wal', '-shm', '-journal']) await rm(path + ext, { force: true });
}
