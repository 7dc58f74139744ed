// planThinning: which history of a volume to keep and what may be deleted,
// a pure function of (policy, history, now). Every write is kept for
// anyPointMs (the window: its base and every journal object after that
// base's oldest chunk copy); beyond it, tier points (e.g. hourly for 30 d)
// and bookmarks younger than bookmarksMs are kept as consistent bases: one
// that exists (pointSeq = the point) or one to build from an older base and
// the journal up to the point, whose inputs stay until it is built. A tier
// point is snapped to the end of the last journal object before it (the
// keys alone give no finer times), and that journal object stays while the
// point is kept, so that later passes find the same point. Nothing a kept point needs is deletable;
// the newest base and the volume metadata always stay.
import type { HistoryBase, HistoryJournal, ThinningPolicy, VolumeHistory } from './types.ts';

export interface KeptPoint {
  time: Date;
  seq: number;
  reason: string;
}

export interface NeededBase {
  /** The seq the base must reflect for every chunk. */
  seq: number;
  time: Date;
  reason: string;
  /** An existing base already is that point; else it must be built (from buildFrom and the journal) before deleting. */
  exists: boolean;
  buildFrom: number | null;
}

export interface Deletable {
  key: string;
  kind: 'journal' | 'base' | 'bookmark';
  reason: string;
}

