// 420 simulated days of retention: pools that recycle, archive, delete after
// export, hold under Object Lock, WORM media and a pool without retention;
// cartridges written on random days, loaded, reserved and being retrieved now
// and then; two CDP volumes whose history grows every 3 hours, with bases,
// bookmarks and an exposed point-in-time LUN. Every day the planner's plan is
// compared with a model written here from the rules (not from the planner),
// then applied to the simulated state as the executor would.
import test from 'ava';
import type { HistoryBase, ThinningPolicy, VolumeHistory } from '../../src/cdp/types.ts';
import { planRetention } from '../../src/retention/plan.ts';
import type { PoolRetention, RetentionCartridge, RetentionPlan } from '../../src/retention/types.ts';
import { prng as rng } from '../helpers/prng.ts';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 0, 1);
const DAYS = 420;


// ---- the world ---------------------------------------------------------------------------

const pools: Record<string, PoolRetention | undefined> = {
  rec: { keepMs: 30 * D, from: 'last-write', then: 'recycle' },
  arc: { keepMs: 20 * D, from: 'last-write', then: 'archive' },
  del: { keepMs: 60 * D, from: 'export', then: 'delete' },
  locked: { keepMs: 30 * D, from: 'last-write', then: 'recycle' },
  worm: { keepMs: 10 * D, from: 'last-write', then: 'delete' },
  forever: undefined,
  default: undefined,
};
const LOCK_DAYS: Record<string, number> = { locked: 45 };
const ARCHIVE_CLASS: Record<string, string> = { arc: 'GLACIER', del: 'DEEP_ARCHIVE' };

interface Tape {
  barcode: string;
  pool: string;
  worm: boolean;
  state: 'scratch' | 'in-use' | 'full' | 'archived' | 'exported';
  bytes: number;
  lastWrittenAt: number | null;
  exportedAt: number | null;
  archive: { storageClass: string; since: number } | null;
}

function tapes(): Map<string, Tape> {
  const out = new Map<string, Tape>();
  let n = 0;
  for (const pool of Object.keys(pools)) {
    for (let i = 0; i < 6; i++) {
      const barcode = `T${String(n++).padStart(5, '0')}${pool === 'worm' ? 'LU' : 'L8'}`;
      out.set(barcode, { barcode, pool, worm: pool === 'worm' || (pool === 'arc' && i === 0), state: 'scratch', bytes: 0, lastWrittenAt: null, exportedAt: null, archive: null });
    }
  }
  return out;
}

interface Day { loaded: Map<string, string>; reserved: Set<string>; readers: Map<string, string[]> }

// ---- the model: the rules, as the issue states them ----------------------------------------

const EARLY_DAYS: Record<string, number> = { GLACIER: 90, GLACIER_IR: 90, DEEP_ARCHIVE: 180 };

function lockEnd(t: Tape): number | null {
  const days = LOCK_DAYS[t.pool];
  return days === undefined || t.lastWrittenAt === null ? null : t.lastWrittenAt + days * D;
}

function modelTape(t: Tape, day: Day, now: number): string {
  const p = pools[t.pool];
  if (p === undefined) return 'keep';
  if (t.state === 'scratch') return 'keep';
  const clockStart = p.from === 'export' ? t.exportedAt : t.lastWrittenAt;
  if (clockStart === null || now < clockStart + p.keepMs) return 'keep';
  const onShelf = t.exportedAt !== null;
  if (p.then === 'archive' && onShelf) return 'keep';
  if (p.then !== 'archive' && t.worm) return 'keep';
  const locked = (lockEnd(t) ?? 0) > now;
  const busy = day.loaded.has(t.barcode) || day.reserved.has(t.barcode) || (day.readers.get(t.barcode)?.length ?? 0) > 0;
  const charge = p.then !== 'archive' && t.archive !== null && now < t.archive.since + (EARLY_DAYS[t.archive.storageClass] ?? 0) * D;
  return locked || busy || charge ? 'hold' : p.then;
}

// ---- CDP: a volume whose journal grows every 3 hours ---------------------------------------

interface Vol {
  name: string;
  policy: ThinningPolicy;
  h: VolumeHistory;
  seq: number;
  reader: { seq: number; baseSeq: number; until: number } | null;
}

const markKey = (root: string, seq: number, name: string): string => `${root}mark/${seq.toString(16).padStart(16, '0')}-${name}.json`;

