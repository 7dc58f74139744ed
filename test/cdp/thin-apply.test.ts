import test from 'ava';
import { join } from 'node:path';
import { CdpVolume, PointInTimeBackend, loadHistory, planThinning, type ThinningPlan, type ThinningPolicy } from '../../src/cdp/index.ts';
import { applyVolumeThinning } from '../../src/cdp/thin-apply.ts';
import { restoreWithDetail } from '../../src/cdp/restore.ts';
import { loadVolume } from '../../src/cdp/history.ts';
import type { AuditEntry } from '../../src/catalog/audit.ts';
import type { VolumeAction } from '../../src/retention/types.ts';
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { Clock, fileEquals, payload, quiet, rng, settings, tempDir, volumeOptions } from './fixture.ts';

const SIZE = 4 << 20;
const BS = 512;
const MIN = 60_000;
const policy: ThinningPolicy = { anyPointMs: 3 * MIN, tiers: [{ everyMs: MIN, forMs: 6 * MIN }], bookmarksMs: 7 * MIN };

interface History {
  store: MemoryObjectStore;
  writes: { seq: number; lba: number; data: Buffer }[];
  instants: { at: Date; seq: number }[];
  marks: { name: string; seq: number }[];
  now: Date;
}

/** Ten simulated minutes: a few writes, then 15 s of quiet, 40 times; three bookmarks. */
async function simulate(t: { teardown(fn: () => Promise<void>): void }): Promise<History> {
  const store = new MemoryObjectStore();
  const dir = await tempDir(t);
  const clock = new Clock(1_750_000_000_000, 2);
  const vol = await CdpVolume.open(volumeOptions(join(dir, 'v'), store, clock, { settings: settings({ shipIntervalMs: 0, baseEveryBytes: 96 << 10 }) }));
  const r = rng(11);
  const h: History = { store, writes: [], instants: [], marks: [], now: new Date(0) };
  let seq = 0;
  for (let round = 0; round < 40; round++) {
    const ps: Promise<void>[] = [];
    for (let k = 0; k < 3; k++) {
      const blocks = 1 + Math.floor(r() * 64);
      const lba = Math.floor(r() * (r() < 0.5 ? 512 : SIZE / BS - blocks));
      const data = payload(++seq, blocks, BS);
      h.writes.push({ seq, lba, data });
      ps.push(vol.write(BigInt(lba), data));
    }
    await Promise.all(ps);
    await new Promise((res) => setTimeout(res, 3));
    h.instants.push({ at: clock.instant(), seq });
    if (round === 8 || round === 18 || round === 30) h.marks.push({ name: `m${round}`, seq: Number((await vol.bookmark(`m${round}`)).seq) });
    clock.t += 15_000;
  }
  await vol.drain();
  await vol.close();
  h.now = new Date(clock.t);
  return h;
}

function imageAt(h: History, seq: number): Buffer {
  const img = Buffer.alloc(SIZE);
  for (const w of h.writes) if (w.seq <= seq) w.data.copy(img, w.lba * BS);
  return img;
}

async function keySet(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listAll(store, '')) out.push(o.key);
  return out;
}

async function clone(store: ObjectStore): Promise<MemoryObjectStore> {
  const c = new MemoryObjectStore();
  for (const k of await keySet(store)) await c.put(k, await store.get(k));
  return c;
}

/** A store whose every operation after the first `n` fails (a crash of the executor there). */
function failingAfter(inner: ObjectStore, n: number, count = { ops: 0 }): ObjectStore {
  const gate = <T>(f: () => Promise<T>): Promise<T> => (++count.ops > n ? Promise.reject(new Error(`injected failure at operation ${count.ops}`)) : f());
  return {
    kind: 'failing',
    put: (...a) => gate(() => inner.put(...a)),
    get: (...a) => gate(() => inner.get(...a)),
    head: (...a) => gate(() => inner.head(...a)),
    list: (...a) => gate(() => inner.list(...a)),
    delete: (...a) => gate(() => inner.delete(...a)),
  };
}

const actionOf = (plan: ThinningPlan, held: VolumeAction['held'] = []): VolumeAction => ({ volume: plan.volume, plan, held, bytesFreed: 0 });

