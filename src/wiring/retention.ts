// The retention executor's view of the running libraries: where a cartridge
// is, taking one out through its changer (so initiators see the change and
// the catalog and state object follow), and the live holds re-checked before
// every action. Serve and the offline CLI build it over their changers.

import { ShelfPhase } from '../catalog/shelf.ts';
import type { LibraryHandle } from '../control/operations.ts';
import type { RetentionLibraries } from '../retention/apply.ts';
import type { Shelf } from '../shelf/shelf.ts';
import { ElementType } from '../../scsi/smc/elements.ts';

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
