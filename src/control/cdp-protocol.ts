// The `cdp` commands on the control channel: argument schemas and results.
// Results are `s3vtl cdp ... --json` output; instants are ISO 8601 strings,
// sequence numbers decimal strings (they are u64).
import { z } from 'zod';

export const CdpVolumeArgs = z.strictObject({ volume: z.string() });
export type CdpVolumeArgs = z.input<typeof CdpVolumeArgs>;

export const CdpListArgs = z.strictObject({});
export type CdpListArgs = z.input<typeof CdpListArgs>;

export const CdpBookmarkArgs = z.strictObject({ volume: z.string(), name: z.string() });
export type CdpBookmarkArgs = z.input<typeof CdpBookmarkArgs>;

/** Which instant: exactly one of `at` (ISO 8601), `bookmark`, `newest`. */
export const CdpTargetArgs = z.strictObject({
  at: z.string().optional(),
  bookmark: z.string().optional(),
  newest: z.boolean().optional(),
});
export type CdpTargetArgs = z.input<typeof CdpTargetArgs>;

export const CdpExposeArgs = CdpTargetArgs.extend({ volume: z.string() });
export type CdpExposeArgs = z.input<typeof CdpExposeArgs>;

/** Remove one exposed LUN (`lun`) or every exposure of `volume`. */
export const CdpUnexposeArgs = z.strictObject({ volume: z.string().optional(), lun: z.number().int().min(0).optional() });
export type CdpUnexposeArgs = z.input<typeof CdpUnexposeArgs>;

export interface CdpBookmarkInfo {
  readonly name: string;
  readonly seq: string;
  readonly time: string;
}

export interface CdpExposure {
  readonly iqn: string;
  readonly lun: number;
  readonly volume: string;
  /** The instant the LUN shows. */
  readonly instant: string;
}

export interface CdpVolumeStatus {
  readonly volume: string;
  /** Served (written) by the running gateway; false: only in the store. */
  readonly live: boolean;
  readonly sizeBytes: number;
  readonly blockSize: number;
  /** Oldest instant restorable at write granularity. */
  readonly windowStart: string | null;
  /** Newest acknowledged instant. */
  readonly windowEnd: string | null;
  /** Newest instant whose writes are all in the store. */
  readonly newestDurable: string | null;
  /** Acknowledged but not yet in the store, in ms (0 when idle). */
  readonly lagMs: number;
  /** The local journal is full or the store unreachable: the RPO grows. */
  readonly rpoGrowing: boolean;
  /** Still storing something (records, a base): requests go on until false. */
  readonly shipping: boolean;
  readonly bytesLocal: number;
  readonly bytesInStore: number;
  readonly bookmarks: CdpBookmarkInfo[];
  readonly points: { time: string; kind: string; reason: string }[];
  readonly exposed: CdpExposure[];
}

export interface CdpListResult { readonly volumes: CdpVolumeStatus[] }
export interface CdpUnexposeResult { readonly removed: CdpExposure[] }
export interface CdpDrainResult { readonly volume: string; readonly live: boolean }

export interface CdpCommands {
  'cdp.list': { args: CdpListArgs; result: CdpListResult };
  'cdp.status': { args: CdpVolumeArgs; result: CdpVolumeStatus };
  'cdp.bookmark': { args: CdpBookmarkArgs; result: CdpBookmarkInfo };
  'cdp.expose': { args: CdpExposeArgs; result: CdpExposure };
  'cdp.unexpose': { args: CdpUnexposeArgs; result: CdpUnexposeResult };
  /** Ship everything acknowledged so far (before a restore reads the store). */
  'cdp.drain': { args: CdpVolumeArgs; result: CdpDrainResult };
}
export type CdpCommandName = keyof CdpCommands;
