import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cartridge } from '../../tapes/cartridge.ts';
import { StagingBudget, StagingFullError } from '../../tapes/staging-budget.ts';
import { SegmentUploader, type TapesLog } from '../../tapes/uploader.ts';
import { BARCODE, block, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';
import { OutageStore } from './outage-store.ts';

const KiB = 1024;
const BLOCK = 16 * KiB;

interface Line { level: string; msg: string; meta: Record<string, unknown> | undefined }

function capture(): { log: TapesLog; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (msg: string, meta?: Record<string, unknown>) => void lines.push({ level, msg, meta });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A fixture over an OutageStore whose cartridges share one budget and one fast-retrying uploader. */
async function setup(budget: StagingBudget, extra: Record<string, unknown> = {}) {
  const store = new OutageStore();
  const uploader = new SegmentUploader(store, { backoffMs: 2, maxBackoffMs: 20 });
  const f = await makeFixture({ store, uploader, budget, commitBackoffMs: 2, ...extra });
  return { store, f };
}

/** Write 16 KiB blocks from `n` on until the budget is at its limit; returns the next block number. */
async function fill(c: Cartridge, budget: StagingBudget, n: number): Promise<number> {
  while (budget.usedBytes < budget.limitBytes) await c.write(block(n++, BLOCK), BLOCK);
  return n;
}

/** Waits for a condition the code under test reaches on its own; a generous bound, not a timing claim. */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
}
const expected = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `b${from + i}`);

test('staged bytes of two cartridges add up in one budget', async (t) => {
  const budget = new StagingBudget({ limitBytes: 1 << 30 });
  const { store, f } = await setup(budget);
  const a = await f.open();
  const b = await f.open({ barcode: 'TST002L6' });
  store.down = true;
  // 160 KiB on one cartridge (two sealed 64 KiB segments and an open one), 80 KiB on the other.
  await writeBlocks(a, 0, 10, BLOCK);
  await writeBlocks(b, 0, 5, BLOCK);
  const payload = 15 * BLOCK;
  t.true(budget.usedBytes >= payload, `${budget.usedBytes} staged`);
  // Record headers, segment headers and footers are the only extra.
  t.true(budget.usedBytes < payload + 8 * KiB, `${budget.usedBytes} staged`);
  store.down = false;
  await a.close();
  // Once the first cartridge is uploaded and unloaded only the second one's bytes count
  // (its full segment may be uploaded by now, its open one is not).
  t.true(budget.usedBytes >= BLOCK && budget.usedBytes < 5 * BLOCK + 4 * KiB, `${budget.usedBytes} staged`);
  await b.close();
  t.is(budget.usedBytes, 0);
  await f.cleanup();
});

test('a write over the limit waits, and proceeds once an upload frees room', async (t) => {
  const budget = new StagingBudget({ limitBytes: 128 * KiB, waitMs: 30_000 });
  const { store, f } = await setup(budget);
  const a = await f.open();
  store.down = true;
  const n = await fill(a, budget, 0);
  let done = false;
  const pending = a.write(block(n, BLOCK), BLOCK).then(() => {
    done = true;
  });
  // The write reaches the budget and waits there for room (however slow the machine).
  await until(() => budget.waiting === 1, 'the write waits on the budget');
  t.false(done);
  store.down = false;
  await pending;
  // With the store back, segments upload, the staging area shrinks and the write completes.
  t.true(done);
  t.true(budget.usedBytes < budget.limitBytes);
  await a.close();
  const r = await f.open();
  t.deepEqual(await readAll(r), expected(0, n + 1));
  await r.close();
  await f.cleanup();
});

test('a write that waits longer than waitMs fails with VTL_CARTRIDGE_STAGING_FULL and nothing of it is written', async (t) => {
  const { log, lines } = capture();
  const budget = new StagingBudget({ limitBytes: 64 * KiB, waitMs: 300, log });
  const { store, f } = await setup(budget);
  const a = await f.open();
  store.down = true;
  const n = await fill(a, budget, 0);
  const before = a.position();
  const t0 = Date.now();
  const err = await t.throwsAsync(a.write(block(n, BLOCK), BLOCK), { code: 'VTL_CARTRIDGE_STAGING_FULL' });
  // It waited about waitMs, and the error names the cartridge, the staged bytes and the limit.
  t.true(Date.now() - t0 >= 290);
  t.true(err instanceof StagingFullError);
  const full = err as StagingFullError;
  t.is(full.barcode, BARCODE);
  t.is(full.limitBytes, 64 * KiB);
  t.true(full.stagedBytes >= 64 * KiB);
  t.regex(full.message, new RegExp(`${BARCODE}: staging full: ${full.stagedBytes} bytes staged, limit ${64 * KiB}`));
  // The log line names barcode, staged bytes and limit.
  const line = lines.find((l) => l.level === 'error');
  t.like(line?.meta, { barcode: BARCODE, stagedBytes: full.stagedBytes, limitBytes: 64 * KiB });
  // Nothing of the refused write is on the tape: position and EOD did not move.
  t.deepEqual(a.position(), before);
  // Everything acknowledged before reaches the store once it is back.
  store.down = false;
  await a.close();
  const r = await f.open();
  t.deepEqual(await readAll(r), expected(0, n));
  await r.close();
  await f.cleanup();
});

