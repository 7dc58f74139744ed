// The sources gatherRetentionInput reads in a gateway: the running libraries'
// drives and mail slots, the exposed point-in-time LUNs, and the CDP
// histories in the store.
import type { ObjectStore } from '../../tapes/object-store.ts';
import { ElementType } from '../../scsi/smc/elements.ts';
import { listCdpVolumes, loadHistory } from '../cdp/history.ts';
import type { LibraryHandle } from '../control/operations.ts';
import type { HistorySource, LiveRetentionState, LoadedCartridge, VolumeReader } from './gather.ts';

/** What the running gateway's changers and exposer hold now. */
export function gatewayLiveState(libraries: readonly LibraryHandle[], exposer?: { readers(): VolumeReader[] }): LiveRetentionState {
  return {
    loaded(): LoadedCartridge[] {
      return libraries.flatMap((lib) => lib.changer.elements.ofType(ElementType.DATA_TRANSFER).flatMap((e) => (e.barcode === undefined ? [] : [{
        barcode: e.barcode,
        drive: libraries.length === 1 ? `drive ${e.index}` : `drive ${e.index} of ${lib.config.name}`,
        prevented: e.drive?.removalPrevented() === true,
      }])));
    },
    reserved(): Map<string, string> {
      const out = new Map<string, string>();
      for (const lib of libraries) {
        if (!lib.changer.mailslotsLocked()) continue;
        for (const e of lib.changer.elements.ofType(ElementType.IMPORT_EXPORT)) if (e.barcode !== undefined) out.set(e.barcode, 'mail slots locked by PREVENT MEDIUM REMOVAL');
      }
      return out;
    },
    volumeReaders: () => exposer?.readers() ?? [],
  };
}

/** Every CDP volume under `prefix` in the store, with its history (one LIST per volume, plus its base indexes). */
export function storeHistorySource(store: ObjectStore, prefix: string): HistorySource {
  return { volumes: () => listCdpVolumes(store, prefix), history: (v) => loadHistory(store, prefix, v) };
}
