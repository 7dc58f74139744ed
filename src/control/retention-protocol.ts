// The `retention` commands on the control channel: argument schemas and
// results (`s3vtl retention plan --json` prints the result as is). Instants
// are ISO 8601 strings; field names are stable.
import { z } from 'zod';

/** `now`: plan as of this instant (ISO 8601, src/instant.ts), default the gateway's clock. */
export const RetentionPlanArgs = z.strictObject({ now: z.string().optional() });
export type RetentionPlanArgs = z.input<typeof RetentionPlanArgs>;

export interface RetentionCartridgeInfo {
  readonly barcode: string;
  readonly pool: string;
  /** keep | hold | recycle | archive | delete */
  readonly action: string;
  readonly reason: string;
  /** Bytes the action erases or moves (recycle, delete, archive); null for keep and hold. */
  readonly bytes: number | null;
  /** Until when a keep or hold lasts, when known. */
  readonly until: string | null;
}

export interface RetentionVolumeInfo {
  readonly volume: string;
  readonly windowStart: string;
  readonly keep: { readonly time: string; readonly seq: number; readonly reason: string }[];
  /** Bases to build before deleting (a kept point without an existing base). */
  readonly build: { readonly seq: number; readonly from: number | null; readonly reason: string }[];
  readonly delete: { readonly key: string; readonly kind: string; readonly reason: string }[];
  readonly held: { readonly key: string; readonly reason: string }[];
  readonly bytesFreed: number;
}

export interface RetentionPlanResult {
  readonly now: string;
  readonly cartridges: RetentionCartridgeInfo[];
  readonly volumes: RetentionVolumeInfo[];
  readonly freed: { readonly pools: Record<string, number>; readonly volumes: Record<string, number> };
  readonly warnings: string[];
}

export interface RetentionCommands {
  'retention.plan': { args: RetentionPlanArgs; result: RetentionPlanResult };
}