function grow(v: Vol, from: number, to: number, day: number): void {
  const root = v.h.root;
  for (let t = from; t < to; t += 3 * H) {
    v.h.journals.push({ key: `${root}jnl/${v.seq + 1}`, firstSeq: v.seq + 1, lastSeq: v.seq + 10, firstTime: new Date(t + 1000), lastTime: new Date(t + 3 * H - 1000), bytes: 1000 });
    v.seq += 10;
  }
  // The gateway's own bases every other day (not a consistent point: chunks reflect seqs around S).
  if (day % 2 === 0) addBase(v, { seq: v.seq, time: new Date(to), minSeq: v.seq - 5, maxSeq: v.seq, pointSeq: null });
  if (day % 5 === 0) v.h.bookmarks.push({ name: `b${day}`, seq: BigInt(v.seq), time: new Date(to - 1) });
}

function addBase(v: Vol, b: Pick<HistoryBase, 'seq' | 'time' | 'minSeq' | 'maxSeq' | 'pointSeq'>): void {
  if (v.h.bases.some((x) => x.seq === b.seq)) return;
  v.h.bases.push({ ...b, keyPrefix: `${v.h.root}base/${b.seq}/`, chunks: 4, bytes: 50_000, full: true, dependsOn: [b.seq] });
  v.h.bases.sort((a, x) => a.seq - x.seq);
}

/** The keys a model of the thinning rules says must stay; everything else may go. */
function modelNeeded(v: Vol, now: number): Set<string> {
  const { policy, h } = v;
  const js = [...h.journals].sort((a, b) => a.firstSeq - b.firstSeq);
  const need = new Set<string>();
  // The position of an instant: the end of the newest journal object before it.
  const at = (ms: number): number => js.filter((j) => j.lastTime.getTime() < ms).reduce((s, j) => Math.max(s, j.lastSeq), 0);
  const source = (seq: number): HistoryBase | undefined => h.bases.filter((b) => b.maxSeq <= seq).at(-1);
  const needBase = (b: HistoryBase | undefined): void => {
    if (b === undefined || need.has(b.keyPrefix)) return;
    need.add(b.keyPrefix);
    for (const d of b.dependsOn) needBase(h.bases.find((x) => x.seq === d));
  };
  const needJournals = (after: number, upTo: number): void => {
    for (const j of js) if (j.lastSeq > after && j.firstSeq <= upTo) need.add(j.key);
  };
  const W = now - policy.anyPointMs;
  const wSeq = at(W);
  const wBase = source(wSeq) ?? h.bases[0];
  needBase(wBase);
  needJournals(wBase?.minSeq ?? 0, Infinity);
  needBase(h.bases.at(-1));
  const points = new Set<number>([wSeq]);
  const first = js[0]?.firstTime.getTime() ?? now;
  for (const tier of policy.tiers) {
    for (let g = Math.floor(W / tier.everyMs) * tier.everyMs; g > now - tier.forMs && g > first; g -= tier.everyMs) {
      const s = at(g);
      if (s > 0 && s < wSeq) points.add(s);
    }
  }
  for (const m of h.bookmarks) {
    if (m.time.getTime() + policy.bookmarksMs > now) {
      need.add(markKey(h.root, Number(m.seq), m.name));
      if (Number(m.seq) < wSeq) points.add(Number(m.seq));
    }
  }
  for (const s of points) {
    const anchor = js.find((j) => j.lastSeq === s);
    if (anchor !== undefined) need.add(anchor.key);
    if (s === wSeq) continue;
    const exact = h.bases.find((b) => b.pointSeq === s);
    if (exact !== undefined) {
      needBase(exact);
      continue;
    }
    const src = source(s);
    needBase(src);
    needJournals(src?.minSeq ?? 0, s);
  }
  if (v.reader !== null) {
    const b = h.bases.find((x) => x.seq === v.reader!.baseSeq)!;
    needBase(b);
    needJournals(b.minSeq, v.reader.seq);
  }
  return need;
}

function allKeys(h: VolumeHistory): Map<string, number> {
  return new Map<string, number>([
    ...h.journals.map((j): [string, number] => [j.key, j.bytes]),
    ...h.bases.map((b): [string, number] => [b.keyPrefix, b.bytes]),
    ...h.bookmarks.map((m): [string, number] => [markKey(h.root, Number(m.seq), m.name), 0]),
  ]);
}

// ---- the run ------------------------------------------------------------------------------

