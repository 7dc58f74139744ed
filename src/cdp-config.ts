// The `cdp:` block of a disk: present (even `cdp: {}`) makes the disk a CDP
// volume named after the disk. Every key has a default that works; the output
// is the engine's settings (src/cdp CdpSettings) with durations in ms.
//
//   cdp:
//     shipInterval: 1s          # at most one journal object per interval under load
//     journalLimit: 1GiB        # local journal not yet in the store; beyond it: dirty map, RPO grows
//     base:
//       afterJournal: 256MiB    # a base (changed chunks) after this much journal...
//       every: 1h               # ...or this long under any load
//     chunkSize: 16MiB          # base chunk (power of two, a multiple of the block size)
//     keep:
//       all: 24h                # every write restorable this long
//       hourly: 30d             # then one point an hour for 30 days
//       daily: 1y               # then one a day for a year
//       bookmarks: 1y           # named instants (default: the longest tier)
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { parseSize } from './size.ts';

/** A duration key of the config (`90s`, `36h`, `30d`, `12mo`, `1y`) in ms, at least `min`. */
export const duration = (min: number, what: string) => z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 90s, 36h, 30d, 12mo, 1y)` });
    return z.NEVER;
  }
  if (ms < min) {
    ctx.addIssue({ code: 'custom', message: `${v} is too short for ${what}` });
    return z.NEVER;
  }
  return ms;
});

const bytes = (min: number, what: string) => z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (use e.g. 1GiB, 512MiB or a byte count)` });
    return z.NEVER;
  }
  if (n < min) {
    ctx.addIssue({ code: 'custom', message: `${v} is too small for ${what} (at least ${min} bytes)` });
    return z.NEVER;
  }
  return n;
});

const MiB = 1024 ** 2;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Thinning tiers by name: one point kept per `every`. */
export const TIERS = { hourly: HOUR, daily: DAY, weekly: 7 * DAY, monthly: 30 * DAY, yearly: 365 * DAY } as const;
type TierName = keyof typeof TIERS;

const keep = z.strictObject({
  all: duration(60_000, 'the any-point window (at least 1m)').default(24 * HOUR),
  hourly: duration(HOUR, 'an hourly tier').optional(),
  daily: duration(DAY, 'a daily tier').optional(),
  weekly: duration(7 * DAY, 'a weekly tier').optional(),
  monthly: duration(30 * DAY, 'a monthly tier').optional(),
  yearly: duration(365 * DAY, 'a yearly tier').optional(),
  bookmarks: duration(60_000, 'bookmarks (at least 1m)').optional(),
}).superRefine((k, ctx) => {
  // A tier keeps points for `for` from now: shorter than the window before it keeps nothing.
  let longest = k.all;
  let previous = 'all';
  for (const name of Object.keys(TIERS) as TierName[]) {
    const forMs = k[name];
    if (forMs === undefined) continue;
    if (forMs <= longest) ctx.addIssue({ code: 'custom', path: [name], message: `must be longer than ${previous} (each tier extends the history kept before it)` });
    longest = Math.max(longest, forMs);
    previous = name;
  }
});

const DEFAULT_KEEP = { all: '24h', hourly: '30d', daily: '1y' };

const cdp = z.strictObject({
  shipInterval: duration(100, 'shipping (at least 100ms)').default(1000),
  journalLimit: bytes(16 * MiB, 'the local journal').default(1024 * MiB),
  base: z.strictObject({
    afterJournal: bytes(MiB, 'the journal between bases').default(256 * MiB),
    every: duration(60_000, 'the time between bases (at least 1m)').default(HOUR),
  }).default({ afterJournal: 256 * MiB, every: HOUR }),
  chunkSize: bytes(64 * 1024, 'a base chunk').default(16 * MiB),
  keep: keep.default(keep.parse(DEFAULT_KEEP)),
}).superRefine((c, ctx) => {
  if ((c.chunkSize & (c.chunkSize - 1)) !== 0) ctx.addIssue({ code: 'custom', path: ['chunkSize'], message: `${c.chunkSize} is not a power of two (e.g. 4MiB, 16MiB, 64MiB)` });
});

export interface CdpThinningPolicy {
  readonly anyPointMs: number;
  readonly tiers: { everyMs: number; forMs: number }[];
  readonly bookmarksMs: number;
}

/** The engine's CdpSettings, structurally. */
export interface CdpDiskSettings {
  readonly shipIntervalMs: number;
  readonly journalLimitBytes: number;
  readonly baseEveryBytes: number;
  readonly baseEveryMs: number;
  readonly chunkBytes: number;
  readonly retention: CdpThinningPolicy;
}

export function toSettings(c: z.output<typeof cdp>): CdpDiskSettings {
  const tiers = (Object.keys(TIERS) as TierName[]).flatMap((name) => {
    const forMs = c.keep[name];
    return forMs === undefined ? [] : [{ everyMs: TIERS[name], forMs }];
  });
  const longest = tiers.reduce((m, t) => Math.max(m, t.forMs), c.keep.all);
  return {
    shipIntervalMs: c.shipInterval,
    journalLimitBytes: c.journalLimit,
    baseEveryBytes: c.base.afterJournal,
    baseEveryMs: c.base.every,
    chunkBytes: c.chunkSize,
    retention: { anyPointMs: c.keep.all, tiers, bookmarksMs: c.keep.bookmarks ?? longest },
  };
}

/** `cdp:` of a disk, parsed into the engine's settings. `null` (a bare `cdp:`) means all defaults. */
export const cdpDiskSchema = z.preprocess((v) => (v === null ? {} : v), cdp).transform(toSettings);