test('thinning applied: kept points, bookmarks and the window restore exactly; the rest is gone; cut short anywhere, a rerun converges', async (t) => {
  const h = await simulate(t);
  const plan = planThinning(policy, await loadHistory(h.store, 'pfx', 'vol1'), h.now);
  const toBuild = plan.basesNeeded.filter((b) => !b.exists);
  // The plan has points to build beyond the window and objects to delete.
  t.true(toBuild.length >= 3, JSON.stringify(plan.basesNeeded));
  t.true(plan.delete.some((d) => d.kind === 'journal') && plan.delete.some((d) => d.kind === 'bookmark'));
  const before = await clone(h.store);
  const audit: AuditEntry[] = [];
  const counted = { ops: 0 };
  const r = await applyVolumeThinning({ store: failingAfter(h.store, Infinity, counted), prefix: 'pfx', action: actionOf(plan), audit: (e) => audit.push(e), log: quiet });
  // Every base to build is built, each audited.
  t.deepEqual(r.built, toBuild.map((b) => b.seq));
  t.is(audit.filter((e) => e.action === 'build-base').length, toBuild.length);
  const after = await keySet(h.store);
  for (const d of plan.delete) t.false(after.some((k) => k.startsWith(d.key)), `${d.key} still there`);
  // Every deleted object is audited.
  t.deepEqual(new Set(audit.filter((e) => e.action === 'delete-object').map((e) => e.subject)), new Set(r.deleted));

  const dir = await tempDir(t);
  const out = join(dir, 'img');
  const now = (): number => h.now.getTime();
  const lv = await loadVolume(h.store, 'pfx', 'vol1');
  for (const need of toBuild) {
    const ix = [...lv.indexes.values()].find((b) => b.pointSeq === need.seq && b.builtFrom !== undefined)!;
    // The built base is a point with the instants that restore to it.
    t.truthy(ix, `base for ${need.seq}`);
    const at = new Date(Math.floor(ix.pointUs! / 1000) + 1);
    t.true(at.getTime() * 1000 <= ix.nextUs!, `point ${need.seq} addressable`);
    const res = await restoreWithDetail(h.store, 'pfx', 'vol1', { at }, out, { now, sync: false });
    // A restore at the point reads its base and no journal, and is the model's image there.
    t.is(res.plan.base.seq, ix.seq);
    t.is(res.plan.journals.length, 0);
    t.true(await fileEquals(out, imageAt(h, need.seq)), `point ${need.seq}`);
  }
  for (const m of h.marks) {
    const kept = plan.keep.some((k) => k.reason.includes(`bookmark ${m.name} `));
    if (!kept) continue;
    await restoreWithDetail(h.store, 'pfx', 'vol1', { bookmark: m.name }, out, { now, sync: false });
    t.true(await fileEquals(out, imageAt(h, m.seq)), `bookmark ${m.name}`);
  }
  let refused = 0;
  for (const i of h.instants) {
    const inWindow = i.at.getTime() >= plan.windowStart.getTime();
    try {
      await restoreWithDetail(h.store, 'pfx', 'vol1', { at: i.at }, out, { now, sync: false });
    } catch (e) {
      // Only an instant before the window may be refused, and only as before the window.
      t.false(inWindow, `instant ${i.at.toISOString()} in the window refused: ${String(e)}`);
      t.is((e as { code?: string }).code, 'VTL_CDP_BEFORE_WINDOW');
      t.notRegex((e as Error).message, /\n/);
      await t.throwsAsync(PointInTimeBackend.open(h.store, 'pfx', 'vol1', { at: i.at }, { now }), { code: 'VTL_CDP_BEFORE_WINDOW' });
      refused++;
      continue;
    }
    // What restores is exactly the model at that instant.
    t.true(await fileEquals(out, imageAt(h, i.seq)), `instant ${i.at.toISOString()} (seq ${i.seq})`);
  }
  // Thinned-away instants are refused.
  t.true(refused >= 5, `${refused} refused`);
  await restoreWithDetail(h.store, 'pfx', 'vol1', { newest: true }, out, { now, sync: false });
  t.true(await fileEquals(out, imageAt(h, h.writes.length)));

  // Cut short after n operations, then run again: the same objects as one clean run.
  const r2 = rng(5);
  // ALL_CUTS=1: cut after every operation in turn (slow; the default samples).
  const cuts = process.env.ALL_CUTS ? Array.from({ length: counted.ops }, (_, i) => i + 1) : [1, 2, 3, ...Array.from({ length: 9 }, () => 4 + Math.floor(r2() * (counted.ops - 4)))];
  for (const n of cuts) {
    const s = await clone(before);
    // Cut short (a cut past the last operation is a clean run).
    await applyVolumeThinning({ store: failingAfter(s, n), prefix: 'pfx', action: actionOf(plan), audit: () => {}, log: quiet }).catch((e: Error) => t.regex(e.message, /injected failure/));
    await applyVolumeThinning({ store: s, prefix: 'pfx', action: actionOf(plan), audit: () => {}, log: quiet });
    const got = await keySet(s);
    t.deepEqual(got, after, `cut after ${n} operations: extra ${got.filter((k) => !after.includes(k)).join(' ')}; missing ${after.filter((k) => !got.includes(k)).join(' ')}`);
  }
});

