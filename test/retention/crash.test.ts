// An apply killed with SIGKILL at 30 random points (store operations of the
// pass, before or after each), then run again: the end state equals that of
// an apply never interrupted, and the audit log names exactly the objects
// that left the store.
import test from 'ava';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Catalog } from '../../src/catalog/catalog.ts';
import { applyRetention } from '../../src/retention/apply.ts';
import { crashPlan, deps, fixture, keysOf, writeTape } from './fixture.ts';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'crash-child.ts');
const POINTS = 30;

/** Everything the pass changes, without times and ids (which differ from run to run). */
async function endState(dir: string) {
  const f = await fixture(dir, path.join(dir, 'catalog.sqlite'));
  try {
    const c = f.catalog;
    return {
      cartridges: c.cartridges.list().map(({ createdAt: _c, lastWrittenAt, ...r }) => ({ ...r, written: lastWrittenAt !== null })),
      elements: c.elements.list().filter((e) => e.barcode !== null).map((e) => [e.address, e.barcode]),
      shelf: c.shelf.list().map((s) => [s.barcode, s.phase, s.previousState, s.library]),
      manifests: c.cartridges.list().map((r) => c.manifests(r.barcode).map((m) => [m.barcode, m.version, m.eodObjectId])),
      tasks: c.retentionTasks.list(),
      audit: c.audit.since().map((a) => `${a.actor} ${a.action} ${a.subject}`).sort(),
      store: await keysOf(f.store, 'tapes/'),
      staging: await readdir(f.stagingDir).catch(() => []),
    };
  } finally {
    f.catalog.close();
  }
}

test(`an apply killed at ${POINTS} random points and run again ends as an uninterrupted one, its audit naming every object deleted`, async (t) => {
  t.timeout(600_000);
  const root = await mkdtemp(path.join(tmpdir(), 'retention-crash-'));
  const seed = path.join(root, 'seed');
  const f = await fixture(seed, path.join(seed, 'catalog.sqlite'));
  for (const [i, b] of ['RET001L6', 'RET002L6', 'RET003L6', 'RET004L6'].entries()) await writeTape(f, b, 10 + 8 * i);
  f.catalog.close();
  const seeded = await keysOf(f.store, 'tapes/');

  // The uninterrupted apply, in a child like the others: how many store operations it makes.
  const ref = path.join(root, 'ref');
  await cp(seed, ref, { recursive: true });
  const { stdout } = await run(process.execPath, ['--import=tsx', CHILD, ref, '0', 'before']);
  const { ops, errors } = JSON.parse(stdout) as { ops: number; errors: unknown[] };
  t.deepEqual(errors, []);
  t.true(ops > 20, `the pass makes ${ops} store operations`);
  const expected = await endState(ref);
  t.deepEqual(expected.tasks, []);

  const seedNumber = Number(process.env.S3VTL_CRASH_SEED ?? Date.now() % 100_000);
  t.log(`seed ${seedNumber} (S3VTL_CRASH_SEED repeats it); ${ops} store operations per pass`);
  let state = seedNumber;
  const random = (n: number): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
  const points = Array.from({ length: POINTS }, (_, i) => ({ i, at: 1 + random(ops), when: random(2) === 0 ? 'before' : 'after' }));
  // The killed children run three at a time (each is a whole node process); the reruns one by one here.
  const killedAt = async (p: (typeof points)[number]): Promise<string | undefined> => {
    const dir = path.join(root, `run${p.i}`);
    await cp(seed, dir, { recursive: true });
    return run(process.execPath, ['--import=tsx', CHILD, dir, String(p.at), p.when]).then(() => undefined, (e: { signal?: string }) => e.signal);
  };
  const signals: (string | undefined)[] = [];
  for (let i = 0; i < POINTS; i += 3) signals.push(...(await Promise.all(points.slice(i, i + 3).map(killedAt))));
  for (const { i, at, when } of points) {
    const dir = path.join(root, `run${i}`);
    t.is(signals[i], 'SIGKILL', `run ${i} was killed at operation ${at} (${when})`);
    // The rerun, as the next pass would make it.
    const again = await fixture(dir, path.join(dir, 'catalog.sqlite'));
    const report = await applyRetention(crashPlan(), deps(again));
    again.catalog.close();
    t.deepEqual(report.errors, [], `rerun after a kill at operation ${at} (${when})`);
    const got = await endState(dir);
    t.deepEqual(got, expected, `end state after a kill at operation ${at} (${when})`);
    // The audit accounts for every object that left the store, and names none still there.
    const audited = new Set(got.audit.filter((a) => a.startsWith('retention delete-object ')).map((a) => a.slice('retention delete-object '.length)));
    const gone = seeded.filter((k) => !got.store.includes(k));
    t.deepEqual(gone.filter((k) => !audited.has(k)), [], 'every deleted object is audited');
    t.deepEqual([...audited].filter((k) => got.store.includes(k)), [], 'every audited object is gone');
  }
});
