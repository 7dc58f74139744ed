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
import type { LibraryConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { LibrarySnapshotWriter } from '../catalog/library-snapshot.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { CatalogLibraryState, type Geometry, type LibraryPublishing } from './library-state.ts';
import { PointRecorder } from '../points/recording-medium.ts';
import { provision } from './provision.ts';
import { librarySerials } from './serial.ts';

export { batchBarcodes } from './provision.ts';

export interface BuiltLibrary {
  readonly changer: MediaChanger;
  readonly drives: readonly TapeDrive[];
  /** LUN -> logical unit (0 the changer). */
  readonly luns: ReadonlyMap<number, LogicalUnit>;
  /** The catalog-backed inventory; publish() after changing a cartridge of this library outside a move. */
  readonly state: CatalogLibraryState;
}

/** The element geometry a library's config and changer personality give. */
export function libraryGeometry(cfg: LibraryConfig): Geometry {
  return { bases: changerProfiles.get(cfg.changer)!.addressBases, slots: cfg.slots, mailslots: cfg.mailslots, drives: cfg.drives };
}

/** How a library's element changes reach its state object in the store (serve and the offline CLI alike). */
export function libraryPublishing(cfg: LibraryConfig, store: ObjectStore, onError: (e: unknown) => void): LibraryPublishing {
  return {
    writer: new LibrarySnapshotWriter({ store, library: cfg.name }),
    library: cfg.name,
    personality: { changer: cfg.changer, drive: cfg.drive },
    onError,
  };
}

export async function buildLibrary(iqn: string, cfg: LibraryConfig, deps: { catalog: Catalog; pool: CartridgePool; log: Logger; store?: ObjectStore }): Promise<BuiltLibrary> {
  const changerProfile = changerProfiles.get(cfg.changer)!;
  const driveProfile = tapeDriveProfiles.get(cfg.drive)!;
  const geometry = libraryGeometry(cfg);
  const publishing = deps.store === undefined ? undefined
    : libraryPublishing(cfg, deps.store, (e) => deps.log.error('library state not written to the store; retried at the next move or start', { library: cfg.name, error: String(e) }));
  const serials = librarySerials(iqn, cfg.name, cfg.drives);
  const state = new CatalogLibraryState(deps.catalog, geometry, publishing);
  provision(deps.catalog, cfg, geometry, deps.log);
  // Each loaded cartridge is watched for the backup applications' headers (the catalog's restore points).
  const recorder = new PointRecorder({ points: deps.catalog.restorePoints, log: deps.log.child({ library: cfg.name, layer: 'points' }) });
  const media: MediaSource = { open: async (barcode) => recorder.wrap(await deps.pool.open(barcode)) };
  const drives = Array.from({ length: cfg.drives }, (_, i) => new TapeDrive({
    profile: driveProfile,
    serial: serials.drives[i]!,
    media,
    log: deps.log.child({ lu: `${iqn}/${i + 1}`, drive: i }),
  }));
  const changer = new MediaChanger({
    profile: changerProfile,
    serial: serials.changer,
    slots: cfg.slots,
    mailslots: cfg.mailslots,
    drives: drives.map((bay, i) => ({ bay, lun: i + 1 })),
    state,
    log: deps.log.child({ lu: `${iqn}/0`, library: cfg.name }),
  });
  await changer.restore();
  // The bucket must describe the library even before the first move (and catch up after a crash).
  await state.publish();
  const luns = new Map<number, LogicalUnit>([[0, changer], ...drives.map((d, i): [number, LogicalUnit] => [i + 1, d])]);
  return { changer, drives, luns, state };
}
