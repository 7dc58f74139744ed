import test from 'ava';
import { type SegmentRef, TapeModel, lowerBound } from '../../tapes/tape-model.ts';

// A tape of 10 objects: blocks, filemarks at 3 and 6, EOD at 10, in two segments.
function model(): TapeModel {
  const m = new TapeModel();
  const ref = (seq: number, first: number, count: number): SegmentRef => ({
    seq, first, key: `k${seq}`, records: count, count, dataBytes: count * 100, size: 0, indexOffset: 0,
    state: 'committed', staging: undefined, dropped: false,
  });
  m.addSegment(ref(1, 0, 5), [3]);
  m.addSegment(ref(2, 5, 5), [6]);
  return m;
}

test('lowerBound finds the first element not below x', (t) => {
  // 5 would go at index 2 of [1, 3, 5, 7]; 8 after the end.
  t.is(lowerBound([1, 3, 5, 7], 5), 2);
  t.is(lowerBound([1, 3, 5, 7], 8), 4);
});

test('find maps an object id to its segment and record', (t) => {
  const m = model();
  const hit = m.find(7);
  // Object 7 is record 2 of the second segment.
  t.is(hit.ref.seq, 2);
  t.is(hit.record, 2);
});

test('file number counts filemarks before the position', (t) => {
  const m = model();
  // Before object 3 no filemark has passed; after it one; after 6 two.
  t.deepEqual([m.fileNumber(3), m.fileNumber(4), m.fileNumber(7)], [0, 1, 2]);
});

test('spacing blocks forward stops after a filemark', (t) => {
  // From 1, five blocks would cross the filemark at 3: stop after it, 2 blocks spaced.
  t.deepEqual(model().spaceBlocks(1, 5), { position: 4, spaced: 2, stoppedBy: 'filemark' });
});

test('spacing blocks backward stops before a filemark', (t) => {
  // From 6 (just before the second filemark), back 3 crosses the filemark at 3: stop at 3, 2 spaced.
  t.deepEqual(model().spaceBlocks(6, -3), { position: 3, spaced: 2, stoppedBy: 'filemark' });
});

test('spacing blocks forward stops at EOD', (t) => {
  // From 7, 10 blocks reach EOD after 3.
  t.deepEqual(model().spaceBlocks(7, 10), { position: 10, spaced: 3, stoppedBy: 'end-of-data' });
});

test('spacing blocks backward stops at BOP', (t) => {
  // From 2, back 5 reaches BOP after 2.
  t.deepEqual(model().spaceBlocks(2, -5), { position: 0, spaced: 2, stoppedBy: 'beginning-of-partition' });
});

test('spacing filemarks forward lands after the n-th filemark', (t) => {
  // From 0, two filemarks: after the one at 6.
  t.deepEqual(model().spaceFilemarks(0, 2), { position: 7, spaced: 2 });
});

test('spacing filemarks forward past the last stops at EOD', (t) => {
  // From 0, three filemarks: only two exist.
  t.deepEqual(model().spaceFilemarks(0, 3), { position: 10, spaced: 2, stoppedBy: 'end-of-data' });
});

test('spacing filemarks backward lands before the n-th previous filemark', (t) => {
  // From 9, back one: before the filemark at 6; back two: before the one at 3.
  t.deepEqual(model().spaceFilemarks(9, -1), { position: 6, spaced: 1 });
  t.deepEqual(model().spaceFilemarks(9, -2), { position: 3, spaced: 2 });
});

test('spacing filemarks backward past the first stops at BOP', (t) => {
  // From 5, back two: only one filemark before.
  t.deepEqual(model().spaceFilemarks(5, -2), { position: 0, spaced: 1, stoppedBy: 'beginning-of-partition' });
});

test('a cut drops later segments, trims the one holding the point and the filemarks after it', (t) => {
  const m = model();
  const dropped = m.cut(4, (_ref, n) => n * 100);
  // The second segment is dropped; the first keeps 4 records.
  t.deepEqual(dropped.map((r) => r.seq), [2]);
  t.is(m.segments[0]!.count, 4);
  // EOD moves to 4, the filemark at 6 is gone, used bytes shrink.
  t.is(m.eod, 4);
  t.deepEqual(m.filemarks, [3]);
  t.is(m.usedBytes, 400);
});
