// What survives a close and reopen, and what survives a crash (kill -9 is
// simulated by abandon(): file handles released, nothing sealed or committed).

import test from 'ava';
import { appendFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { BARCODE, block, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';
import { TRASH_DIR } from '../../tapes/staging-segment.ts';

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `b${from + i}`);

test('data, filemarks and attributes survive close and reopen', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 150);
  await c.writeFilemarks(2);
  await c.writeAttribute(0x0800, Buffer.from('s3vtl'));
  await c.close();
  const d = await f.open();
  // Reopened at BOP with the same EOD and bytes.
  t.deepEqual(d.position(), { objectId: 0, fileNumber: 0, eodObjectId: 152 });
  t.is(d.usedBytes(), 150 * 1024);
  // Every object reads back in order.
  t.deepEqual(await readAll(d), [...numbered(0, 150), 'F', 'F']);
  // The attribute is there.
  t.deepEqual(d.readAttribute(0x0800), Buffer.from('s3vtl'));
  await d.close();
  await f.cleanup();
});

test('close leaves the staging area empty and the store with segments and manifests', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 200);
  await c.close();
  // Nothing remains in staging (files being unlinked in the background are in the trash).
  t.deepEqual(await staged(f.stagingDir), []);
  const keys = f.store.keys();
  // Segments are named <first>-<seq> in fixed-width hex, in order.
  const segs = keys.filter((k) => k.includes('/seg/'));
  t.true(segs.length >= 3);
  t.regex(segs[0]!, /^vtl\/tapes\/TST001L6\/seg\/0{16}-[0-9a-f]{8}\.seg$/);
  // The newest manifest names EOD 200.
  t.is(c.manifest.eodObjectId, 200);
  await f.cleanup();
});

test('an overwrite in the middle persists as a cut manifest without rewriting objects', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 200);
  await c.close();
  const before = f.store.keys().filter((k) => k.includes('/seg/'));
  const d = await f.open();
  await d.locate(100);
  await writeBlocks(d, 5000, 5003);
  await d.close();
  const e = await f.open();
  // EOD is 103: 100 old blocks, 3 new.
  t.is(e.position().eodObjectId, 103);
  t.deepEqual((await readAll(e)).slice(98), ['b98', 'b99', 'b5000', 'b5001', 'b5002']);
  // Every segment object written before is still there, unchanged in name.
  const after = f.store.keys();
  t.true(before.every((k) => after.includes(k)));
  // The segment holding object 100 is listed with a shorter valid prefix.
  const cut = e.manifest.segments.find((s) => s.first < 100 && s.first + s.records > 100);
  t.truthy(cut);
  t.is(cut!.first + cut!.count, 100);
  await e.close();
  await f.cleanup();
});

test('crash: everything before the last flush is recovered, nothing after is corrupt', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 50);
  await c.flush();
  await writeBlocks(c, 50, 70);
  await c.abandon();
  const d = await f.open();
  // Exactly the 50 flushed blocks are on the tape (one big open segment, never sealed).
  t.is(d.position().eodObjectId, 50);
  t.deepEqual(await readAll(d), numbered(0, 50));
  await d.close();
  await f.cleanup();
});

test('crash with several sealed segments: the recovered tape is a readable prefix', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 300);
  await c.flush();
  await writeBlocks(c, 300, 320);
  await c.abandon();
  const d = await f.open();
  const eod = d.position().eodObjectId;
  // At least the flushed 300 blocks are there.
  t.true(eod >= 300 && eod <= 320);
  // Every object up to EOD reads back correctly.
  t.deepEqual(await readAll(d), numbered(0, eod));
  await d.close();
  await f.cleanup();
});

test('crash after an overwrite: the cut is recovered', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 150);
  await c.close();
  const d = await f.open();
  await d.locate(10);
  await writeBlocks(d, 900, 905);
  await d.flush();
  await d.abandon();
  const e = await f.open();
  // The tape is 10 old blocks then 5 new ones.
  t.is(e.position().eodObjectId, 15);
  t.deepEqual(await readAll(e), [...numbered(0, 10), ...numbered(900, 905)]);
  await e.close();
  await f.cleanup();
});

test('crash: garbage past the flushed length of the open segment is discarded', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 5);
  await c.flush();
  await c.abandon();
  const dir = path.join(f.stagingDir, BARCODE);
  const seg = (await readdir(dir)).find((n) => n.endsWith('.seg'))!;
  await appendFile(path.join(dir, seg), Buffer.alloc(5000, 0xee));
  const d = await f.open();
  // Five blocks, then EOD; the garbage was cut off.
  t.deepEqual(await readAll(d), numbered(0, 5));
  await writeBlocks(d, 5, 7);
  await d.rewind();
  // Appending after recovery continues cleanly.
  t.deepEqual(await readAll(d), numbered(0, 7));
  await d.close();
  await f.cleanup();
});

