// The plain data of the CDP engine: settings, bookmarks, status, restore
// targets, the history the retention planner reads, and the base index format.
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { Logger } from '../log.ts';

export interface ThinningPolicy {
  /** Every write kept this long. */
  anyPointMs: number;
  /** Coarser points beyond the any-point window, e.g. hourly for 30 d, daily for 365 d. */
  tiers: { everyMs: number; forMs: number }[];
  /** Bookmarks kept this long. */
  bookmarksMs: number;
}

export interface CdpSettings {
  shipIntervalMs: number;
  journalLimitBytes: number;
  baseEveryBytes: number;
  baseEveryMs: number;
  /** Power of two, multiple of the block size. */
  chunkBytes: number;
  retention: ThinningPolicy;
}

export interface CdpVolumeOptions {
  name: string;
  dir: string;
  store: ObjectStore;
  prefix: string;
  sizeBytes: number;
  blockSize: 512 | 4096;
  settings: CdpSettings;
  log: Logger;
  /** ms since the epoch, fractional allowed. */
  now?: () => number;
}

export interface Bookmark {
  name: string;
  seq: bigint;
  time: Date;
}

export interface CdpStatus {
  volume: string;
  sizeBytes: number;
  blockSize: number;
  windowStart: Date | null;
  windowEnd: Date | null;
  newestDurable: Date | null;
  lagMs: number;
  rpoGrowing: boolean;
  /** Something is still to be stored (records, a base in progress or due): store requests go on. */
  shipping: boolean;
  bytesLocal: number;
  bytesInStore: number;
  bookmarks: Bookmark[];
  points: { time: Date; kind: 'base' | 'tier'; reason: string }[];
}

export type RestoreTarget = { at: Date } | { bookmark: string } | { newest: true };

export interface HistoryJournal {
  key: string;
  firstSeq: number;
  lastSeq: number;
  firstTime: Date;
  lastTime: Date;
  bytes: number;
}

export interface HistoryBase {
  seq: number;
  time: Date;
  keyPrefix: string;
  /** Chunk objects stored under this base. */
  chunks: number;
  bytes: number;
  full: boolean;
  /** Bases whose chunk objects this base's index names (itself included when it has any). */
  dependsOn: number[];
  /** Lowest and highest journal seq a chunk copy of the index reflects. */
  minSeq: number;
  maxSeq: number;
  /** Set when every chunk reflects exactly this seq (a consistent point). */
  pointSeq: number | null;
}

export interface VolumeHistory {
  volume: string;
  /** Key prefix of the volume in the store (ends with '/'). */
  root: string;
  sizeBytes: number;
  blockSize: number;
  chunkBytes: number;
  journals: HistoryJournal[];
  bases: HistoryBase[];
  bookmarks: Bookmark[];

}

/** One chunk of a base index: the base seq holding its copy (-1: all zeros) and the seq the copy reflects. */
export type ChunkRef = [base: number, seq: number];

/** base/<seq>/index.json */
export interface BaseIndex {
  format: 1;
  volume: string;
  seq: number;
  timeUs: number;
  sizeBytes: number;
  blockSize: number;
  chunkBytes: number;
  full: boolean;
  minSeq: number;
  maxSeq: number;
  pointSeq: number | null;
  chunks: ChunkRef[];
  /** A base built by thinning at a kept point: the base it was built from. */
  builtFrom?: number;
  /** Built bases: time (µs) of the newest write the point holds, and of the next write; instants in (pointUs, nextUs] restore to it. */
  pointUs?: number;
  nextUs?: number;
}

/** meta/<version>.json */
export interface VolumeMeta {
  format: 1;
  volume: string;
  sizeBytes: number;
  blockSize: number;
  chunkBytes: number;
  created: string;
}
