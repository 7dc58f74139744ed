// A CDP volume's restore points in the catalog's shape: the ends of the
// any-point window, the tier points the thinning plan keeps beyond it, and
// the bookmarks, each with the rule that keeps it and until when.
import type { ThinningPolicy, VolumeHistory } from '../cdp/types.ts';
import { planThinning } from '../cdp/thinning.ts';
import { formatDuration } from '../duration.ts';
import type { RestorePointInfo } from '../control/points-protocol.ts';

const blank = {
  source: 'cdp', app: 'cdp', barcode: null, fileNumber: null, objectId: null, host: null, disk: null, job: null, jobId: null,
  level: null, label: null, date: null, writtenAt: null, bytes: null,
} as const;

const plus = (iso: string, ms: number): string => new Date(new Date(iso).getTime() + ms).toISOString();

/** The latest "until <ISO>" a thinning reason names (a point kept by several rules lasts as long as the longest). */
export function latestUntil(reason: string): string | null {
  let best: string | null = null;
  for (const m of reason.matchAll(/until (\d{4}-\d\d-\d\dT[\d:.]+Z)/g)) if (best === null || m[1]! > best) best = m[1]!;
  return best;
}

export interface CdpVolumeView {
  readonly volume: string;
  readonly windowStart: string | null;
  readonly windowEnd: string | null;
  readonly history: VolumeHistory;
  /** The volume's keep policy from the configuration (absent: a volume only in the store). */
  readonly policy?: ThinningPolicy | undefined;
}

export function cdpPoints(v: CdpVolumeView, now: Date): RestorePointInfo[] {
  const out: RestorePointInfo[] = [];
  const p = v.policy;
  const window = p === undefined ? 'any-point window' : `any-point window (keep.all ${formatDuration(p.anyPointMs)})`;
  for (const [kind, time] of [['window-start', v.windowStart], ['window-end', v.windowEnd]] as const) {
    if (time === null) continue;
    out.push({
      ...blank, kind, time, volume: v.volume, keptBy: `${window}: every write from ${v.windowStart} to ${v.windowEnd}`,
      keptUntil: p === undefined ? null : plus(time, p.anyPointMs), detail: {},
    });
  }
  if (p !== undefined) {
    const plan = planThinning(p, v.history, now);
    // Tier points say "point i of n" (the window and bookmarks inside it are listed apart).
    for (const k of plan.keep) {
      if (!/point \d+ of \d+/.test(k.reason)) continue;
      out.push({ ...blank, kind: 'tier', time: k.time.toISOString(), volume: v.volume, keptBy: k.reason, keptUntil: latestUntil(k.reason), detail: { seq: k.seq } });
    }
  }
  for (const b of v.history.bookmarks) {
    const time = b.time.toISOString();
    const until = p === undefined ? null : plus(time, p.bookmarksMs);
    const expired = until !== null && until <= now.toISOString();
    out.push({
      ...blank, kind: 'bookmark', time, volume: v.volume, label: b.name,
      keptBy: p === undefined ? `bookmark ${b.name} (no keep policy for this volume in the configuration)`
        : expired ? `bookmark ${b.name}: expired (keep.bookmarks ${formatDuration(p.bookmarksMs)}); the next retention pass deletes it`
          : `bookmark ${b.name} (keep.bookmarks ${formatDuration(p.bookmarksMs)})`,
      keptUntil: until, detail: { seq: b.seq.toString() },
    });
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