test('held keys stay; a second pass on the new history frees what the built bases made useless', async (t) => {
  const h = await simulate(t);
  const plan = planThinning(policy, await loadHistory(h.store, 'pfx', 'vol1'), h.now);
  const journal = plan.delete.find((d) => d.kind === 'journal')!;
  const base = plan.delete.find((d) => d.kind === 'base');
  const held = [journal, ...(base === undefined ? [] : [base])].map((d) => ({ key: d.key, reason: 'restore in progress' }));
  const r = await applyVolumeThinning({ store: h.store, prefix: 'pfx', action: actionOf(plan, held), audit: () => {}, log: quiet });
  const keys = await keySet(h.store);
  // A held journal (and base) is neither deleted nor reported.
  for (const k of held) {
    t.true(keys.some((x) => x.startsWith(k.key)), k.key);
    t.false(r.deleted.some((x) => x.startsWith(k.key)));
  }
  const plan2 = planThinning(policy, await loadHistory(h.store, 'pfx', 'vol1'), h.now);
  // The points built in the first pass now exist: nothing left to build.
  t.true(plan2.basesNeeded.every((b) => b.exists), JSON.stringify(plan2.basesNeeded));
  const r2 = await applyVolumeThinning({ store: h.store, prefix: 'pfx', action: actionOf(plan2), audit: () => {}, log: quiet });
  // The journal that only fed those builds goes now.
  t.true(r2.deleted.some((k) => k.includes('/jnl/')));
  const dir = await tempDir(t);
  const out = join(dir, 'img');
  const lv = await loadVolume(h.store, 'pfx', 'vol1');
  for (const p of plan2.basesNeeded) {
    const ix = [...lv.indexes.values()].find((b) => b.pointSeq === p.seq && b.pointUs !== undefined);
    if (ix === undefined) continue;
    await restoreWithDetail(h.store, 'pfx', 'vol1', { at: new Date(Math.floor(ix.pointUs! / 1000) + 1) }, out, { now: () => h.now.getTime(), sync: false });
    // Kept points still restore exactly once the journal around them is gone.
    t.true(await fileEquals(out, imageAt(h, p.seq)), `point ${p.seq}`);
  }
  for (const m of h.marks.filter((m) => plan2.keep.some((k) => k.reason.includes(`bookmark ${m.name} `)))) {
    await restoreWithDetail(h.store, 'pfx', 'vol1', { bookmark: m.name }, out, { now: () => h.now.getTime(), sync: false });
    // Bookmarks still restore exactly after the second pass.
    t.true(await fileEquals(out, imageAt(h, m.seq)), m.name);
  }
});

test('objects of an unfinished base at a point seq: the point base goes to the next free seq and restores exactly', async (t) => {
  const h = await simulate(t);
  const plan = planThinning(policy, await loadHistory(h.store, 'pfx', 'vol1'), h.now);
  const p = plan.basesNeeded.find((b) => !b.exists)!;
  const dir = `pfx/cdp/vol1/base/${p.seq.toString(16).padStart(16, '0')}/`;
  for (let c = 0; c < 64; c++) await h.store.put(`${dir}${c.toString(16).padStart(8, '0')}.img`, Buffer.from('left by a base never finished'));
  const r = await applyVolumeThinning({ store: h.store, prefix: 'pfx', action: actionOf(plan), audit: () => {}, log: quiet });
  // The point is built all the same, under another key.
  t.true(r.built.includes(p.seq));
  const ix = [...(await loadVolume(h.store, 'pfx', 'vol1')).indexes.values()].find((b) => b.pointSeq === p.seq && b.builtFrom !== undefined)!;
  t.true(ix.seq < p.seq);
  const out = join(await tempDir(t), 'img');
  await restoreWithDetail(h.store, 'pfx', 'vol1', { at: new Date(Math.floor(ix.pointUs! / 1000) + 1) }, out, { now: () => h.now.getTime(), sync: false });
  // Its restore is the model's image at the point.
  t.true(await fileEquals(out, imageAt(h, p.seq)));
});
