// Without a running server: the same Operations over changers restored from
// the catalog. Their drive bays are stand-ins that only carry the serial the
// real drive would report (nothing loads offline: import, export and slot
// placement never touch a drive). A command that changes elements opens the
// store too, so each change is published to the library's state object as
// serve would publish it (src/catalog/library-snapshot.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeCartridgeFacts } from '../catalog/cartridge-facts.ts';
import { Catalog } from '../catalog/catalog.ts';
import { poolNames, type Config } from '../config.ts';
import { VtlError } from '../errors.ts';
import { Shelf } from '../shelf/shelf.ts';
import { vaultsFor } from '../shelf/vault.ts';
import { libraryGeometry, libraryPublishing } from '../wiring/library.ts';
import { CatalogLibraryState } from '../wiring/library-state.ts';
import { librarySerials } from '../wiring/serial.ts';
import { openStore, type OpenedStore } from '../wiring/store.ts';
import { prepareDataDir } from '../wiring/data-dir.ts';
import { changerProfiles, formatSerial, tapeDriveProfiles } from '../../scsi/profiles/index.ts';
import type { DriveBay } from '../../scsi/smc/drive-bay.ts';
import { MediaChanger } from '../../scsi/smc/media-changer.ts';
import { Operations, type LibraryHandle } from './operations.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';

const offlineBay = (serial: string): DriveBay => ({
  serial,
  t10VendorId: () => Buffer.alloc(0),
  cartridge: () => undefined,
  removalPrevented: () => false,
  insert: () => Promise.reject(new VtlError('VTL_OFFLINE', 'drives do not load cartridges without a running server')),
  remove: () => Promise.reject(new VtlError('VTL_OFFLINE', 'drives do not unload cartridges without a running server')),
});

/** A cartridge's staging directory exists only while data in it is not yet in the store (a clean close removes it). */
function stagedData(data: string, barcode: string): { code: 'VTL_SHELF_STAGED'; message: string } | undefined {
  const dir = join(data, 'staging', barcode);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  return { code: 'VTL_SHELF_STAGED', message: `${dir} holds data of ${barcode} that is not in the store yet: start s3vtl serve (it uploads it), then run s3vtl library export ${barcode} again` };
}

/** Quiet: the offline changer logs nothing the operator needs (its unit attentions reach no one). */
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface OfflineOperations {
  readonly ops: Operations;
  /** What the operations run over (the retention executor offline uses them too). */
  readonly catalog: Catalog;
  readonly libraries: readonly LibraryHandle[];
  /** Opened when publishing. */
  readonly store?: ObjectStore | undefined;
  readonly shelf?: Shelf | undefined;
  close(): Promise<void>;
}

/**
 * @param publish open the store and publish element changes to it (mutating
 *   commands); `onPublishError` hears a failed write, which serve retries at start.
 */
export async function openOffline(config: Config, o: { publish: boolean; onPublishError?: (e: unknown) => void } = { publish: false }): Promise<OfflineOperations> {
  // The same checks as serve's: created 0700, ours, not writable by others.
  await prepareDataDir(config.data);
  const opened: OpenedStore | undefined = o.publish && config.targets.some((t) => t.library) ? await openStore(config.store) : undefined;
  const catalog = Catalog.open(join(config.data, 'catalog.sqlite'));
  try {
    const libraries: LibraryHandle[] = [];
    for (const t of config.targets) {
      const cfg = t.library;
      if (cfg === undefined) continue;
      const profile = changerProfiles.get(cfg.changer)!;
      const driveProfile = tapeDriveProfiles.get(cfg.drive)!;
      const publishing = opened === undefined ? undefined : libraryPublishing(cfg, opened.store, o.onPublishError ?? (() => undefined));
      const state = new CatalogLibraryState(catalog, libraryGeometry(cfg), publishing);
      const serials = librarySerials(t.iqn, cfg.name, cfg.drives);
      const changer = new MediaChanger({
        profile,
        serial: serials.changer,
        slots: cfg.slots,
        mailslots: cfg.mailslots,
        drives: Array.from({ length: cfg.drives }, (_, i) => ({
          bay: offlineBay(formatSerial(driveProfile.serial, serials.drives[i]!)),
          lun: i + 1,
        })),
        state,
        log: quiet,
      });
      libraries.push({ iqn: t.iqn, config: cfg, changer, publish: () => state.publish() });
    }
    const shelf = opened === undefined ? undefined : new Shelf({
      catalog, store: opened.store, pools: config.pools, vault: vaultsFor(config.pools, opened.store), busy: (b) => stagedData(config.data, b),
    });
    return {
      catalog, libraries, store: opened?.store, shelf,
      ops: new Operations(catalog, libraries, {
        pools: poolNames(config),
        shelf,
        publishFacts: opened === undefined ? undefined : (row) => writeCartridgeFacts(opened.store, row),
      }),
      close: async () => {
        catalog.close();
        await opened?.close();
      },
    };
  } catch (e) {
    catalog.close();
    await opened?.close();
    throw e;
  }
}
