// restoreState: how a manifest and the staging journal combine after a crash.

import test from 'ava';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { restoreState } from '../../tapes/cartridge-recovery.ts';
import { CartridgeError } from '../../tapes/errors.ts';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, type Manifest, type ManifestSegment } from '../../tapes/manifest.ts';
import { RecordKind } from '../../tapes/record-format.ts';
import { segmentFileName } from '../../tapes/segment-pipeline.ts';
import { StagingSegment } from '../../tapes/staging-segment.ts';

const key = (f: number, s: number): string => `t/seg/${f}-${s}`;

const manifest = (version: number, segments: ManifestSegment[], filemarks: number[] = []): Manifest => ({
  format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode: 'REC001L6', version, createdAt: '2026-01-01T00:00:00Z',
  medium: { mediaType: 'LTO-6', capacityBytes: 2 ** 30, worm: false, pool: null }, segments, filemarks,
  eodObjectId: segments.reduce((n, s) => n + s.count, 0), usedBytes: segments.reduce((n, s) => n + s.dataBytes, 0),
  attributes: {}, nextSeq: 10,
});

const seg = (seq: number, first: number, count: number): ManifestSegment => ({
  seq, key: key(first, seq), first, records: count, count, dataBytes: count * 100, size: 1, indexOffset: 1,
});

/** A staging file for segment `seq` with `blocks` 100-byte blocks, synced. */
async function stage(dir: string, seq: number, first: number, blocks: number, seal: boolean): Promise<number> {
  const s = await StagingSegment.create(path.join(dir, segmentFileName(seq)), seq, first, 1 << 16);
  for (let i = 0; i < blocks; i++) await s.append(RecordKind.DATA, Buffer.alloc(100, i));
  if (seal) await s.seal();
  else await s.sync();
  const bytes = s.synced.bytes;
  await s.close();
  return bytes;
}

test('journal relative to the newest manifest: committed prefix plus pending segments', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const bytes = await stage(dir, 3, 10, 4, false);
  const m = manifest(2, [seg(1, 0, 5), seg(2, 5, 5)]);
  const r = await restoreState('REC001L6', m, { base: 2, keep: 2, pending: [{ seq: 3, first: 10, count: 4, bytes, sealed: false }], attributes: {}, nextSeq: 4 }, dir, 1 << 16, key);
  // Two committed segments and the open one: EOD 14.
  t.is(r.model.eod, 14);
  t.deepEqual(r.model.segments.map((s) => [s.seq, s.state]), [[1, 'committed'], [2, 'committed'], [3, 'open']]);
  for (const s of r.model.segments) await s.staging?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a segment that was sealing behind the writes is sealed on recovery; only the last one stays open', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const a = await stage(dir, 3, 10, 4, false);
  const b = await stage(dir, 4, 14, 2, false);
  const m = manifest(2, [seg(1, 0, 5), seg(2, 5, 5)]);
  const pending = [{ seq: 3, first: 10, count: 4, bytes: a, sealed: false }, { seq: 4, first: 14, count: 2, bytes: b, sealed: false }];
  const r = await restoreState('REC001L6', m, { base: 2, keep: 2, pending, attributes: {}, nextSeq: 5 }, dir, 1 << 16, key);
  // Segment 3 is sealed (it will upload), segment 4 takes further writes: EOD 16.
  t.is(r.model.eod, 16);
  t.deepEqual(r.model.segments.map((s) => [s.seq, s.state]), [[1, 'committed'], [2, 'committed'], [3, 'sealed'], [4, 'open']]);
  t.truthy(r.model.segments[2]!.staging!.sealed);
  for (const s of r.model.segments) await s.staging?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a journaled cut trims the committed tape', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const m = manifest(2, [seg(1, 0, 5), seg(2, 5, 5)], [2, 7]);
  const r = await restoreState('REC001L6', m, { base: 2, keep: 1, trimmed: { seq: 1, count: 3, dataBytes: 300 }, pending: [], attributes: {}, nextSeq: 3 }, dir, 1 << 16, key);
  // Only the first three objects remain; the filemark at 7 is gone, the one at 2 stays.
  t.is(r.model.eod, 3);
  t.deepEqual(r.model.filemarks, [2]);
  t.is(r.model.usedBytes, 300);
  await rm(dir, { recursive: true, force: true });
});

