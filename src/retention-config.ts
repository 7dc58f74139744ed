// Retention keys of the config: `pools.NAME.retention` (how long a pool's
// cartridges are kept and what happens after) and the top-level `retention`
// (how often serve runs a pass). Durations as src/duration.ts writes them.
//
//   pools:
//     daily:
//       retention: { keep: 30d, from: last-write, then: recycle }
//   retention:
//     every: 1h        # "off" or 0: serve runs no pass (retention apply still works)
import { z } from 'zod';
import { duration } from './cdp-config.ts';
import { formatDuration, parseDuration } from './duration.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;


/** `pools.NAME.retention`, parsed: keep in ms. */
export const poolRetentionSchema = z.strictObject({
  /** Kept this long after the clock starts (at least 1h). */
  keep: duration(HOUR, 'a retention (at least 1h)'),
  /** The clock starts at the cartridge's last write, or when it went to the shelf. */
  from: z.enum(['last-write', 'export']).default('last-write'),
  /** Then: back to scratch in place (same barcode, empty), to the archive shelf, or deleted. */
  then: z.enum(['recycle', 'archive', 'delete']),
}).transform((r) => ({ keepMs: r.keep, from: r.from, then: r.then }));

/** `every`: a duration of at least 1m, or "off" / 0 (no scheduled pass). Parsed to ms, 0 meaning off. */
const every = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (v === 0 || v === '0' || v === 'off') return 0;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 15m, 1h, 1d) or off` });
    return z.NEVER;
  }
  if (ms < MINUTE) {
    ctx.addIssue({ code: 'custom', message: `${v} is too short between two retention passes (at least 1m, or off)` });
    return z.NEVER;
  }
  return ms;
});

export const RETENTION_DEFAULTS = { everyMs: HOUR } as const;

/** Top-level `retention`, parsed: everyMs 0 means serve runs no scheduled pass. */
export const retentionSchema = z.strictObject({
  /** How often serve runs a retention pass (default 1h). */
  every: every.default(HOUR),
}).transform((r) => ({ everyMs: r.every }));

export type PoolRetentionConfig = z.output<typeof poolRetentionSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;

/** A retention period as people count it: 30d, 400d, 36h (not 1mo: durations count 30-day months). */
export function formatKeep(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  return formatDuration(ms);
}
