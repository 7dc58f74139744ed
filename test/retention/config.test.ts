import test from 'ava';
import { validateConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { retentionPolicies } from '../../src/retention/policies.ts';

const D = 86_400_000;
const targets = [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: '1MiB' }] }];

function refusal(doc: Record<string, unknown>): { key: string; message: string } | undefined {
  try {
    validateConfig({ targets, ...doc });
  } catch (e) {
    if (e instanceof ConfigError) return { key: e.key, message: e.message };
    throw e;
  }
  return undefined;
}

test('pools.NAME.retention parses keep, from (default last-write) and then', (t) => {
  const c = validateConfig({ targets, pools: { daily: { retention: { keep: '30d', then: 'recycle' } }, off: { retention: { keep: '1y', from: 'export', then: 'delete' } } } });
  t.deepEqual(c.pools['daily']!.retention, { keepMs: 30 * D, from: 'last-write', then: 'recycle' });
  t.deepEqual(c.pools['off']!.retention, { keepMs: 365 * D, from: 'export', then: 'delete' });
  t.deepEqual(c.retention, { everyMs: 3_600_000 });
});

test('bad retention values name the key and the reason', (t) => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ pools: { p: { retention: { keep: '30 days', then: 'recycle' } } } }, 'pools.p.retention.keep', /not a duration/],
    [{ pools: { p: { retention: { keep: '10m', then: 'recycle' } } } }, 'pools.p.retention.keep', /too short/],
    [{ pools: { p: { retention: { keep: '30d', then: 'shred' } } } }, 'pools.p.retention.then', /recycle|archive|delete/],
    [{ pools: { p: { retention: { keep: '30d' } } } }, 'pools.p.retention.then', /./],
    [{ pools: { p: { retention: { keep: '30d', from: 'creation', then: 'delete' } } } }, 'pools.p.retention.from', /last-write|export/],
    [{ pools: { p: { retention: { keep: '30d', then: 'delete', after: '1d' } } } }, 'pools.p.retention', /unknown key after/],
    [{ retention: { every: 'hourly' } }, 'retention.every', /not a duration/],
    [{ retention: { every: '10s' } }, 'retention.every', /too short/],
    [{ retention: { every: 5 } }, 'retention.every', /not a duration/],
  ];
  for (const [doc, key, reason] of cases) {
    const r = refusal(doc);
    t.is(r?.key, key, JSON.stringify(doc));
    t.regex(r?.message ?? '', reason, JSON.stringify(doc));
  }
});

test('retention.every: off and 0 disable the scheduled pass', (t) => {
  t.deepEqual(validateConfig({ targets, retention: { every: 'off' } }).retention, { everyMs: 0 });
  t.deepEqual(validateConfig({ targets, retention: { every: 0 } }).retention, { everyMs: 0 });
  t.deepEqual(validateConfig({ targets, retention: { every: '15m' } }).retention, { everyMs: 900_000 });
});

test('retention that can never act as written is refused with the reason', (t) => {
  const exp = refusal({ pools: { p: { retention: { keep: '30d', from: 'export', then: 'archive' } } } });
  t.is(exp?.key, 'pools.p.retention.then');
  t.regex(exp!.message, /already on the shelf/);
  const locked = refusal({ pools: { p: { objectLock: { mode: 'COMPLIANCE', days: 90 }, retention: { keep: '30d', then: 'recycle' } } } });
  t.is(locked?.key, 'pools.p.retention.keep');
  t.regex(locked!.message, /30d is shorter than the pool's COMPLIANCE Object Lock of 90 days: nothing can recycle/);
  // As long as the lock, or archive (which erases nothing), is fine.
  t.is(refusal({ pools: { p: { objectLock: { mode: 'COMPLIANCE', days: 90 }, retention: { keep: '90d', then: 'delete' } } } }), undefined);
  t.is(refusal({ pools: { p: { objectLock: { mode: 'COMPLIANCE', days: 90 }, retention: { keep: '30d', then: 'archive' } } } }), undefined);
});

test('policies: pools with and without retention, CDP volumes from their keep, and warnings', (t) => {
  const c = validateConfig({
    targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'vol', size: '1MiB', cdp: { keep: { all: '2d', daily: '30d', bookmarks: '90d' } } }, { lun: 1, name: 'plain', size: '1MiB' }] }],
    pools: {
      gov: { objectLock: { mode: 'GOVERNANCE', days: 60 }, retention: { keep: '30d', then: 'delete' } },
      shelf: { retention: { keep: '30d', then: 'archive' } },
      forever: { compression: 'deflate' },
    },
  });
  const p = retentionPolicies({ ...c, store: 'file:///x' });
  t.deepEqual(Object.keys(p.pools).sort(), ['default', 'forever', 'gov', 'shelf']);
  t.is(p.pools['forever'], undefined);
  t.is(p.pools['default'], undefined);
  t.deepEqual(p.pools['shelf'], { keepMs: 30 * D, from: 'last-write', then: 'archive' });
  t.deepEqual(p.volumes, { vol: { anyPointMs: 2 * D, tiers: [{ everyMs: D, forMs: 30 * D }], bookmarksMs: 90 * D } });
  t.true(p.warnings!.some((w) => /pools\.gov\.retention: keep 30d is shorter than the GOVERNANCE Object Lock of 60 days/.test(w)));
  t.true(p.warnings!.some((w) => /pools\.shelf\.retention: then: archive on a directory store/.test(w)));
  t.false(retentionPolicies({ ...c, store: 's3://b/p' }).warnings!.some((w) => w.includes('directory store')));
});
