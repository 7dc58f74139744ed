// CDP histories for the retention pass from the catalog: the volumes and
// their keys from the registry of store objects, base indexes and bookmarks
// from the documents kept when they were written (src/catalog/cdp-history-source.ts).
// No LIST of the bucket; the store is read only for what the catalog does not
// know (a store with no CDP object registered yet: before the first reconcile).
import { catalogHistorySource } from '../catalog/cdp-history-source.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { OwnerKind } from '../catalog/object-kinds.ts';
import { listCdpVolumes, loadHistory } from '../cdp/history.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { HistorySource } from './gather.ts';

export function catalogRetentionHistory(catalog: Catalog, store: ObjectStore, prefix: string): HistorySource {
  const source = catalogHistorySource(catalog, store);
  return {
    async volumes() {
      const known = catalog.objects.owners(OwnerKind.CDP);
      return known.length > 0 ? known : listCdpVolumes(store, prefix);
    },
    history: (volume) => loadHistory(store, prefix, volume, source),
  };
}
