// The retention executor's view of the running libraries: where a cartridge
// is, taking one out through its changer (so initiators see the change and
// the catalog and state object follow), and the live holds re-checked before
// every action. Serve and the offline CLI build it over their changers.

import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import { ShelfPhase } from '../catalog/shelf.ts';
import type { Config } from '../config.ts';
import type { LibraryHandle } from '../control/operations.ts';
import type { ApplyDeps, RetentionLibraries } from '../retention/apply.ts';
import { applyVolumeThinning } from '../cdp/thin-apply.ts';
import type { Logger } from '../log.ts';
import type { LiveRetentionState } from '../retention/gather.ts';
import { storeHistorySource } from '../retention/live.ts';
import { RetentionRunner } from '../retention/runner.ts';
import type { Shelf } from '../shelf/shelf.ts';
import { ElementType } from '../../scsi/smc/elements.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { CDP_PREFIX, cdpDisks } from './cdp.ts';
import { manifestAuth } from './keys.ts';
import { cartridgeLock } from './store.ts';

export function retentionLibraries(handles: readonly LibraryHandle[]): RetentionLibraries {
  const find = (barcode: string) => {
    for (const h of handles) {
      const e = h.changer.elements.findBarcode(barcode);
      if (e !== undefined) return { h, e };
    }
    return undefined;
  };
  return {
    libraryOf: (barcode) => find(barcode)?.h.config.name ?? null,
    async remove(barcode) {
      if (find(barcode) === undefined) return;
      await find(barcode)!.h.changer.removeCartridge(barcode);
    },
    async publish() {
      await Promise.all(handles.map((h) => h.publish?.()));
    },
  };
}

export interface HoldSources {
  readonly handles: readonly LibraryHandle[];
  /** Open in the gateway's cartridge pool (loaded, or still uploading after an unload). */
  readonly isOpen?: ((barcode: string) => boolean) | undefined;
  readonly shelf?: Shelf | undefined;
}

/**
 * Why a cartridge must not be touched now: loaded in a drive, open in the
 * gateway, a retrieve under way, or (for actions that take it out of the
 * library) an initiator preventing medium removal.
 */
export function retentionHolds(s: HoldSources): (barcode: string, kind: 'recycle' | 'archive' | 'delete') => string | undefined {
  return (barcode, kind) => {
    for (const h of s.handles) {
      const e = h.changer.elements.findBarcode(barcode);
      if (e === undefined) continue;
      if (e.type === ElementType.DATA_TRANSFER) return `held: loaded in drive ${e.index} of ${h.config.name}`;
      if (kind !== 'recycle' && h.changer.mailslotsLocked()) return `held: an initiator prevents medium removal in ${h.config.name}`;
    }
    if (s.isOpen?.(barcode) === true) return 'held: open in the gateway (uploading what was written before the unload)';
    const row = s.shelf?.row(barcode);
    if (row?.phase === ShelfPhase.RETRIEVING) return 'held: retrieve in progress';
    return undefined;
  };
}

export interface RetentionParts {
  readonly catalog: Catalog;
  readonly store: ObjectStore;
  readonly handles: readonly LibraryHandle[];
  readonly shelf?: Shelf | undefined;
  /** The running gateway's cartridge pool (absent offline). */
  readonly isOpen?: ((barcode: string) => boolean) | undefined;
  /** The running gateway's drives and exposed LUNs (absent offline: nothing is loaded or exposed). */
  readonly live?: LiveRetentionState | undefined;
  readonly log: Logger;
}

/** The runner serve and the offline CLI use: the executor over these libraries, the CDP histories in the store. */
export function retentionRunner(config: Config, p: RetentionParts): RetentionRunner {
  const auth = manifestAuth(config.tapes);
  const deps: ApplyDeps = {
    catalog: p.catalog, store: p.store, keys: new TapeKeys(''), stagingDir: join(config.data, 'staging'),
    libraries: retentionLibraries(p.handles), shelf: p.shelf,
    holds: retentionHolds({ handles: p.handles, isOpen: p.isOpen, shelf: p.shelf }),
    // The pools of the running config: a reloaded config's locks apply from the next pass too.
    lockPolicy: (c) => cartridgeLock(runner.config.pools, c),
    manifestAuth: auth, clock: () => new Date(), log: p.log,
    thinVolume: (action, audit) => applyVolumeThinning({ store: p.store, prefix: CDP_PREFIX, action, audit, log: p.log }),
  };
  const runner: RetentionRunner = new RetentionRunner({
    config, deps, live: p.live, log: p.log,
    cdp: cdpDisks(config).length > 0 ? storeHistorySource(p.store, CDP_PREFIX) : undefined,
  });
  return runner;
}
