// Status of a volume: offline from the store alone, online from the store
// and the running volume's local state.
import type { ObjectStore } from '../../tapes/object-store.ts';
import { loadVolume, type LoadedVolume } from './history.ts';
import { windowOf } from './resolve.ts';
import type { CdpStatus } from './types.ts';
import type { VolumeCore } from './volume-core.ts';

export async function storeStatus(store: ObjectStore, prefix: string, volume: string): Promise<CdpStatus> {
  return fromStore(await loadVolume(store, prefix, volume));
}

function fromStore(lv: LoadedVolume): CdpStatus {
  const h = lv.history;
  const win = windowOf(lv);
  const inStore = h.journals.reduce((n, j) => n + j.bytes, 0) + h.bases.reduce((n, b) => n + b.bytes, 0);
  return {
    volume: h.volume,
    sizeBytes: h.sizeBytes,
    blockSize: h.blockSize,
    windowStart: win.start,
    windowEnd: win.end,
    newestDurable: win.end,
    lagMs: 0,
    rpoGrowing: false,
    shipping: false,
    bytesLocal: 0,
    bytesInStore: inStore,
    bookmarks: h.bookmarks,
    points: h.bases.map((b) => ({ time: b.time, kind: 'base' as const, reason: `base at seq ${b.seq}${b.full ? ' (full)' : ''}` })),
  };
}

export async function volumeStatus(core: VolumeCore): Promise<CdpStatus> {
  let s: CdpStatus;
  try {
    s = fromStore(await loadVolume(core.store, core.keys.root.replace(/cdp\/[^/]+\/$/, ''), core.name));
  } catch {
    s = { volume: core.name, sizeBytes: core.sizeBytes, blockSize: core.blockSize, windowStart: null, windowEnd: null, newestDurable: null, lagMs: 0, rpoGrowing: false, shipping: false, bytesLocal: 0, bytesInStore: 0, bookmarks: [], points: [] };
  }
  const st = core.state;
  const oldest = core.shipper.oldestPendingUs;
  return {
    ...s,
    sizeBytes: core.sizeBytes,
    blockSize: core.blockSize,
    windowEnd: st.lastSeq === 0 ? s.windowEnd : new Date(st.lastUs / 1000),
    newestDurable: st.shippedSeq === 0 ? s.newestDurable : new Date(st.shippedUs / 1000),
    lagMs: oldest === undefined ? 0 : Math.max(0, core.nowMs() - oldest / 1000),
    rpoGrowing: st.gap !== null || core.shipper.failing,
    shipping: !core.shipper.idle,
    bytesLocal: core.journal.bytes,
  };
}
