import test from 'ava';
import type { VolumeHistory } from '../../src/cdp/types.ts';
import { planRetention } from '../../src/retention/plan.ts';
import type { RetentionCartridge, RetentionPolicies } from '../../src/retention/types.ts';

const D = 86_400_000;
const NOW = new Date('2027-01-01T00:00:00Z');
const policies: RetentionPolicies = {
  pools: {
    rec: { keepMs: 30 * D, from: 'last-write', then: 'recycle' },
    arc: { keepMs: 30 * D, from: 'last-write', then: 'archive' },
    off: { keepMs: 30 * D, from: 'export', then: 'delete' },
  },
  volumes: { vm: { anyPointMs: D, tiers: [], bookmarksMs: D } },
  warnings: ['a config warning'],
};

const tape = (barcode: string, pool: string, o: Partial<RetentionCartridge> = {}): RetentionCartridge => ({
  barcode, pool, state: 'full', worm: false, bytes: 1000, lastWrittenAt: new Date('2026-11-01T00:00:00Z'), exportedAt: null,
  lockedUntil: null, archive: null, loadedIn: null, reserved: false, readers: [], ...o,
});

test('reasons name the rule, its dates and the pool; early deletion is postponed with a warning', (t) => {
  const plan = planRetention({
    now: NOW, policies, volumes: [],
    cartridges: [
      tape('A00001L6', 'rec', { lockedUntil: new Date('2027-01-10T00:00:00Z') }),
      tape('A00002L6', 'rec', { readers: ['retrieve of A00002L6'] }),
      tape('A00003L6', 'arc', { worm: true }),
      tape('A00004L6', 'rec', { worm: true }),
      tape('A00005L6', 'off', { exportedAt: new Date('2026-11-15T00:00:00Z'), state: 'archived', archive: { storageClass: 'DEEP_ARCHIVE', since: new Date('2026-11-15T00:00:00Z') } }),
      tape('A00006L6', 'off', { exportedAt: new Date('2026-06-01T00:00:00Z'), state: 'archived', archive: { storageClass: 'GLACIER', since: new Date('2026-06-01T00:00:00Z') } }),
      tape('A00007L6', 'lost'),
      tape('A00008L6', 'arc', { state: 'archived', exportedAt: new Date('2026-11-10T00:00:00Z') }),
    ],
  });
  t.deepEqual(plan.cartridges.map((a) => [a.barcode, a.kind, a.reason]), [
    ['A00001L6', 'hold', 'held: object lock until 2027-01-10 (expired: last write 2026-11-01 + 30d)'],
    ['A00002L6', 'hold', 'held: restore in progress (retrieve of A00002L6) (expired: last write 2026-11-01 + 30d)'],
    ['A00003L6', 'archive', 'expired: last write 2026-11-01 + 30d'],
    ['A00004L6', 'keep', 'kept: WORM cartridge, never erased (expired: last write 2026-11-01 + 30d)'],
    ['A00005L6', 'hold', 'held: DEEP_ARCHIVE minimum of 180 days until 2027-05-14 (expired: export 2026-11-15 + 30d)'],
    ['A00006L6', 'delete', 'expired: export 2026-06-01 + 30d'],
    ['A00007L6', 'keep', 'kept: pool lost has no retention'],
    ['A00008L6', 'keep', 'kept: already on the shelf (expired: last write 2026-11-01 + 30d)'],
  ]);
  t.deepEqual(plan.warnings, [
    'a config warning',
    "A00005L6: delete postponed to 2027-05-14: deleting it now would pay DEEP_ARCHIVE's early-deletion charge for 133 more days (180-day minimum from 2026-11-15)",
    'pool lost of some cartridges is not in the config: they are kept',
  ]);
  t.deepEqual(plan.freed.pools, { rec: 0, arc: 0, off: 1000 });
});

test('a volume: what an exposed LUN reads is held, not deleted; a volume not in the config is kept whole', (t) => {
  const H = 3_600_000;
  const t0 = NOW.getTime() - 10 * D;
  const h: VolumeHistory = { volume: 'vm', root: 'p/cdp/vm/', sizeBytes: 1, blockSize: 512, chunkBytes: 1, journals: [], bases: [], bookmarks: [] };
  for (let i = 0; i < 80; i++) h.journals.push({ key: `p/cdp/vm/jnl/${i}`, firstSeq: i * 10 + 1, lastSeq: i * 10 + 10, firstTime: new Date(t0 + i * 3 * H), lastTime: new Date(t0 + i * 3 * H + 3 * H - 1), bytes: 100 });
  for (const seq of [0, 200, 400, 600]) h.bases.push({ seq, time: new Date(t0), keyPrefix: `p/cdp/vm/base/${seq}/`, chunks: 1, bytes: 1000, full: true, dependsOn: [seq], minSeq: seq, maxSeq: seq, pointSeq: seq });
  const bare = planRetention({ now: NOW, policies, cartridges: [], volumes: [{ volume: 'vm', history: h, readers: [] }, { volume: 'stray', history: { ...h, volume: 'stray' }, readers: [] }] });
  const read = planRetention({ now: NOW, policies, cartridges: [], volumes: [{ volume: 'vm', history: h, readers: [{ seq: 250, baseSeq: 200, what: 'exposed point-in-time LUN 2 at 2026-12-24T06:00:00.000Z' }] }] });
  const bareDel = new Set(bare.volumes[0]!.plan.delete.map((d) => d.key));
  t.true(bareDel.has('p/cdp/vm/base/200/'));
  t.true(bareDel.has('p/cdp/vm/jnl/20'));
  // The LUN at seq 250 reads base 200 and the journal objects holding seqs 201-250.
  const held = read.volumes[0]!.held;
  t.deepEqual(held.map((x) => x.key).sort(), ['p/cdp/vm/base/200/', 'p/cdp/vm/jnl/20', 'p/cdp/vm/jnl/21', 'p/cdp/vm/jnl/22', 'p/cdp/vm/jnl/23', 'p/cdp/vm/jnl/24'].sort());
  t.true(held.every((x) => x.reason === 'held: exposed point-in-time LUN 2 at 2026-12-24T06:00:00.000Z'));
  t.false(read.volumes[0]!.plan.delete.some((d) => held.some((x) => x.key === d.key)));
  t.is(read.volumes[0]!.bytesFreed, bare.volumes[0]!.bytesFreed - 1000 - 5 * 100);
  t.deepEqual(bare.volumes.map((v) => v.volume), ['vm']);
  t.true(bare.warnings.includes('CDP volume stray is in the store but not in the config: its history is kept whole'));
});
