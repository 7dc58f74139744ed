import test from 'ava';
import { planThinning, type ThinningPlan, type VolumeHistory } from '../../src/cdp/index.ts';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2026, 11, 6, 12);
const root = 'p/cdp/v/';

/** Three days of history: a journal object every 10 min (100 seqs each), a base every 6 h, bookmarks. */
function history(pointBaseAt?: number): VolumeHistory {
  const journals: VolumeHistory['journals'] = [];
  const start = NOW - 3 * D;
  for (let i = 0; i < (3 * D) / (10 * 60_000); i++) {
    const firstSeq = i * 100 + 1;
    journals.push({ key: `${root}jnl/${i}`, firstSeq, lastSeq: firstSeq + 99, firstTime: new Date(start + i * 600_000), lastTime: new Date(start + i * 600_000 + 599_000), bytes: 1000 });
  }
  const bases: VolumeHistory['bases'] = [];
  for (let k = 0; k * 6 * H < 3 * D; k++) {
    const seq = k * 3600;
    bases.push({ seq, time: new Date(start + k * 6 * H + 60_000), keyPrefix: `${root}base/${seq}/`, chunks: 4, bytes: 4000, full: k === 0, dependsOn: k === 0 ? [] : [0, seq], minSeq: seq, maxSeq: seq + 50, pointSeq: null });
  }
  if (pointBaseAt !== undefined) bases.push({ seq: pointBaseAt, time: new Date(start), keyPrefix: `${root}base/${pointBaseAt}/`, chunks: 4, bytes: 1, full: false, dependsOn: [0], minSeq: pointBaseAt, maxSeq: pointBaseAt, pointSeq: pointBaseAt });
  bases.sort((a, b) => a.seq - b.seq);
  return {
    volume: 'v',
    root,
    sizeBytes: 1 << 30,
    blockSize: 512,
    chunkBytes: 16 << 20,
    journals,
    bases,
    bookmarks: [
      { name: 'young', seq: 2050n, time: new Date(NOW - 2.5 * D) },
      { name: 'old', seq: 10n, time: new Date(NOW - 40 * D) },
    ],
  };
}

const policy = { anyPointMs: D, tiers: [{ everyMs: H, forMs: 2 * D }], bookmarksMs: 30 * D };
const deleted = (p: ThinningPlan): Set<string> => new Set(p.delete.map((d) => d.key));

test('journals inside the any-point window and after its base are never deleted', (t) => {
  const h = history();
  const plan = planThinning(policy, h, new Date(NOW));
  const del = deleted(plan);
  const wBase = plan.basesKept.find((b) => b.reason.startsWith('base of the any-point window'));
  // A base is named for the window.
  t.truthy(wBase);
  const minSeq = h.bases.find((b) => b.seq === wBase!.seq)!.minSeq;
  for (const j of h.journals) {
    // No journal after the window base's oldest chunk copy is deletable.
    if (j.lastSeq > minSeq) t.false(del.has(j.key), j.key);
  }
  // Something old is deletable (the plan thins at all).
  t.true(plan.delete.some((d) => d.kind === 'journal'));
});

test('each tier point to build keeps its source base and the journal up to it', (t) => {
  const h = history();
  const plan = planThinning(policy, h, new Date(NOW));
  const del = deleted(plan);
  const toBuild = plan.basesNeeded.filter((b) => !b.exists);
  // There are hourly points beyond the window: 23 (the 24th grid point is the window start itself).
  t.is(plan.keep.filter((k) => k.reason.includes("hourly point")).length, 23);
  for (const b of toBuild) {
    const src = h.bases.find((x) => x.seq === b.buildFrom)!;
    // The source base stays.
    t.false(del.has(src.keyPrefix), `base ${src.seq}`);
    for (const j of h.journals) {
      // Every journal object between the source base and the point stays.
      if (j.lastSeq > src.minSeq && j.firstSeq <= b.seq) t.false(del.has(j.key), `${j.key} for point ${b.seq}`);
    }
  }
});

test('an existing consistent base at a point frees the journal before it', (t) => {
  const probe = planThinning(policy, history(), new Date(NOW));
  const first = probe.basesNeeded[0]!;
  const plan = planThinning(policy, history(first.seq), new Date(NOW));
  const need = plan.basesNeeded.find((b) => b.seq === first.seq)!;
  // The point is served by the existing base.
  t.true(need.exists);
  // Fewer journal objects must stay than without it.
  t.true(plan.delete.length >= probe.delete.length);
});

