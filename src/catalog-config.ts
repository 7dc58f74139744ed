// `catalog:` in the config: how the SQLite catalog is copied to the store.
//
//   catalog:
//     backup:
//       every: 1m      # at most one copy per interval, only after changes (and one at a clean stop)
//       keep: 4        # newest copies kept under <prefix>/catalog/
import { z } from 'zod';
import { parseDuration } from './duration.ts';

export const CATALOG_DEFAULTS = { backup: { everyMs: 60_000, keep: 4 } } as const;

const every = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 90s, 15m, 1h)` });
    return z.NEVER;
  }
  if (ms < 1000) {
    ctx.addIssue({ code: 'custom', message: `${v} is too short for a catalog backup interval (at least 1s)` });
    return z.NEVER;
  }
  return ms;
});

export const catalogConfig = z.strictObject({
  backup: z.strictObject({
    /** At most one backup per this interval, and only after the catalog changed (default 1m). */
    every: every.optional(),
    /** Backups kept in the store, newest first (default 4; at least 2 so a damaged newest has one before it). */
    keep: z.number().int().min(2).max(1000).optional(),
  }).optional(),
}).optional().transform((c) => ({
  backup: { everyMs: c?.backup?.every ?? CATALOG_DEFAULTS.backup.everyMs, keep: c?.backup?.keep ?? CATALOG_DEFAULTS.backup.keep },
}));

export type CatalogConfig = z.output<typeof catalogConfig>;
