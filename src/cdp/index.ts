// The CDP engine: journaled volumes mirrored to an object store, restores
// to any instant, point-in-time reads, recovery from the store, thinning.
export { CdpVolume } from './volume.ts';
export { listCdpVolumes, loadHistory } from './history.ts';
export { storeStatus } from './status.ts';
export { addBookmarkOffline } from './bookmarks.ts';
export { restoreToFile, type RestoreOptions, type RestoreResult } from './restore.ts';
export { recoverVolume } from './recover.ts';
export { CdpError, CdpErrorCode, CdpCorruptError, ReadOnlyVolumeError } from './errors.ts';
export type {
  Bookmark,
  CdpSettings,
  CdpStatus,
  CdpVolumeOptions,
  HistoryBase,
  HistoryJournal,
  RestoreTarget,
  ThinningPolicy,
  VolumeHistory,
} from './types.ts';
export { PointInTimeBackend } from './point-in-time.ts';
export { applyVolumeThinning, type ApplyVolumeThinningDeps } from './thin-apply.ts';
export { planThinning, type ThinningPlan, type KeptPoint, type NeededBase, type Deletable } from './thinning.ts';
