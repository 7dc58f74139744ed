// A CDP volume's points from a synthetic history: the window's ends, the
// hourly points the thinning plan keeps beyond it, and bookmarks, each with
// its rule and until when.
import test from 'ava';
import type { VolumeHistory } from '../../src/cdp/types.ts';
import { cdpPoints, latestUntil } from '../../src/points/cdp-points.ts';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-12-01T00:00:00.000Z');
const now = new Date(t0 + 48 * HOUR);

/** One journal object per hour for 48 hours, one full base at the start. */
function history(): VolumeHistory {
  const journals = Array.from({ length: 48 }, (_, i) => ({
    key: `cdp/v/jnl/${i}`, firstSeq: i * 10 + 1, lastSeq: i * 10 + 10,
    firstTime: new Date(t0 + i * HOUR + 1000), lastTime: new Date(t0 + i * HOUR + 50 * 60_000), bytes: 100,
  }));
  return {
    volume: 'v', root: 'cdp/v/', sizeBytes: 1 << 20, blockSize: 512, chunkBytes: 1 << 16, journals,
    bases: [{ seq: 0, time: new Date(t0), keyPrefix: 'cdp/v/base/0/', chunks: 1, bytes: 10, full: true, dependsOn: [], minSeq: 0, maxSeq: 0, pointSeq: 0 }],
    bookmarks: [
      { name: 'old', seq: 15n, time: new Date(t0 + HOUR + 30 * 60_000) },
      { name: 'fresh', seq: 475n, time: new Date(t0 + 47 * HOUR + 30 * 60_000) },
    ],
  };
}

const policy = { anyPointMs: 24 * HOUR, tiers: [{ everyMs: HOUR, forMs: 36 * HOUR }], bookmarksMs: 40 * HOUR };

test('window ends, hourly points beyond the window, bookmarks: each with its rule and until when', (t) => {
  const points = cdpPoints({ volume: 'v', windowStart: '2026-12-02T00:00:00.000Z', windowEnd: '2026-12-02T23:50:00.000Z', history: history(), policy }, now);
  const byKind = (k: string) => points.filter((p) => p.kind === k);
  t.log('The window\'s ends are kept by keep.all, for 24h from their instant.');
  t.deepEqual(byKind('window-start').map((p) => [p.time, p.keptUntil]), [['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']]);
  t.regex(byKind('window-end')[0]!.keptBy, /^any-point window \(keep\.all 1d\)/);
  t.log('Hourly points cover the 12 hours beyond the window that the 36h tier reaches (now - 36h .. now - 24h).');
  const tiers = byKind('tier');
  t.deepEqual([tiers.length, tiers[0]!.time, tiers.at(-1)!.time], [11, '2026-12-01T12:50:00.000Z', '2026-12-01T22:50:00.000Z'], 'snapped to the end of the journal object before each hour');
  t.true(tiers.every((p) => /hourly point \d+ of \d+/.test(p.keptBy) && p.keptUntil !== null && p.keptUntil > now.toISOString()));
  t.log('Bookmarks: one expired (kept 40h, made 46.5h ago), one kept.');
  t.deepEqual(byKind('bookmark').map((p) => [p.label, p.keptUntil, /expired/.test(p.keptBy)]), [
    ['old', '2026-12-02T17:30:00.000Z', true],
    ['fresh', '2026-12-04T15:30:00.000Z', false],
  ]);
  t.true(points.every((p) => p.source === 'cdp' && p.app === 'cdp' && p.volume === 'v' && p.barcode === null));
  t.deepEqual(points.map((p) => p.time), [...points.map((p) => p.time)].sort(), 'oldest first');
});

test('a volume without a policy in the configuration lists its window and bookmarks, with no until', (t) => {
  const points = cdpPoints({ volume: 'v', windowStart: null, windowEnd: null, history: history() }, now);
  t.deepEqual(points.map((p) => [p.kind, p.keptUntil]), [['bookmark', null], ['bookmark', null]]);
});

test('latestUntil takes the latest of several rules', (t) => {
  t.is(latestUntil('hourly point 3 of 24 (2026-12-01T00:00:00.000Z), kept until 2026-12-02T00:00:00.000Z; bookmark x until 2027-01-01T00:00:00.000Z'), '2027-01-01T00:00:00.000Z');
  t.is(latestUntil('nothing'), null);
});