test('crash between manifest and journal rebase: pending segments the manifest names are not applied twice', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const b2 = await stage(dir, 2, 5, 5, true);
  const b3 = await stage(dir, 3, 10, 2, false);
  // Manifest 3 already committed segment 2; the journal is still relative to 2.
  const m = manifest(3, [seg(1, 0, 5), seg(2, 5, 5)]);
  const r = await restoreState('REC001L6', m, {
    base: 2, keep: 1, pending: [{ seq: 2, first: 5, count: 5, bytes: b2, sealed: true }, { seq: 3, first: 10, count: 2, bytes: b3, sealed: false }],
    attributes: {}, nextSeq: 4,
  }, dir, 1 << 16, key);
  // Segment 2 comes from the manifest, segment 3 from staging: EOD 12.
  t.deepEqual(r.model.segments.map((s) => [s.seq, s.state]), [[1, 'committed'], [2, 'committed'], [3, 'open']]);
  t.is(r.model.eod, 12);
  // The staging file of segment 2 is no longer needed and was removed.
  t.deepEqual(await readdir(dir), [segmentFileName(3)]);
  for (const s of r.model.segments) await s.staging?.close();
  await rm(dir, { recursive: true, force: true });
});

test('crash right after a commit that went past refused manifest versions: the manifest\'s base matches the journal', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const b2 = await stage(dir, 2, 5, 5, true);
  // Opened from version 4 (5 and 6 were refused), committed 7 on top of it, crashed before the journal followed.
  const m = { ...manifest(7, [seg(1, 0, 5), seg(2, 5, 5)]), base: 4 };
  const r = await restoreState('REC001L6', m, {
    base: 4, keep: 1, pending: [{ seq: 2, first: 5, count: 5, bytes: b2, sealed: true }], attributes: {}, nextSeq: 3,
  }, dir, 1 << 16, key);
  t.deepEqual(r.model.segments.map((s) => [s.seq, s.state]), [[1, 'committed'], [2, 'committed']]);
  t.is(r.model.eod, 10);
  await rm(dir, { recursive: true, force: true });
});

test('a journal from another lineage is refused', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const m = manifest(7, [seg(1, 0, 5)]);
  // Base 3 against manifest 7: someone else wrote the cartridge.
  await t.throwsAsync(restoreState('REC001L6', m, { base: 3, keep: 1, pending: [], attributes: {}, nextSeq: 2 }, dir, 1 << 16, key), {
    instanceOf: CartridgeError, code: 'VTL_CARTRIDGE_STAGING',
  });
  await rm(dir, { recursive: true, force: true });
});

test('staging files the journal does not name are deleted', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  await writeFile(path.join(dir, segmentFileName(9)), Buffer.alloc(10));
  await restoreState('REC001L6', manifest(1, []), undefined, dir, 1 << 16, key);
  // The stray segment file is gone.
  t.deepEqual(await readdir(dir), []);
  await rm(dir, { recursive: true, force: true });
});

test('a sealed pending segment gets its object key back', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const bytes = await stage(dir, 2, 0, 3, true);
  const r = await restoreState('REC001L6', manifest(1, []), { base: 1, keep: 0, pending: [{ seq: 2, first: 0, count: 3, bytes, sealed: true }], attributes: {}, nextSeq: 3 }, dir, 1 << 16, key);
  // Ready to be uploaded again under its <first>-<last>-<seq> key.
  t.is(r.model.segments[0]?.key, key(0, 2));
  t.is(r.model.segments[0]?.state, 'sealed');
  for (const s of r.model.segments) await s.staging?.close();
  await rm(dir, { recursive: true, force: true });
});

test('an empty open segment the journal names but whose file is gone does not make the cartridge unloadable', async (t) => {
  // Found by integration/3200-crash-safety: recovery deleted an empty open
  // segment's file without a new journal entry, the gateway crashed again,
  // and the next open failed with ENOENT for good.
  const dir = await mkdtemp(path.join(tmpdir(), 'rec-'));
  const later = await stage(dir, 6, 7, 0, false); // a newer file the journal never named
  const journal = {
    base: 2, keep: 1, pending: [{ seq: 5, first: 7, count: 0, bytes: 32, sealed: false }], attributes: {}, nextSeq: 6,
  };
  const state = await restoreState('REC001L6', manifest(2, [seg(4, 0, 7)]), journal, dir, 1 << 16, key);
  // The tape is the committed manifest; nothing staged survives, no file is left behind.
  t.is(state.model.eod, 7);
  t.is(state.model.segments.length, 1);
  t.true(later > 0);
  t.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.seg')), []);
  await rm(dir, { recursive: true, force: true });
});
