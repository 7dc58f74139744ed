// Bring `store_objects` into line with the store: one listing of everything
// under the prefix, merged in key order with the registry's live keys.
// Objects present but unknown (written by an older version, by a command that
// ran without serve, or after the catalog copy recovery started from) are
// registered with the owner and kind their key names; objects the registry
// holds as live but the store no longer has are marked deleted. Nothing in
// the store is touched.
import type { ObjectInfo, ObjectStore } from '../../tapes/object-store.ts';
import type { Catalog } from './catalog.ts';

export interface ReconcileReport {
  /** Objects the listing found. */
  readonly listed: number;
  /** Present in the store, unknown to (or marked deleted in) the registry: now registered. */
  readonly registered: number;
  /** Live in the registry, absent from the store: now marked deleted. */
  readonly markedDeleted: number;
  /** LIST requests made. */
  readonly listRequests: number;
}

export async function reconcileStoreObjects(catalog: Catalog, store: ObjectStore, prefix = ''): Promise<ReconcileReport> {
  const known = catalog.objects.live(prefix);
  const at = new Date().toISOString();
  let i = 0;
  let listed = 0;
  let listRequests = 0;
  const found: ObjectInfo[] = [];
  const gone: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(prefix, after === undefined ? {} : { startAfter: after });
    listRequests++;
    for (const o of page.objects) {
      listed++;
      while (i < known.length && known[i]!.key < o.key) gone.push(known[i++]!.key);
      if (i < known.length && known[i]!.key === o.key) i++;
      else found.push(o);
    }
    after = page.next;
  } while (after !== undefined);
  while (i < known.length) gone.push(known[i++]!.key);
  catalog.transaction(() => {
    for (const o of found) catalog.objects.register(o.key, o.size, (o.lastModified ?? new Date(at)).toISOString());
  });
  const markedDeleted = gone.length === 0 ? 0 : catalog.objects.markDeleted(gone, at);
  return { listed, registered: found.length, markedDeleted, listRequests };
}
