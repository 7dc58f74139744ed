// From a restore target to what a restore reads: the seq X of the instant
// (the newest write with time < T), the base to start from (the newest one
// whose every chunk copy reflects a seq <= X) and the journal objects that
// hold the writes in (oldest chunk copy seq, X].
import { StoreErrorCode } from '../../tapes/errors.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { beforeWindow, CdpCorruptError, inFuture, inGap, unknownBookmark } from './errors.ts';
import { decodeJournal, decodeJournalHeader, headerLength, type DecodedHeader } from './journal-format.ts';
import type { LoadedVolume } from './history.ts';
import type { BaseIndex, RestoreTarget } from './types.ts';

export interface RestorePlan {
  volume: string;
  seq: number;
  instant: Date;
  base: BaseIndex;
  journals: LoadedVolume['journals'];
}

type J = LoadedVolume['journals'][number];

/**
 * The restorable window of a loaded volume, from its keys alone: from the
 * oldest base that the journal objects after it carry to the newest write.
 * Thinning leaves holes in the journal below that base; older kept points
 * are bases of their own (pointsOf).
 */
export function windowOf(lv: LoadedVolume): { start: Date | null; end: Date | null } {
  const js = lv.journals;
  const last = js.at(-1);
  const end = last === undefined ? null : new Date(last.lastUs / 1000);
  const lastSeq = last?.lastSeq ?? 0;
  const tail = [...lv.indexes.values()].filter((b) => journalsCover(js, b.minSeq, Math.max(b.maxSeq, lastSeq))).sort((a, b) => a.maxSeq - b.maxSeq);
  const b = tail[0];
  if (b === undefined) return { start: null, end };
  const next = js.find((j) => j.lastSeq > b.maxSeq);
  if (b.maxSeq === 0 || next === undefined) return { start: next === undefined ? end : new Date(next.firstUs / 1000), end };
  if (next.firstSeq !== b.maxSeq + 1) return { start: new Date(next.lastUs / 1000), end };
  // The write before `next` may be thinned away with its time: start just after next's first write.
  const prev = js[js.indexOf(next) - 1];
  return { start: new Date(prev?.lastSeq === b.maxSeq ? next.firstUs / 1000 : Math.floor(next.firstUs / 1000) + 1), end };
}