test('crash: a torn final journal line falls back to the previous sync point', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 5);
  await c.flush();
  await c.abandon();
  await appendFile(path.join(f.stagingDir, BARCODE, 'journal.log'), '{"base":1,"keep":0,"pend');
  const d = await f.open();
  // The five flushed blocks are recovered.
  t.deepEqual(await readAll(d), numbered(0, 5));
  await d.close();
  await f.cleanup();
});

test('crash with uploads stalled: sealed segments are uploaded on reopen', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  f.store.failPuts = 1_000_000;
  await writeBlocks(c, 0, 200);
  await c.flush();
  await c.abandon();
  f.store.failPuts = 0;
  const d = await f.open();
  // All 200 blocks are back (from staging).
  t.deepEqual(await readAll(d), numbered(0, 200));
  await d.close();
  const e = await f.open();
  // After close everything is in the store: the manifest names all 200.
  t.is(e.manifest.eodObjectId, 200);
  t.deepEqual(await staged(f.stagingDir), [BARCODE]);
  await e.close();
  await f.cleanup();
});

test('crash: an open segment bigger than the recovery window is scanned in pieces', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  // 6 MiB of 300 KiB blocks: more than one 4 MiB scan window, records straddling it.
  for (let n = 0; n < 20; n++) await c.write(block(n, 300 * 1024), 300 * 1024);
  await c.flush();
  await c.abandon();
  const d = await f.open();
  // All twenty blocks come back intact.
  t.deepEqual(await readAll(d), numbered(0, 20));
  await d.close();
  await f.cleanup();
});

test('crash: a record larger than the recovery window is recovered', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  // Two 5 MiB blocks: each bigger than the 4 MiB scan window.
  for (let n = 0; n < 2; n++) await c.write(block(n, 5 << 20), 5 << 20);
  await c.flush();
  await c.abandon();
  const d = await f.open();
  // Both come back.
  t.deepEqual(await readAll(d), numbered(0, 2));
  await d.close();
  await f.cleanup();
});

test('many sync points: the compacted journal still recovers the last one', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20, journalCompactAfter: 8 });
  const c = await f.open();
  // More sync points than the journal keeps before rewriting itself (8 here).
  for (let n = 0; n < 20; n++) {
    await c.write(block(n, 512), 512);
    await c.flush();
  }
  await c.abandon();
  const d = await f.open();
  // Every flushed block is recovered.
  t.is(d.position().eodObjectId, 20);
  t.deepEqual(await readAll(d), numbered(0, 20));
  await d.close();
  await f.cleanup();
});

test('segments an overwrite cut away leave the store once no kept manifest names them', async (t) => {
  const f = await makeFixture({ keepManifests: 2 });
  const c = await f.open();
  await writeBlocks(c, 0, 200);
  await c.flush();
  const segKeys = (): string[] => f.store.keys().filter((k) => k.includes('/seg/'));
  // Let the first pass reach the store.
  await c.rewind();
  const first = new Set(segKeys());
  t.true(first.size >= 3);
  // Overwrite from BOT with enough to commit more than two new manifest versions.
  await writeBlocks(c, 1000, 1200);
  await c.close();
  const left = segKeys().filter((k) => first.has(k));
  // Every segment of the first pass is gone (the two kept manifests name only the new ones).
  t.deepEqual(left, []);
  const names = new Set(c.manifest.segments.map((s) => s.key));
  t.deepEqual(segKeys().sort(), [...names].sort());
  const d = await f.open();
  t.deepEqual(await readAll(d), numbered(1000, 1200));
  await d.close();
  await f.cleanup();
});

test('segments cut away before an unload leave the store when a later load prunes their last manifest', async (t) => {
  const f = await makeFixture({ keepManifests: 4 });
  const segKeys = (): string[] => f.store.keys().filter((k) => k.includes('/seg/'));
  const c = await f.open();
  await writeBlocks(c, 0, 200);
  await c.close();
  const first = new Set(segKeys());
  // Overwrite from BOT with a few blocks: fewer new versions than are kept, so nothing is deleted yet.
  const d = await f.open();
  await writeBlocks(d, 1000, 1005);
  await d.close();
  const cut = d.manifest.cutAway ?? [];
  t.true(cut.length >= 3, `the manifest carries the cut-away segments: ${cut.length}`);
  t.true(cut.every((x) => first.has(x.key)));
  t.true(segKeys().some((k) => first.has(k)), 'still named by kept versions');
  // A later load goes on committing: the versions that named them are pruned, and they go with them.
  const e = await f.open();
  await e.spaceToEndOfData();
  await writeBlocks(e, 1005, 1200);
  await e.close();
  t.deepEqual(segKeys().filter((k) => first.has(k)), []);
  t.is(e.manifest.cutAway, undefined);
  const g = await f.open();
  t.deepEqual(await readAll(g), numbered(1000, 1200));
  await g.close();
  await f.cleanup();
});

/** The staging area's entries but its trash. */
async function staged(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== TRASH_DIR);
}
