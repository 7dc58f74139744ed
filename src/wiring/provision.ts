// Creating cartridges in the catalog: one function for both serve's config
// provisioning (at start) and the operator's `s3vtl tape create`, so that a
// cartridge made either way has the same row.
import type { Catalog } from '../catalog/catalog.ts';
import type { CartridgeRow } from '../catalog/cartridges.ts';
import type { CartridgeBatchConfig, LibraryConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { addressOf } from '../../scsi/smc/elements.ts';
import type { Geometry } from './library-state.ts';

/** What every cartridge of one creation shares. */
export interface CartridgeSpec {
  readonly pool: string;
  /** Virtual capacity below the media's native one. */
  readonly capacityBytes?: number;
  /** Default: from the barcode's media id (LT..LZ are WORM). */
  readonly worm?: boolean;
}

/** The barcodes a batch names: VOLSER = prefix + zero-padded number, then the media id. */
export function batchBarcodes(b: Pick<CartridgeBatchConfig, 'prefix' | 'first' | 'count' | 'media'>): string[] {
  const width = 6 - b.prefix.length;
  return Array.from({ length: b.count }, (_, i) => `${b.prefix}${String(b.first + i).padStart(width, '0')}${b.media}`);
}

/**
 * Add cartridge rows, all or none (one transaction). Throws BarcodeError for a
 * malformed barcode or capacity, CatalogError VTL_CATALOG_EXISTS for a known one.
 */
export function createCartridges(catalog: Catalog, barcodes: readonly string[], spec: CartridgeSpec): CartridgeRow[] {
  return catalog.transaction(() => barcodes.map((barcode) => catalog.cartridges.add({
    barcode,
    pool: spec.pool,
    ...(spec.capacityBytes !== undefined && { capacityBytes: spec.capacityBytes }),
    ...(spec.worm === true && { worm: true }),
  })));
}

/** Create the configured cartridges that the catalog does not know, each in the first empty storage slot. */
export function provision(catalog: Catalog, cfg: LibraryConfig, g: Geometry, log: Logger): void {
  const empty = (): number | undefined => {
    for (let index = 0; index < g.slots; index++) {
      const address = addressOf(g.bases, { kind: 'storage', index });
      if (catalog.elements.get(address)?.barcode === null) return address;
    }
    return undefined;
  };
  catalog.transaction(() => {
    for (const batch of cfg.cartridges) {
      for (const barcode of batchBarcodes(batch)) {
        if (catalog.cartridges.get(barcode) !== undefined) continue;
        const slot = empty();
        if (slot === undefined) {
          log.warn('no empty storage slot for a configured cartridge; not created', { library: cfg.name, barcode });
          continue;
        }
        createCartridges(catalog, [barcode], { pool: batch.pool, ...(batch.capacity !== undefined && { capacityBytes: batch.capacity }) });
        catalog.elements.place(barcode, slot);
      }
    }
  });
}
