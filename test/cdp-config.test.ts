import test from 'ava';
import { validateConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

const H = 3_600_000;
const D = 24 * H;

function withCdp(cdp: unknown): unknown {
  return { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'vol', size: '64MiB', cdp }] }] };
}

function settings(cdp: unknown) {
  return validateConfig(withCdp(cdp)).targets[0]!.disks[0]!.cdp;
}

function error(cdp: unknown): ConfigError {
  try {
    validateConfig(withCdp(cdp));
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('valid');
}

test('cdp: {} gives defaults that work', (t) => {
  t.deepEqual(settings({}), {
    shipIntervalMs: 1000,
    journalLimitBytes: 1024 ** 3,
    baseEveryBytes: 256 * 1024 ** 2,
    baseEveryMs: H,
    chunkBytes: 16 * 1024 ** 2,
    retention: { anyPointMs: 24 * H, tiers: [{ everyMs: H, forMs: 30 * D }, { everyMs: D, forMs: 365 * D }], bookmarksMs: 365 * D },
  });
});

test('a bare cdp: (null in YAML) is the same as cdp: {}', (t) => {
  t.deepEqual(settings(null), settings({}));
});

test('a disk without cdp: is a plain disk', (t) => {
  const c = validateConfig({ targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: '1MiB' }] }] });
  t.is(c.targets[0]!.disks[0]!.cdp, undefined);
});

test('every key is read with its unit', (t) => {
  const s = settings({
    shipInterval: '500ms', journalLimit: '2GiB', base: { afterJournal: '64MiB', every: '30m' }, chunkSize: '4MiB',
    keep: { all: '36h', daily: '90d', monthly: '12mo', bookmarks: '2y' },
  });
  t.deepEqual(s, {
    shipIntervalMs: 500, journalLimitBytes: 2 * 1024 ** 3, baseEveryBytes: 64 * 1024 ** 2, baseEveryMs: 30 * 60_000, chunkBytes: 4 * 1024 ** 2,
    retention: { anyPointMs: 36 * H, tiers: [{ everyMs: D, forMs: 90 * D }, { everyMs: 30 * D, forMs: 360 * D }], bookmarksMs: 730 * D },
  });
});

test('keep with only the any-point window: no tiers, bookmarks as long as the window', (t) => {
  t.deepEqual(settings({ keep: { all: '7d' } })!.retention, { anyPointMs: 7 * D, tiers: [], bookmarksMs: 7 * D });
});

test('bad values name their key', (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ shipInterval: '1' }, 'targets.0.disks.0.cdp.shipInterval', /not a duration/],
    [{ shipInterval: '10ms' }, 'targets.0.disks.0.cdp.shipInterval', /too short/],
    [{ journalLimit: 'lots' }, 'targets.0.disks.0.cdp.journalLimit', /not a size/],
    [{ journalLimit: '1MiB' }, 'targets.0.disks.0.cdp.journalLimit', /too small/],
    [{ chunkSize: '3MiB' }, 'targets.0.disks.0.cdp.chunkSize', /power of two/],
    [{ base: { every: '5x' } }, 'targets.0.disks.0.cdp.base.every', /not a duration/],
    [{ keep: { all: '24h', hourly: '12h' } }, 'targets.0.disks.0.cdp.keep.hourly', /longer than all/],
    [{ keep: { hourly: '30d', daily: '7d' } }, 'targets.0.disks.0.cdp.keep.daily', /longer than hourly/],
    [{ keep: { forever: '1y' } }, 'targets.0.disks.0.cdp.keep', /forever/],
    [{ shipinterval: '1s' }, 'targets.0.disks.0.cdp', /shipinterval/],
  ];
  for (const [cdp, key, message] of cases) {
    const e = error(cdp);
    t.is(e.key, key, JSON.stringify(cdp));
    t.regex(e.message, message, JSON.stringify(cdp));
  }
});