/** Kept points older than the window: bases built at a point, with the instants that restore to them. */
export function pointsOf(lv: LoadedVolume): { seq: number; fromUs: number; toUs: number; base: BaseIndex }[] {
  const out: { seq: number; fromUs: number; toUs: number; base: BaseIndex }[] = [];
  for (const b of lv.indexes.values()) {
    if (b.pointSeq !== null && b.pointUs !== undefined && b.nextUs !== undefined) out.push({ seq: b.pointSeq, fromUs: b.pointUs, toUs: b.nextUs, base: b });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Whether journal objects hold every seq in (from, to]. */
function journalsCover(js: readonly J[], from: number, to: number): boolean {
  if (to <= from) return true;
  let next = from + 1;
  for (const j of js) {
    if (j.lastSeq < next) continue;
    if (j.firstSeq > next) return false;
    next = j.lastSeq + 1;
    if (next > to) return true;
  }
  return false;
}

export async function planRestore(store: ObjectStore, lv: LoadedVolume, target: RestoreTarget, nowMs: number): Promise<RestorePlan> {
  const volume = lv.history.volume;
  const win = windowOf(lv);
  const js = lv.journals;
  checkHoles(lv);
  let seq: number;
  let instant: Date;
  if ('newest' in target) {
    const last = js.at(-1);
    seq = last?.lastSeq ?? Math.max(0, ...[...lv.indexes.values()].map((b) => (b.pointSeq === null ? 0 : b.pointSeq)));
    instant = new Date(last === undefined ? nowMs : Math.floor(last.lastUs / 1000) + 1);
  } else if ('bookmark' in target) {
    const m = lv.history.bookmarks.find((b) => b.name === target.bookmark);
    if (m === undefined) throw unknownBookmark(volume, target.bookmark, lv.history.bookmarks.map((b) => b.name));
    seq = Number(m.seq);
    instant = m.time;
  } else {
    instant = target.at;
    if (instant.getTime() > nowMs) throw inFuture(volume, instant, win.start, win.end);
    const tUs = instant.getTime() * 1000;
    const point = pointsOf(lv).find((p) => p.fromUs < tUs && tUs <= p.toUs);
    if (point !== undefined) return { volume, seq: point.seq, instant, base: point.base, journals: [] };
    // Before the oldest restorable instant (before the volume's first write, or history thinned away).
    if (win.start === null || instant.getTime() < win.start.getTime()) throw beforeWindow(volume, instant, win.start, win.end);
    const at = await seqAt(store, volume, js, tUs);
    if (at === undefined) throw beforeWindow(volume, instant, win.start, win.end);
    seq = at;
  }
  // The base that needs the least journal: the one whose oldest chunk copy is newest.
  let base: BaseIndex | undefined;
  for (const b of lv.indexes.values()) {
    if (b.maxSeq > seq || !journalsCover(js, b.minSeq, seq)) continue;
    if (base === undefined || b.minSeq >= base.minSeq) base = b;
  }
  if (base === undefined) throw beforeWindow(volume, instant, win.start, win.end);
  const b = base;
  const needed = b.minSeq >= seq ? [] : js.filter((j) => j.lastSeq > b.minSeq && j.firstSeq <= seq);
  return { volume, seq, instant, base: b, journals: needed };
}

/**
 * Journal objects follow one another without a hole, except below a base
 * that needs nothing before it (history thinned there): any other hole is a
 * missing object.
 */
function checkHoles(lv: LoadedVolume): void {
  const js = lv.journals;
  const minSeqs = [...lv.indexes.values()].map((b) => b.minSeq);
  for (let i = 1; i < js.length; i++) {
    const prev = js[i - 1]!;
    const j = js[i]!;
    if (j.firstSeq === prev.lastSeq + 1 || minSeqs.some((m) => m >= j.firstSeq - 1)) continue;
    throw new CdpCorruptError(lv.history.volume, `${lv.keys.journalPrefix}(seq ${prev.lastSeq + 1} to ${j.firstSeq - 1})`, new Date(prev.lastUs / 1000), 'journal objects are missing between two others');
  }
}

/** The seq of the newest write with time < tUs; undefined when thinning removed the journal that would tell. */
async function seqAt(store: ObjectStore, volume: string, js: readonly J[], tUs: number): Promise<number | undefined> {
  let k = -1;
  for (let i = 0; i < js.length; i++) if (js[i]!.firstUs < tUs) k = i;
  if (k < 0) return js.length === 0 ? 0 : js[0]!.firstSeq - 1;
  const j = js[k]!;
  const next = js[k + 1];
  if (j.lastUs < tUs) return next === undefined || next.firstSeq === j.lastSeq + 1 ? j.lastSeq : undefined;
  const d = await readJournalHeader(store, volume, j.key, j.firstUs);
  for (const g of d.header.gaps) {
    if (g.firstUs < tUs && tUs <= g.lastUs) throw inGap(volume, new Date(tUs / 1000), new Date(g.firstUs / 1000), new Date(g.lastUs / 1000));
  }
  let seq = j.firstSeq - 1;
  for (const e of d.entries) if (e.timeUs < tUs) seq = Math.max(seq, e.seq);
  for (const g of d.header.gaps) if (g.lastUs < tUs) seq = Math.max(seq, g.lastSeq);
  return seq;
}

function corrupt(volume: string, key: string, timeUs: number, e: unknown): never {
  if ((e as { code?: string }).code === StoreErrorCode.NOT_FOUND) throw new CdpCorruptError(volume, key, new Date(timeUs / 1000), 'listed but gone', { cause: e });
  if ((e as { code?: string }).code?.startsWith('VTL_STORE') === true) throw e;
  throw new CdpCorruptError(volume, key, new Date(timeUs / 1000), (e as Error).message, { cause: e });
}

/** The header of a journal object (one ranged GET, two when the header is long). */
export async function readJournalHeader(store: ObjectStore, volume: string, key: string, timeUs: number): Promise<DecodedHeader> {
  try {
    let buf = await store.get(key, { offset: 0, length: 64 << 10 });
    const len = headerLength(buf);
    if (buf.length < len) buf = await store.get(key, { offset: 0, length: len });
    return decodeJournalHeader(buf);
  } catch (e) {
    return corrupt(volume, key, timeUs, e);
  }
}

/** A whole journal object, every CRC checked. */
export async function readJournal(store: ObjectStore, volume: string, key: string, timeUs: number): Promise<ReturnType<typeof decodeJournal>> {
  try {
    return decodeJournal(await store.get(key));
  } catch (e) {
    return corrupt(volume, key, timeUs, e);
  }
}
