// Builds one tape library: a changer on LUN 0 and its drives on LUNs 1..N,
// over cartridges opened from the shared pool, with element contents kept in
// the catalog. Cartridges named by the config are created on first start and
// put in the first empty storage slots.
import type { Catalog } from '../catalog/catalog.ts';
import type { LogicalUnit } from '../../scsi/command.ts';
import { changerProfiles, tapeDriveProfiles } from '../../scsi/profiles/index.ts';
import { MediaChanger } from '../../scsi/smc/media-changer.ts';
import type { MediaSource } from '../../scsi/ssc/media-source.ts';
import { TapeDrive } from '../../scsi/ssc/tape-drive.ts';
import type { CartridgePool } from '../../tapes/cartridge-pool.ts';
import type { CartridgeBatchConfig, LibraryConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { CatalogLibraryState, type Geometry } from './library-state.ts';
import { addressOf } from '../../scsi/smc/elements.ts';

export interface BuiltLibrary {
  readonly changer: MediaChanger;
  readonly drives: readonly TapeDrive[];
  /** LUN -> logical unit (0 the changer). */
  readonly luns: ReadonlyMap<number, LogicalUnit>;
}

/** The barcodes a batch names: VOLSER = prefix + zero-padded number, then the media id. */
export function batchBarcodes(b: CartridgeBatchConfig): string[] {
  const width = 6 - b.prefix.length;
  return Array.from({ length: b.count }, (_, i) => `${b.prefix}${String(b.first + i).padStart(width, '0')}${b.media}`);
}

/** Create the configured cartridges that the catalog does not know, each in the first empty storage slot. */
function provision(catalog: Catalog, cfg: LibraryConfig, g: Geometry, log: Logger): void {
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
        catalog.cartridges.add({ barcode, pool: batch.pool, ...(batch.capacity !== undefined && { capacityBytes: batch.capacity }) });
        catalog.elements.place(barcode, slot);
      }
    }
  });
}

export async function buildLibrary(iqn: string, cfg: LibraryConfig, deps: { catalog: Catalog; pool: CartridgePool; log: Logger; serialFor: (name: string, prefix: string) => string }): Promise<BuiltLibrary> {
  const changerProfile = changerProfiles.get(cfg.changer)!;
  const driveProfile = tapeDriveProfiles.get(cfg.drive)!;
  const geometry: Geometry = { bases: changerProfile.addressBases, slots: cfg.slots, mailslots: cfg.mailslots, drives: cfg.drives };
  const state = new CatalogLibraryState(deps.catalog, geometry);
  provision(deps.catalog, cfg, geometry, deps.log);
  const media: MediaSource = { open: (barcode) => deps.pool.open(barcode) };
  const drives = Array.from({ length: cfg.drives }, (_, i) => new TapeDrive({
    profile: driveProfile,
    serial: deps.serialFor(`${cfg.name}/drive${i}`, ''),
    media,
    log: deps.log.child({ lu: `${iqn}/${i + 1}`, drive: i }),
  }));
  const changer = new MediaChanger({
    profile: changerProfile,
    serial: deps.serialFor(`${cfg.name}/changer`, ''),
    slots: cfg.slots,
    mailslots: cfg.mailslots,
    drives: drives.map((bay, i) => ({ bay, lun: i + 1 })),
    state,
    log: deps.log.child({ lu: `${iqn}/0`, library: cfg.name }),
  });
  await changer.restore();
  const luns = new Map<number, LogicalUnit>([[0, changer], ...drives.map((d, i): [number, LogicalUnit] => [i + 1, d])]);
  return { changer, drives, luns };
}
