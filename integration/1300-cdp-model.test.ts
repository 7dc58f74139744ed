// A CDP volume against a reference model: a seeded random workload through
// iSCSI (writes of 1 to 128 blocks, a hot region, SYNCHRONIZE CACHE now and
// then), instants taken in pauses between rounds, two bookmarks; then
// `s3vtl cdp restore` at every instant and bookmark is byte-identical to the
// model, `cdp expose` at an instant reads back the same through iSCSI and
// refuses writes, and after kill -9 of serve, deletion of the data directory
// and `s3vtl recover`, restores are still identical and serve starts again
// on the recovered volume. Bad input gets a one-line error and touches
// nothing. On a directory store, and on Ceph RGW (S3VTL_IT_RGW=0 skips it).
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { IQN_PREFIX } from './lib/config.ts';
import { BLOCK, BlockClient, cdpInProcess, firstDiff, s3vtl, WriteLog } from './lib/cdp.ts';
import { Rng } from './lib/fuzz-common.ts';
import { senseTriple } from './lib/initiator.ts';
import { startRgw, type Rgw } from './lib/rgw.ts';
import { startTarget } from './lib/target.ts';
import { sleep } from './lib/util.ts';

const IQN = `${IQN_PREFIX}:cdp-model`;
const PIT = `${IQN_PREFIX}:cdp-pit`;
const VOLUME = 't0-disk0';
const SIZE = 16 * 1024 * 1024;
const BLOCKS = SIZE / BLOCK;
const HOT = 2048; // the first MiB takes most writes
const ROUNDS = 22;

interface Point { readonly name: string; readonly at: string; readonly writes: number }

async function workload(t: ExecutionContext, c: BlockClient, log: WriteLog, rng: Rng, writes: number): Promise<void> {
  for (let i = 0; i < writes; i++) {
    const blocks = 1 + rng.int(128);
    const hot = rng.int(4) !== 0;
    const lba = hot ? rng.int(HOT - blocks) : rng.int(BLOCKS - blocks);
    const data = rng.bytes(blocks * BLOCK);
    const r = await c.write(lba, data);
    if (r.status !== 0) t.fail(`WRITE(10) at ${lba}x${blocks}: status ${r.status} ${JSON.stringify(senseTriple(r.sense))}`);
    log.add(lba, data);
    if (rng.int(10) === 0) t.is((await c.sync()).status, 0, 'SYNCHRONIZE CACHE');
  }
}

function expectImage(t: ExecutionContext, got: Buffer, want: Buffer, what: string): void {
  const at = firstDiff(got, want);
  t.is(at, -1, `${what}: first difference at byte ${at} (block ${Math.floor(at / BLOCK)})`);
}

async function restoreAndCompare(t: ExecutionContext, args: string[], points: readonly Point[], log: WriteLog, dir: string, label: string): Promise<void> {
  for (const [i, p] of points.entries()) {
    const file = path.join(dir, `restore-${label}-${p.name}.img`);
    rmSync(file, { force: true });
    const how = p.name.startsWith('bm-') ? ['--bookmark', p.name] : ['--at', p.at];
    const argv = ['restore', VOLUME, ...how, '--to', file, '--json', ...args];
    // The first one as the operator runs it (a process of its own), the others in this process.
    const r = i === 0 ? await s3vtl(['cdp', ...argv], process.env) : await cdpInProcess(argv);
    const failed = 'code' in r ? (r.code !== 0 ? r.stderr : undefined) : r.error?.message;
    t.is(failed, undefined, `${label} restore ${p.name}`);
    if (failed !== undefined) continue;
    expectImage(t, readFileSync(file), log.image(p.writes), `${label} restore at ${p.name} (${p.at}, after ${p.writes} writes)`);
    rmSync(file);
  }
}