export interface ThinningPlan {
  volume: string;
  now: Date;
  windowStart: Date;
  keep: KeptPoint[];
  basesNeeded: NeededBase[];
  /** Bases kept and why (window, point, build source, dependency, newest). */
  basesKept: { seq: number; reason: string }[];
  delete: Deletable[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function grainName(everyMs: number): string {
  const names: [number, string][] = [[60_000, 'minutely'], [3_600_000, 'hourly'], [86_400_000, 'daily'], [7 * 86_400_000, 'weekly']];
  return names.find(([ms]) => ms === everyMs)?.[1] ?? `every ${everyMs} ms`;
}

/** The seq of the last journal object that ends before `ms` (0 when none). */
function seqBefore(journals: readonly HistoryJournal[], ms: number): { seq: number; time: number } {
  let out = { seq: 0, time: 0 };
  for (const j of journals) if (j.lastTime.getTime() < ms) out = { seq: j.lastSeq, time: j.lastTime.getTime() };
  return out;
}

/** The newest base from which the state at `seq` can be rebuilt. */
function baseFor(bases: readonly HistoryBase[], seq: number): HistoryBase | undefined {
  let found: HistoryBase | undefined;
  for (const b of bases) if (b.maxSeq <= seq) found = b;
  return found;
}

export function planThinning(policy: ThinningPolicy, history: VolumeHistory, now: Date): ThinningPlan {
  const nowMs = now.getTime();
  const W = nowMs - policy.anyPointMs;
  const journals = [...history.journals].sort((a, b) => a.firstSeq - b.firstSeq);
  const bases = [...history.bases].sort((a, b) => a.seq - b.seq);
  const keep: KeptPoint[] = [{ time: new Date(W), seq: seqBefore(journals, W).seq, reason: `any-point window from ${iso(W)}` }];
  const kept = new Map<number, { seq: number; reason: string }>();
  const keepBase = (b: HistoryBase | undefined, reason: string): void => {
    if (b !== undefined && !kept.has(b.seq)) kept.set(b.seq, { seq: b.seq, reason });
  };
  /** Journal seq ranges (from, to] that must stay. */
  const ranges: [number, number, string][] = [];

  const wSeq = seqBefore(journals, W).seq;
  const wBase = baseFor(bases, wSeq) ?? bases[0];
  keepBase(wBase, `base of the any-point window from ${iso(W)}`);
  ranges.push([wBase?.minSeq ?? 0, Number.MAX_SAFE_INTEGER, `any-point window from ${iso(W)}`]);
  keepBase(bases.at(-1), 'newest base');

  // Points beyond the window: tiers, then bookmarks.
  const points = new Map<number, { time: number; reasons: string[] }>();
  const firstMs = journals[0]?.firstTime.getTime() ?? nowMs;
  for (const tier of policy.tiers) {
    const grid: number[] = [];
    for (let g = Math.floor(W / tier.everyMs) * tier.everyMs; g > nowMs - tier.forMs && g > firstMs; g -= tier.everyMs) grid.push(g);
    grid.forEach((g, i) => {
      const at = seqBefore(journals, g);
      if (at.seq === 0 || at.seq >= wSeq) return;
      const p = points.get(at.seq) ?? { time: at.time, reasons: [] };
      p.reasons.push(`${grainName(tier.everyMs)} point ${i + 1} of ${grid.length} (${iso(g)}), kept until ${iso(g + tier.forMs)}`);
      points.set(at.seq, p);
    });
  }
  const del: Deletable[] = [];
  for (const m of history.bookmarks) {
    const seq = Number(m.seq);
    const until = m.time.getTime() + policy.bookmarksMs;
    if (until <= nowMs) {
      del.push({ key: `${history.root}mark/${seq.toString(16).padStart(16, '0')}-${m.name}.json`, kind: 'bookmark', reason: `bookmark ${m.name} expired at ${iso(until)}` });
      continue;
    }
    if (seq >= wSeq) {
      keep.push({ time: m.time, seq, reason: `bookmark ${m.name} until ${iso(until)} (inside the any-point window)` });
      continue;
    }
    const p = points.get(seq) ?? { time: m.time.getTime(), reasons: [] };
    p.reasons.push(`bookmark ${m.name} until ${iso(until)}`);
    points.set(seq, p);
  }

  const basesNeeded: NeededBase[] = [];
  for (const [seq, p] of [...points.entries()].sort((a, b) => a[0] - b[0])) {
    const reason = p.reasons.join('; ');
    keep.push({ time: new Date(p.time), seq, reason });
    const exact = bases.find((b) => b.pointSeq === seq);
    if (exact !== undefined) {
      keepBase(exact, `point at seq ${seq}: ${reason}`);
      basesNeeded.push({ seq, time: new Date(p.time), reason, exists: true, buildFrom: null });
      continue;
    }
    const from = baseFor(bases, seq);
    keepBase(from, `source of the base to build at seq ${seq}`);
    basesNeeded.push({ seq, time: new Date(p.time), reason, exists: false, buildFrom: from?.seq ?? null });
    ranges.push([from?.minSeq ?? 0, seq, `building the base at seq ${seq} (${reason})`]);
  }

  // Chunk objects named by a kept base's index keep their base too.
  const bySeq = new Map(bases.map((b) => [b.seq, b]));
  const stack = [...kept.keys()];
  while (stack.length > 0) {
    const b = bySeq.get(stack.pop()!);
    for (const d of b?.dependsOn ?? []) {
      if (kept.has(d)) continue;
      kept.set(d, { seq: d, reason: `chunk copies named by base ${b!.seq}` });
      stack.push(d);
    }
  }
  for (const b of bases) {
    if (!kept.has(b.seq)) del.push({ key: b.keyPrefix, kind: 'base', reason: `base at seq ${b.seq} (${iso(b.time.getTime())}) is before the window and no kept point or base needs it` });
  }
  // The journal object ending at a kept point stays too: tier points are found
  // by journal end times, so without it the point could not be found on a
  // later pass and its base would be deleted while the tier still keeps it.
  const anchors = new Set(keep.map((k) => k.seq));
  for (const j of journals) {
    const needed = ranges.find(([from, to]) => j.lastSeq > from && j.firstSeq <= to);
    if (needed === undefined && !anchors.has(j.lastSeq)) del.push({ key: j.key, kind: 'journal', reason: `seqs ${j.firstSeq}-${j.lastSeq} (to ${iso(j.lastTime.getTime())}) are before the any-point window from ${iso(W)} and no kept point needs them` });
  }
  keep.sort((a, b) => a.seq - b.seq);
  return { volume: history.volume, now, windowStart: new Date(W), keep, basesNeeded, basesKept: [...kept.values()].sort((a, b) => a.seq - b.seq), delete: del };
}
