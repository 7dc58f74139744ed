// Recover the catalog file of a lost gateway: start from the newest copy of
// the catalog in the store that opens and checks (it carries the audit log,
// restore points and everything else manifests do not), or from nothing when
// there is none; then bring it up to date with the store, which is the truth
// for what data exists (manifests, library state, shelf records, facts:
// recover.ts), and reconcile the registry of store objects with a listing.
import { Catalog } from '../catalog/catalog.ts';
import { restoreNewestBackup } from '../catalog/catalog-backup.ts';
import type { RebuildOptions } from '../catalog/rebuild.ts';
import { reconcileStoreObjects, type ReconcileReport } from '../catalog/reconcile.ts';
import type { LibraryConfig } from '../config.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { recoverCatalog, type RecoverySummary } from './recover.ts';

export interface CatalogSource {
  /** `backup`: a catalog copy from the store, then the manifests; `manifests`: the manifests alone. */
  readonly kind: 'backup' | 'manifests';
  /** The copy used (kind `backup`). */
  readonly key?: string;
  /** Newer copies that could not be used, with the reason. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

export interface CatalogRecovery {
  readonly source: CatalogSource;
  readonly summary: RecoverySummary;
  readonly objects: ReconcileReport;
}

/** Build `file` (which must not exist) from the store. */
export async function recoverCatalogFile(file: string, store: ObjectStore, libraries: readonly LibraryConfig[] = [], o: RebuildOptions = {}): Promise<CatalogRecovery> {
  const restored = await restoreNewestBackup(store, file);
  const source: CatalogSource = restored.used === undefined
    ? { kind: 'manifests', skipped: restored.skipped }
    : { kind: 'backup', key: restored.used.key, skipped: restored.skipped };
  const catalog = Catalog.open(file);
  try {
    const summary = await recoverCatalog(catalog, store, libraries, o);
    const objects = await reconcileStoreObjects(catalog, store);
    catalog.audit.record({
      actor: 'recover', action: 'recover-catalog', subject: file,
      detail: { source: source.kind, ...(source.key !== undefined && { key: source.key }), skipped: source.skipped, objects },
    });
    return { source, summary, objects };
  } finally {
    catalog.close();
  }
}

/** One line saying where the catalog came from, and what was passed over. */
export function describeSource(s: CatalogSource): string[] {
  const lines = [s.kind === 'backup'
    ? `catalog source: backup ${s.key} (then brought up to date with the manifests in the store)`
    : `catalog source: manifests in the store (${s.skipped.length === 0 ? 'no catalog backup in the store' : 'no usable catalog backup'})`];
  for (const k of s.skipped) lines.push(`  skipped catalog backup ${k.key}: ${k.reason}`);
  return lines;
}