async function scenario(t: ExecutionContext, name: string, storeUrl: string, env?: NodeJS.ProcessEnv): Promise<void> {
  // The in-process CLI reaches the store with the same environment (RGW endpoint and keys).
  Object.assign(process.env, env ?? {});
  const spec = { iqn: IQN, luns: [{ lun: 0, type: 'disk' as const, size: '16MiB', cdp: { shipInterval: '250ms', base: { afterJournal: '8MiB' }, chunkSize: '1MiB' } }] };
  const target = await startTarget(name, [spec], { config: { store: storeUrl }, startTimeoutMs: 120_000, ...(env !== undefined && { env }) });
  const cfg = path.join(target.dir, 'config.yaml');
  const cli = ['--config', cfg];
  try {
    const rng = new Rng(0x5eed1300);
    const log = new WriteLog(SIZE);
    const points: Point[] = [];
    let c = await BlockClient.login(target.port, IQN);
    for (let round = 0; round < ROUNDS; round++) {
      await workload(t, c, log, rng, 10 + rng.int(30));
      // A pause: every write so far is acknowledged, none of the next round has started.
      await sleep(5);
      if (round === 7 || round === 15) {
        const b = await s3vtl(['cdp', 'bookmark', VOLUME, `bm-${round}`, '--json', ...cli], env);
        t.is(b.code, 0, `bookmark: ${b.stderr}`);
        points.push({ name: `bm-${round}`, at: (JSON.parse(b.stdout) as { time: string }).time, writes: log.writes.length });
      }
      points.push({ name: `r${round}`, at: new Date().toISOString(), writes: log.writes.length });
      await sleep(5);
    }
    t.log(`${log.writes.length} writes, ${points.length} instants`);
    t.true(points.filter((p) => !p.name.startsWith('bm-')).length >= 20);

    const status = await s3vtl(['cdp', 'status', VOLUME, '--json', ...cli], env);
    t.is(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { live: boolean; windowStart: string | null; bookmarks: { name: string }[] };
    t.true(st.live, 'status comes from the running serve');
    t.deepEqual(st.bookmarks.map((b) => b.name), ['bm-7', 'bm-15']);

    // Every instant and bookmark, restored from the store while serve runs.
    await restoreAndCompare(t, cli, points, log, target.dir, 'live');

    // Expose an instant in the middle: the same bytes through iSCSI, read-only.
    const mid = points[Math.floor(points.length / 2)]!;
    const ex = await s3vtl(['cdp', 'expose', VOLUME, '--at', mid.at, '--json', ...cli], env);
    t.is(ex.code, 0, ex.stderr);
    const exposed = JSON.parse(ex.stdout) as { iqn: string; lun: number };
    t.is(exposed.iqn, PIT);
    const pit = await BlockClient.login(target.port, exposed.iqn, exposed.lun, 'iqn.2026-11.org.s3vtl:it-cdp-pit');
    expectImage(t, await pit.readAll(SIZE), log.image(mid.writes), `exposed ${mid.name}`);
    const w = await pit.write(0, Buffer.alloc(BLOCK));
    t.deepEqual(senseTriple(w.sense), { key: 7, asc: 0x27, ascq: 0 }, 'a write to the exposed LUN is DATA PROTECT / WRITE PROTECTED');
    await pit.logout();
    const un = await s3vtl(['cdp', 'unexpose', VOLUME, '--json', ...cli], env);
    t.is(un.code, 0, un.stderr);

    // The gateway is lost (kill -9), its data directory with it; the store alone remains.
    await c.logout();
    await target.kill9();
    rmSync(path.join(target.dir, 'data'), { recursive: true, force: true });
    const rec = await s3vtl(['recover', '--json', ...cli], env);
    t.is(rec.code, 0, `recover: ${rec.stderr}`);
    const summary = JSON.parse(rec.stdout) as { cdp: { volume: string; seq: string }[] };
    t.deepEqual(summary.cdp.map((v) => v.volume), [VOLUME]);
    // Every instant was taken before a restore drained the volume: all are in the store.
    await restoreAndCompare(t, cli, points, log, target.dir, 'recovered');

    // serve starts again on the recovered volume: the newest image, and writes go on.
    await target.start();
    c = await BlockClient.login(target.port, IQN);
    expectImage(t, await c.readAll(SIZE), log.image(), 'the recovered volume served again');
    await workload(t, c, log, rng, 10);
    await c.logout();
    const after = await s3vtl(['cdp', 'restore', VOLUME, '--newest', '--to', path.join(target.dir, 'newest.img'), ...cli], env);
    t.is(after.code, 0, after.stderr);
    expectImage(t, readFileSync(path.join(target.dir, 'newest.img')), log.image(), 'newest after writes on the recovered volume');
    rmSync(path.join(target.dir, 'newest.img'));

    await badInput(t, cli, env, target.dir, points);
  } finally {
    await target.stop();
  }
}

/** A one-line operator error (exit 2 from a process of its own), no file left behind. */
async function badInput(t: ExecutionContext, cli: string[], env: NodeJS.ProcessEnv | undefined, dir: string, points: readonly Point[]): Promise<void> {
  const file = path.join(dir, 'bad.img');
  const cases: Array<[string, string[], RegExp]> = [
    ['a time before the window', ['restore', VOLUME, '--at', '2001-01-01T00:00:00Z'], /before/i],
    ['a time in the future', ['restore', VOLUME, '--at', new Date(Date.now() + 3_600_000).toISOString()], /future/i],
    ['an unknown volume', ['restore', 'nosuchvol', '--at', points[0]!.at], /nosuchvol/],
    ['an unknown bookmark', ['restore', VOLUME, '--bookmark', 'nosuchmark'], /nosuchmark/],
    ['a malformed time', ['restore', VOLUME, '--at', '2026-02-30T00:00:00Z'], /not a valid date/],
    ['both --at and --bookmark', ['restore', VOLUME, '--at', points[0]!.at, '--bookmark', 'bm-7'], /exactly one/],
    ['expose of an unknown bookmark', ['expose', VOLUME, '--bookmark', 'nosuchmark'], /nosuchmark/],
  ];
  // Every case is checked; the problems are listed together.
  const problems: string[] = [];
  for (const [what, args, message] of cases) {
    const r = await cdpInProcess([...args, ...(args[0] === 'restore' ? ['--to', file] : []), ...cli]);
    if (r.error?.code?.startsWith('VTL_') !== true) problems.push(`${what}: no operator error (${r.error?.stack ?? `it succeeded: ${r.out.trim()}`})`);
    else if (!message.test(r.error.message)) problems.push(`${what}: message ${JSON.stringify(r.error.message)} does not match ${message}`);
    else if (r.error.message.includes('\n')) problems.push(`${what}: more than one line`);
    if (existsSync(file)) problems.push(`${what}: ${file} was written`);
    rmSync(file, { force: true });
  }
  t.deepEqual(problems, [], 'bad input: one-line operator errors, nothing written');
  // As a process: one line on stderr, exit code 2.
  const p = await s3vtl(['cdp', 'restore', VOLUME, '--bookmark', 'nosuchmark', '--to', file, ...cli], env);
  t.is(p.code, 2, p.stderr);
  // (The AWS SDK may add its own Node version notice on S3.)
  t.is(p.stderr.split('\n').filter((l) => l.startsWith('s3vtl: ')).length, 1, p.stderr);
  t.notRegex(p.stderr, /^\s+at /m, 'no stack trace');
  t.false(existsSync(file));
}

test.serial('CDP model: restores, expose, recover on a directory store', async (t) => {
  const storeDir = path.join(process.cwd(), '.work/it/1300-store');
  rmSync(storeDir, { recursive: true, force: true });
  await scenario(t, '1300-cdp-model', `file://${storeDir}`);
  // A damaged journal object: the restore that needs it (the one holding bookmark bm-15's write) names it and stops.
  const cfg = path.join(process.cwd(), '.work/it/1300-cdp-model/config.yaml');
  const out = path.join(process.cwd(), '.work/it/1300-cdp-model/corrupt.img');
  const st = JSON.parse((await cdpInProcess(['status', VOLUME, '--json', '--config', cfg])).out) as { bookmarks: { name: string; seq: string }[] };
  const seq = BigInt(st.bookmarks.find((b) => b.name === 'bm-15')!.seq);
  const jnl = path.join(storeDir, 'cdp', VOLUME, 'jnl');
  const holder = readdirSync(jnl).find((f) => {
    const m = /^([0-9a-f]{16})-([0-9a-f]{16})/.exec(f);
    return m !== null && BigInt(`0x${m[1]}`) <= seq && seq <= BigInt(`0x${m[2]}`);
  });
  t.truthy(holder, `a journal object holds seq ${seq}`);
  const victim = path.join(jnl, holder!);
  const bytes = readFileSync(victim);
  const at = Math.floor(bytes.length * 0.6);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(victim, bytes);
  const r = await cdpInProcess(['restore', VOLUME, '--bookmark', 'bm-15', '--to', out, '--config', cfg]);
  t.is(r.error?.code, 'VTL_CDP_CORRUPT', r.error?.message);
  t.true(r.error?.message.includes(path.basename(victim)), `the message names the object: ${r.error?.message}`);
  t.false(existsSync(out));
  t.true(statSync(victim).size > 0);
});

const withRgw = process.env.S3VTL_IT_RGW === '0' ? test.serial.skip : test.serial;
withRgw('CDP model: restores, expose, recover on Ceph RGW', async (t) => {
  let rgw: Rgw | undefined;
  try {
    rgw = await startRgw('1300-rgw', { env: { RGW_OBJECTSTORE: 'memstore', S3_BUCKETS: 'cdp1300' } });
    await scenario(t, '1300-cdp-model-rgw', 's3://cdp1300/site1', rgw.env);
  } finally {
    await rgw?.stop();
  }
});
