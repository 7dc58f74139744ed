// The retention engine's plain data: policies from the config, the planner's
// input (what the catalog and the running gateway know, gathered once) and
// its output (actions, each with the reason a person can read). The planner
// (plan.ts) is a pure function of RetentionInput; the executor (apply.ts)
// carries out a plan and writes every action to the audit log.
import type { ThinningPolicy, VolumeHistory } from '../cdp/types.ts';
import type { ThinningPlan } from '../cdp/thinning.ts';

/** `pools.NAME.retention` in the config. */
export interface PoolRetention {
  readonly keepMs: number;
  /** The clock starts at the cartridge's last write, or when it went to the shelf. */
  readonly from: 'last-write' | 'export';
  /** What happens once expired: back to scratch in place, to the archive shelf, or gone. */
  readonly then: 'recycle' | 'archive' | 'delete';
}

export interface RetentionPolicies {
  /** Every pool the config defines; undefined: the pool keeps its cartridges forever. */
  readonly pools: Readonly<Record<string, PoolRetention | undefined>>;
  /** Every CDP volume the config declares, by volume name. */
  readonly volumes: Readonly<Record<string, ThinningPolicy>>;
  /** What the config allows but an operator should hear about (e.g. a GOVERNANCE lock longer than keep); copied into every plan. */
  readonly warnings?: readonly string[];
}

/** One cartridge as the planner sees it. */
export interface RetentionCartridge {
  readonly barcode: string;
  readonly pool: string;
  /** The catalog state: scratch, in-use, full, archived, exported, retired. */
  readonly state: string;
  readonly worm: boolean;
  readonly bytes: number;
  /** null: never written. */
  readonly lastWrittenAt: Date | null;
  /** When it left the library for the shelf (null: in a library). */
  readonly exportedAt: Date | null;
  /** Object Lock retain-until of its objects (the latest), null: none. */
  readonly lockedUntil: Date | null;
  /** Its objects' archive storage class and since when they are in it (early-deletion charge). */
  readonly archive: { readonly storageClass: string; readonly since: Date } | null;
  /** The drive it is loaded in (e.g. "drive 1"), null: not loaded. */
  readonly loadedIn: string | null;
  /** Reserved by a changer reservation (PREVENT MEDIUM REMOVAL, RESERVE). */
  readonly reserved: boolean;
  /** Operator-visible readers in progress (restore, retrieve): each a short description. */
  readonly readers: readonly string[];
}

/** One CDP volume as the planner sees it. */
export interface RetentionVolume {
  readonly volume: string;
  readonly history: VolumeHistory;
  /**
   * Points being read by a restore or an exposed point-in-time LUN: their seqs, with a description,
   * and the base the reader opened (absent: the one a restore at seq would choose now).
   */
  readonly readers: readonly { readonly seq: number; readonly what: string; readonly baseSeq?: number }[];
}

export interface RetentionInput {
  readonly now: Date;
  readonly policies: RetentionPolicies;
  readonly cartridges: readonly RetentionCartridge[];
  readonly volumes: readonly RetentionVolume[];
}

/** What happens to one cartridge, and why. */
export type CartridgeAction =
  | { readonly kind: 'recycle' | 'archive' | 'delete'; readonly barcode: string; readonly pool: string; readonly bytes: number; readonly reason: string }
  | { readonly kind: 'keep' | 'hold'; readonly barcode: string; readonly pool: string; readonly reason: string; readonly until: Date | null };

/** What happens to one volume's history: the CDP thinning plan, reasoned, with readers' holds applied. */
export interface VolumeAction {
  readonly volume: string;
  readonly plan: ThinningPlan;
  /** Deletions the plan would make but a reader holds back, with the reason. */
  readonly held: readonly { readonly key: string; readonly reason: string }[];
  readonly bytesFreed: number;
}

export interface RetentionPlan {
  readonly now: Date;
  readonly cartridges: readonly CartridgeAction[];
  readonly volumes: readonly VolumeAction[];
  /** Things an operator should know (an early-deletion charge planned around, a pool without policy...). */
  readonly warnings: readonly string[];
  /** Bytes the plan frees, per pool (tape) and per volume (CDP). */
  readonly freed: { readonly pools: Readonly<Record<string, number>>; readonly volumes: Readonly<Record<string, number>> };
}