test('420 days: every day the plan equals the model, and applying it evolves the world', (t) => {
  const r = rng(12);
  const world = tapes();
  const vols: Vol[] = [
    { name: 'vm1', policy: { anyPointMs: 2 * D, tiers: [{ everyMs: D, forMs: 30 * D }, { everyMs: 7 * D, forMs: 120 * D }], bookmarksMs: 60 * D }, seq: 0, reader: null, h: { volume: 'vm1', root: 'p/cdp/vm1/', sizeBytes: 1 << 30, blockSize: 512, chunkBytes: 1 << 24, journals: [], bases: [], bookmarks: [] } },
    { name: 'vm2', policy: { anyPointMs: D, tiers: [{ everyMs: H, forMs: 3 * D }, { everyMs: D, forMs: 14 * D }, { everyMs: 30 * D, forMs: 365 * D }], bookmarksMs: 365 * D }, seq: 0, reader: null, h: { volume: 'vm2', root: 'p/cdp/vm2/', sizeBytes: 1 << 30, blockSize: 512, chunkBytes: 1 << 24, journals: [], bases: [], bookmarks: [] } },
  ];
  for (const v of vols) addBase(v, { seq: 0, time: new Date(T0), minSeq: 0, maxSeq: 0, pointSeq: 0 });
  const seen = new Map<string, number>();
  const count = (k: string): void => { seen.set(k, (seen.get(k) ?? 0) + 1); };
  const rewrittenAfterRecycle = new Set<string>();
  const recycled = new Set<string>();

  for (let d = 0; d < DAYS; d++) {
    const now = T0 + d * D + 12 * H;
    // The backup applications write in the small hours; operators export some full cartridges.
    for (const tape of world.values()) {
      if ((tape.state === 'scratch' || tape.state === 'in-use') && r() < 0.15) {
        if (tape.state === 'scratch' && recycled.has(tape.barcode)) rewrittenAfterRecycle.add(tape.barcode);
        tape.lastWrittenAt = T0 + d * D + 2 * H + Math.floor(r() * H);
        tape.bytes += 1_000_000 + Math.floor(r() * 1_000_000);
        tape.state = r() < 0.3 ? 'full' : 'in-use';
      }
      if (tape.pool === 'del' && tape.state === 'full' && tape.exportedAt === null && r() < 0.2) {
        tape.exportedAt = T0 + d * D + 4 * H;
        tape.state = 'exported';
        tape.archive = { storageClass: d % 3 === 0 ? 'GLACIER' : 'DEEP_ARCHIVE', since: tape.exportedAt };
      }
    }
    const barcodes = [...world.keys()];
    const day: Day = { loaded: new Map(), reserved: new Set(), readers: new Map() };
    for (const b of barcodes) {
      const x = r();
      if (x < 0.08) day.loaded.set(b, `drive ${Math.floor(r() * 4)}`);
      else if (x < 0.12) day.reserved.add(b);
      else if (x < 0.15 && world.get(b)!.exportedAt !== null) day.readers.set(b, ['retrieve from the archive under way']);
    }
    for (const v of vols) {
      grow(v, now - 24 * H + (d === 0 ? 12 * H : 0), now, d);
      // An exposed LUN at an instant 20 hours back (inside the any-point window, no kept
      // point), opened on days 100 and 250 and left for three weeks, long after the window moved on.
      if (v.reader !== null && now > v.reader.until) v.reader = null;
      if ((d === 100 || d === 250) && v.reader === null) {
        const s = v.h.journals.filter((j) => j.lastTime.getTime() < now - 20 * H).at(-1)!.lastSeq;
        const base = v.h.bases.filter((b) => b.maxSeq <= s).at(-1)!;
        v.reader = { seq: s, baseSeq: base.seq, until: now + 21 * D };
      }
    }

    const cartridges: RetentionCartridge[] = [...world.values()].map((x) => ({
      barcode: x.barcode, pool: x.pool, state: x.state, worm: x.worm, bytes: x.bytes,
      lastWrittenAt: x.lastWrittenAt === null ? null : new Date(x.lastWrittenAt),
      exportedAt: x.exportedAt === null ? null : new Date(x.exportedAt),
      lockedUntil: lockEnd(x) === null ? null : new Date(lockEnd(x)!),
      archive: x.archive === null ? null : { storageClass: x.archive.storageClass, since: new Date(x.archive.since) },
      loadedIn: day.loaded.get(x.barcode) ?? null,
      reserved: day.reserved.has(x.barcode),
      readers: day.readers.get(x.barcode) ?? [],
    }));
    const plan: RetentionPlan = planRetention({
      now: new Date(now),
      policies: { pools, volumes: Object.fromEntries(vols.map((v) => [v.name, v.policy])) },
      cartridges,
      volumes: vols.map((v) => ({ volume: v.name, history: v.h, readers: v.reader === null ? [] : [{ seq: v.reader.seq, baseSeq: v.reader.baseSeq, what: `exposed point-in-time LUN 0 at seq ${v.reader.seq}` }] })),
    });

    // Tapes: the same (barcode, action) pairs, and the bytes freed per pool.
    const want = [...world.values()].map((x) => `${x.barcode} ${modelTape(x, day, now)}`).sort();
    const got = plan.cartridges.map((a) => `${a.barcode} ${a.kind}`).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.deepEqual(got, want, `day ${d}`);
      return;
    }
    const freed: Record<string, number> = {};
    for (const x of world.values()) {
      const k = modelTape(x, day, now);
      if (k === 'recycle' || k === 'delete') freed[x.pool] = (freed[x.pool] ?? 0) + x.bytes;
    }
    for (const [pool, n] of Object.entries(plan.freed.pools)) if (n !== (freed[pool] ?? 0)) return void t.is(n, freed[pool] ?? 0, `day ${d} pool ${pool}`);
    for (const a of plan.cartridges) count(`${a.kind} ${a.reason.replace(/ (until|\d{4}-).*$/, '').replace(/\(.*$/, '').trim()}`);

    // Volumes: the same deleted keys, none a reader needs, and the bytes they free.
    for (const v of vols) {
      const a = plan.volumes.find((x) => x.volume === v.name)!;
      const keys = allKeys(v.h);
      const needed = modelNeeded(v, now);
      const wantDel = [...keys.keys()].filter((k) => !needed.has(k)).sort();
      const gotDel = a.plan.delete.map((x) => x.key).sort();
      if (JSON.stringify(gotDel) !== JSON.stringify(wantDel)) {
        t.deepEqual(gotDel, wantDel, `day ${d} volume ${v.name}`);
        return;
      }
      const bytes = wantDel.reduce((n, k) => n + keys.get(k)!, 0);
      if (a.bytesFreed !== bytes || plan.freed.volumes[v.name] !== bytes) return void t.is(a.bytesFreed, bytes, `day ${d} volume ${v.name} bytes`);
      if (a.held.length > 0) count('volume held');
      // Apply: build the bases the plan needs, then delete.
      for (const b of a.plan.basesNeeded) if (!b.exists) addBase(v, { seq: b.seq, time: new Date(now), minSeq: b.seq, maxSeq: b.seq, pointSeq: b.seq });
      const del = new Set(gotDel);
      v.h.journals = v.h.journals.filter((j) => !del.has(j.key));
      v.h.bases = v.h.bases.filter((b) => !del.has(b.keyPrefix));
      v.h.bookmarks = v.h.bookmarks.filter((m) => !del.has(markKey(v.h.root, Number(m.seq), m.name)));
    }

    // Apply the tape actions as the executor would.
    for (const a of plan.cartridges) {
      const x = world.get(a.barcode)!;
      if (a.kind === 'recycle') {
        Object.assign(x, { state: 'scratch', bytes: 0, lastWrittenAt: null });
        recycled.add(x.barcode);
      } else if (a.kind === 'archive') {
        Object.assign(x, { state: 'archived', exportedAt: now, archive: { storageClass: ARCHIVE_CLASS[x.pool]!, since: now } });
      } else if (a.kind === 'delete') world.delete(a.barcode);
    }
  }

  // The run went through every rule.
  const kinds = [...seen.keys()];
  for (const k of ['recycle', 'archive', 'delete', 'keep kept: pool forever has no retention', 'keep kept: scratch', 'keep kept: WORM cartridge, never erased',
    'keep kept: already on the shelf', 'hold held: object lock', 'hold held: loaded in drive', 'hold held: reserved', 'hold held: restore in progress',
    'hold held: DEEP_ARCHIVE minimum of 180 days', 'hold held: GLACIER minimum of 90 days', 'volume held']) {
    t.true(kinds.some((s) => s.startsWith(k)), `never seen: ${k} (seen: ${kinds.join(' | ')})`);
  }
  t.true(rewrittenAfterRecycle.size > 0, 'a recycled cartridge was written again');
  // The daily tier of vm1 still holds 28 or more daily points at the end, each with its base.
  const last = vols[0]!;
  const points = last.h.bases.filter((b) => b.pointSeq !== null && b.pointSeq > 0);
  t.true(points.length >= 28 + 10, `${points.length} point bases kept`);
});
