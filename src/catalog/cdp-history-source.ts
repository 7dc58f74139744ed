// A CDP volume's history as the catalog knows it: its keys from the registry
// of store objects and its base indexes, bookmarks and metadata from the
// documents kept when they were written, so a retention pass over a year of
// history makes no LIST and (once every document is kept) no GET. A volume
// the registry knows nothing of is read from the store (one LIST), and a
// document not kept is read once and kept.
import type { ObjectInfo, ObjectStore } from '../../tapes/object-store.ts';
import { storeHistorySource, type HistorySource } from '../cdp/history.ts';
import type { Catalog } from './catalog.ts';

export function catalogHistorySource(catalog: Catalog, store: ObjectStore): HistorySource {
  const fromStore = storeHistorySource(store);
  return {
    objects(root: string): AsyncIterable<ObjectInfo> | Iterable<ObjectInfo> {
      const known = catalog.objects.live(root);
      if (known.length === 0) return fromStore.objects(root);
      return known.map((r) => ({ key: r.key, size: r.sizeBytes }));
    },
    async document(key: string): Promise<Buffer> {
      const kept = catalog.objects.document(key);
      if (kept !== undefined) return kept;
      const body = await store.get(key);
      catalog.objects.keepDocument(key, body);
      return body;
    },
  };
}
