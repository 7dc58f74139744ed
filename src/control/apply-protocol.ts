// `retention apply` and `audit` on the control channel: argument schemas and
// results (`--json` prints the result as is). Instants are ISO 8601 strings;
// field names are stable.
import { z } from 'zod';
import type { AuditRow } from '../catalog/audit.ts';
import type { ApplyReport } from '../retention/apply.ts';

/** `now`: apply as of this instant (ISO 8601); one in the future only with `force`. */
export const RetentionApplyArgs = z.strictObject({ now: z.string().optional(), force: z.boolean().default(false) });
export type RetentionApplyArgs = z.input<typeof RetentionApplyArgs>;

/** `since`: entries at or after this instant (ISO 8601); default all. */
export const AuditListArgs = z.strictObject({ since: z.string().optional() });
export type AuditListArgs = z.input<typeof AuditListArgs>;

export interface RetentionApplyResult extends ApplyReport {
  /** The plan's warnings (early-deletion charges planned around, pools without policy...). */
  readonly warnings: string[];
  /** The one-line summary serve logs for a scheduled pass. */
  readonly summary: string;
}

export interface AuditListResult { readonly entries: AuditRow[] }

export interface ApplyCommands {
  'retention.apply': { args: RetentionApplyArgs; result: RetentionApplyResult };
  'audit.list': { args: AuditListArgs; result: AuditListResult };
}