test('a store failing many puts in a row (segments and manifests) loses nothing', async (t) => {
  const budget = new StagingBudget({ limitBytes: 256 * KiB, waitMs: 30_000 });
  const { store, f } = await setup(budget);
  const a = await f.open();
  store.failPuts = 60;
  const want: string[] = [];
  for (let n = 0; n < 200; n++) {
    await a.write(block(n, 4 * KiB), 4 * KiB);
    want.push(`b${n}`);
    if (n % 50 === 49) {
      await a.writeFilemarks(1);
      await a.flush();
      want.push('F');
    }
  }
  await a.close();
  // Every injected failure happened, and each was retried until it went through.
  t.is(store.failPuts, 0);
  t.is(store.refused, 60);
  // A gateway with an empty staging area reads everything back from the store.
  const other = await mkdtemp(path.join(tmpdir(), 'staging-'));
  const r = await f.open({ stagingDir: other });
  t.deepEqual(await readAll(r), want);
  await r.close();
  await rm(other, { recursive: true, force: true });
  await f.cleanup();
});

test('syncToStore: a sync point returns once the segment is uploaded and the manifest committed', async (t) => {
  const budget = new StagingBudget();
  const { store, f } = await setup(budget, { syncToStore: true, syncWaitMs: 30_000 });
  const a = await f.open();
  await writeBlocks(a, 0, 3);
  store.down = true;
  let done = false;
  const flushed = a.flush().then(() => {
    done = true;
  });
  // The sync point tried to upload and was refused: the store is down, it has not completed.
  const refused = store.refused;
  await until(() => store.refused > refused, 'an upload was attempted');
  t.false(done);
  store.down = false;
  await flushed;
  // Now the store holds the three blocks and the newest manifest names them.
  t.is(a.manifest.eodObjectId, 3);
  t.is(store.segments().length, 1);
  t.is(budget.usedBytes, 0);
  await a.close();
  await f.cleanup();
});

test('syncToStore: a sync point fails after syncWaitMs while the store is down, and the data stays staged', async (t) => {
  const budget = new StagingBudget();
  const { store, f } = await setup(budget, { syncToStore: true, syncWaitMs: 200 });
  const a = await f.open();
  await writeBlocks(a, 0, 3);
  store.down = true;
  await t.throwsAsync(a.flush(), { code: 'VTL_CARTRIDGE_STAGING', message: /sync to store/ });
  // The sealed segment is still staged and uploads once the store returns.
  t.true(budget.usedBytes > 0);
  store.down = false;
  // Unload waits for the store as long as it takes.
  await a.close();
  t.is(a.manifest.eodObjectId, 3);
  t.is(store.segments().length, 1);
  await f.cleanup();
});

test('a segment cut away while its upload retries stops retrying and frees its staging', async (t) => {
  const budget = new StagingBudget({ limitBytes: 1 << 30 });
  const { store, f } = await setup(budget);
  const a = await f.open();
  store.down = true;
  await writeBlocks(a, 0, 10, BLOCK);
  // Overwrite from BOP: every staged segment is dropped.
  await a.rewind();
  await a.write(block(100, BLOCK), BLOCK);
  await until(() => budget.usedBytes < 2 * BLOCK, 'the cut-away segments free their staging');
  store.down = false;
  await a.close();
  const r = await f.open();
  t.deepEqual(await readAll(r), ['b100']);
  await r.close();
  // Only the segment of the new data is in the store.
  t.is(store.segments().length, 1);
  await t.throwsAsync(stat(path.join(f.stagingDir, BARCODE, '00000001.seg')));
  await f.cleanup();
});

test('a manifest commit that fails on an unreachable store is retried, and unload waits for it', async (t) => {
  const budget = new StagingBudget();
  const { store, f } = await setup(budget);
  const a = await f.open();
  await writeBlocks(a, 0, 100, 4 * KiB);
  // Segments upload, but their manifests fail for a while.
  store.failManifestPuts = 8;
  await a.close();
  t.is(store.failManifestPuts, 0);
  const r = await f.open();
  t.deepEqual(await readAll(r), expected(0, 100));
  await r.close();
  await f.cleanup();
});

test('a PUT that landed but whose response was lost is recognised on retry (segments and manifests)', async (t) => {
  const budget = new StagingBudget();
  const { store, f } = await setup(budget);
  const a = await f.open();
  store.loseResponses = 6;
  await writeBlocks(a, 0, 100, 4 * KiB);
  await a.close();
  // Every lost response was met again as an existing object of ours, not as a conflict.
  t.is(store.loseResponses, 0);
  const r = await f.open();
  t.deepEqual(await readAll(r), expected(0, 100));
  await r.close();
  await f.cleanup();
});

test('a full buffer held by one big open segment seals it instead of waiting on itself', async (t) => {
  // 2 MiB buffer, 64 MiB segments: without the seal the open segment could never leave staging.
  const budget = new StagingBudget({ limitBytes: 2 << 20, waitMs: 3000, pollMs: 5 });
  const { f } = await setup(budget, { segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 384, BLOCK);
  await c.close();
  // 6 MiB went through a 2 MiB buffer: the open segment was sealed (and uploaded) each time the buffer filled.
  t.true(c.manifest.segments.length >= 3);
  t.is(budget.usedBytes, 0);
  const d = await f.open();
  t.deepEqual(await readAll(d), Array.from({ length: 384 }, (_, i) => `b${i}`));
  await d.close();
  await f.cleanup();
});
