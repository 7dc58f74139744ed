// One CDP volume's thinning (src/cdp/thinning.ts), with what its readers need
// held back. A reader at seq S (a restore, an exposed point-in-time LUN)
// reads one base and the journal after it (src/cdp/resolve.ts planRestore):
// the base B it opened (else the newest base with maxSeq <= S whose journal
// covers (B.minSeq, S], the one a restore would choose now), the bases whose
// chunk objects B's index names, and every journal object holding a seq in
// (B.minSeq, S]. None of those is deleted while the reader is there.
import { planThinning } from '../cdp/thinning.ts';
import type { HistoryBase, HistoryJournal, ThinningPolicy } from '../cdp/types.ts';
import type { RetentionVolume, VolumeAction } from './types.ts';

/** Whether journal objects hold every seq in (from, to]. */
function covers(journals: readonly HistoryJournal[], from: number, to: number): boolean {
  let next = from + 1;
  for (const j of journals) {
    if (next > to) return true;
    if (j.lastSeq < next) continue;
    if (j.firstSeq > next) return false;
    next = j.lastSeq + 1;
  }
  return next > to;
}

/** The base a reader at `seq` reads from. */
export function readerBase(bases: readonly HistoryBase[], journals: readonly HistoryJournal[], seq: number, opened?: number): HistoryBase | undefined {
  if (opened !== undefined) {
    const b = bases.find((x) => x.seq === opened);
    if (b !== undefined) return b;
  }
  let found: HistoryBase | undefined;
  for (const b of bases) if (b.maxSeq <= seq && covers(journals, b.minSeq, seq) && (found === undefined || b.seq > found.seq)) found = b;
  return found;
}

/** Store keys a reader at `seq` needs: its base's prefix, its chunk sources' prefixes, the journal objects up to seq. */
export function readerKeys(v: Pick<RetentionVolume, 'history'>, seq: number, opened?: number): Set<string> {
  const journals = [...v.history.journals].sort((a, b) => a.firstSeq - b.firstSeq);
  const b = readerBase(v.history.bases, journals, seq, opened);
  const out = new Set<string>();
  if (b === undefined) return out;
  out.add(b.keyPrefix);
  for (const d of b.dependsOn) {
    const dep = v.history.bases.find((x) => x.seq === d);
    if (dep !== undefined) out.add(dep.keyPrefix);
  }
  for (const j of journals) if (j.lastSeq > b.minSeq && j.firstSeq <= seq) out.add(j.key);
  return out;
}

export function planVolume(v: RetentionVolume, policy: ThinningPolicy, now: Date): VolumeAction {
  const raw = planThinning(policy, v.history, now);
  const holds = new Map<string, string>();
  for (const r of v.readers) {
    for (const key of readerKeys(v, r.seq, r.baseSeq)) if (!holds.has(key)) holds.set(key, `held: ${r.what}`);
  }
  const held = raw.delete.filter((d) => holds.has(d.key)).map((d) => ({ key: d.key, reason: holds.get(d.key)! }));
  const del = raw.delete.filter((d) => !holds.has(d.key));
  const size = new Map<string, number>([
    ...v.history.journals.map((j): [string, number] => [j.key, j.bytes]),
    ...v.history.bases.map((b): [string, number] => [b.keyPrefix, b.bytes]),
  ]);
  const bytesFreed = del.reduce((n, d) => n + (size.get(d.key) ?? 0), 0);
  return { volume: v.volume, plan: { ...raw, delete: del }, held, bytesFreed };
}