test('expired bookmarks are deletable, young ones are kept points', (t) => {
  const plan = planThinning(policy, history(), new Date(NOW));
  const old = plan.delete.find((d) => d.kind === 'bookmark');
  // The 40-day-old bookmark goes, saying it expired.
  t.regex(old?.reason ?? '', /bookmark old expired/);
  // The young one is a kept point with its reason.
  t.true(plan.keep.some((k) => k.seq === 2050 && /bookmark young until/.test(k.reason)));
  // Its base is in the list of bases needed.
  t.true(plan.basesNeeded.some((b) => b.seq === 2050));
});

test('the newest base and every dependency of a kept base stay; every deletion has a reason', (t) => {
  const h = history();
  const plan = planThinning(policy, h, new Date(NOW));
  const del = deleted(plan);
  // The newest base is not deletable.
  t.false(del.has(h.bases.at(-1)!.keyPrefix));
  for (const k of plan.basesKept) {
    for (const d of h.bases.find((b) => b.seq === k.seq)!.dependsOn) {
      // A base that a kept base depends on is kept.
      t.true(plan.basesKept.some((x) => x.seq === d), `dependency ${d} of ${k.seq}`);
    }
  }
  // Each deletion explains itself.
  t.true(plan.delete.every((d) => d.reason.length > 10));
});

test('planning is pure: same input, same plan, input untouched', (t) => {
  const h = history();
  const before = JSON.stringify(h, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const a = planThinning(policy, h, new Date(NOW));
  const b = planThinning(policy, h, new Date(NOW));
  // Two runs agree.
  t.deepEqual(a, b);
  // The history is not modified.
  t.is(JSON.stringify(h, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), before);
});

test('a tier point stays kept on later passes after the journal around it is thinned and its base built', (t) => {
  // Ten days, a journal object every 3 h; every pass builds the bases the plan
  // asks for and deletes what it may, as the executor does.
  const T0 = Date.UTC(2026, 0, 1);
  const h: VolumeHistory = { volume: 'v', root, sizeBytes: 1, blockSize: 512, chunkBytes: 1, journals: [], bases: [], bookmarks: [] };
  h.bases.push({ seq: 0, time: new Date(T0), keyPrefix: `${root}base/0/`, chunks: 1, bytes: 1, full: true, dependsOn: [], minSeq: 0, maxSeq: 0, pointSeq: 0 });
  const daily = { anyPointMs: D, tiers: [{ everyMs: D, forMs: 30 * D }], bookmarksMs: D };
  let seq = 0;
  let plan: ThinningPlan | undefined;
  for (let day = 0; day < 10; day++) {
    for (let i = 0; i < 8; i++) {
      const at = T0 + day * D + i * 3 * H;
      h.journals.push({ key: `${root}jnl/${seq + 1}`, firstSeq: seq + 1, lastSeq: seq + 10, firstTime: new Date(at + 1000), lastTime: new Date(at + 3 * H - 1000), bytes: 1 });
      seq += 10;
    }
    const now = new Date(T0 + (day + 1) * D + H);
    plan = planThinning(daily, h, now);
    for (const b of plan.basesNeeded) {
      if (!b.exists) h.bases.push({ seq: b.seq, time: now, keyPrefix: `${root}base/${b.seq}/`, chunks: 1, bytes: 1, full: true, dependsOn: [], minSeq: b.seq, maxSeq: b.seq, pointSeq: b.seq });
    }
    h.bases.sort((a, b) => a.seq - b.seq);
    const del = deleted(plan);
    h.journals = h.journals.filter((j) => !del.has(j.key));
    h.bases = h.bases.filter((b) => !del.has(b.keyPrefix));
  }
  // Every midnight between the first write and the any-point window is a daily point...
  const dailyPoints = plan!.keep.filter((k) => k.reason.includes('daily point'));
  t.deepEqual(dailyPoints.map((k) => k.seq), [80, 160, 240, 320, 400, 480, 560, 640]);
  // ...and each has its base in the store (the newest one built after the last pass).
  for (const k of dailyPoints) t.truthy(h.bases.find((b) => b.pointSeq === k.seq), `base of ${k.seq}`);
});
