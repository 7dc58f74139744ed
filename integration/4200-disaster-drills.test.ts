// Disaster drills with a real database, following docs/disaster-recovery.md step for step (the
// runbook's named blocks are what runs here and in the guest). MariaDB keeps its datadir on
// ext4 over an mdadm RAID1 of a local disk and a CDP volume stored on Ceph RGW. A workload
// commits numbered transactions; a bookmark is taken with the database flushed and the
// filesystem frozen; a "user error" drops a table; a few seconds later the gateway is killed
// (-9) and its data directory deleted. A fresh gateway runs `recover` against the bucket and
// serves the volume. One boot then starts MariaDB (crash recovery) on three disks:
//  - the recovered volume (drill 2): every transaction committed before the newest instant in
//    the store is there, nothing after the loss; the lag, the transactions lost, the time from
//    `recover` to the first answered query and the bytes fetched from the store are printed;
//  - `expose --at` one second before the DROP (drill 1): the table is there with every
//    transaction committed before that instant and none begun after it;
//  - `expose --bookmark` (drill 1): exactly the transactions committed before the lock.
// Times: the guest logs its own clock; pings through the share measure its offset to the host
// (whose clock the gateway stamps writes with), and the offset's error widens every bound.
// Two guest boots; the database image is scripts/setup.sh's guest-db step.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { IQN_PREFIX } from './lib/config.ts';
import { type Counts, type CountingProxy, startCountingProxy } from '../bench/s3-proxy.ts';
import { startRgw, type Rgw } from './lib/rgw.ts';
import { expand, runbookSteps, runHostStep, step } from './lib/runbook.ts';
import { startTarget, type Target } from './lib/target.ts';
import { ROOT, type RunResult, SHARED, sleep, WORK, workDir } from './lib/util.ts';
import { parseEvents, type Events, type Clock } from './lib/drill-events.ts';

const IQN = `${IQN_PREFIX}:drills`;
const VOLUME = 't0-disk0';
const MARK = 'flushed-1';
const MEM = '2048';
const LOSS_AFTER_DROP_MS = 4000;
const CACHE = process.env.S3VTL_GUEST_DB_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vtl-guest-db');
const RUNBOOK = 'docs/disaster-recovery.md';
const steps = runbookSteps(RUNBOOK);
// What runs them: this file (host) and integration/guest/db-drill.sh (database host, SQL).
const HOST_STEPS = ['bookmark', 'status', 'recover', 'at-before', 'expose-at', 'expose-bookmark', 'attach-pit'];
const GUEST_STEPS = ['flush', 'freeze', 'thaw', 'unlock', 'mount', 'db-start', 'check'];
const script = readFileSync(path.join(ROOT, 'integration/guest/db-drill.sh'), 'utf8');

let rgw: Rgw | undefined;
let proxy: CountingProxy | undefined;
let tg: Target | undefined;
let share = '';
const phases: string[] = [];
const figures: string[] = [];
let ev: Events | undefined;
let clock: Clock | undefined;
let bookmarkTime = '';
let lossAt = 0;
let statusBefore: { lagMs: number; newestDurable: string | null } | undefined;
let recovered: { volume: string; newest: string | null } | undefined;
let at = '';
let errorAt = '';
let recoverToAnswer = 0;
let fetched: Counts | undefined;
let writeRun: RunResult | undefined;
let verifyRun: RunResult | undefined;

const phase = (name: string, t0: number) => phases.push(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const hostNow = () => (performance.timeOrigin + performance.now()) / 1000;

/** A guest boot we can end (the write boot is ended by the host once the gateway is lost). */
function boot(luns: [string, string][], env: Record<string, string>, extra: string[], timeoutS: number): { done: Promise<RunResult>; stop(): void } {
  const dir = path.join(WORK, 'guest-scripts');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `db-drill-${env.PHASE}.sh`);
  writeFileSync(file, script, { mode: 0o755 });
  const args = [path.join(SHARED, 'guest/run'), '--timeout', String(timeoutS), '--mem', MEM, '--settle', '180', '--share', share, ...extra,
    ...luns.flatMap(([n, u]) => ['--lun', `${n}=${u}`]), ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), '--', file];
  const t0 = Date.now();
  const child = spawn('bash', args, { env: { ...process.env, VTL_GUEST_CACHE: CACHE }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<RunResult>((resolve) => child.once('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr, ms: Date.now() - t0 })));
  return { done, stop: () => { child.kill('SIGTERM'); } };
}

/** Answers the guest's clock pings with the host clock (tmp + rename: never read half written). */
function answerPings(): void {
  for (const f of readdirSync(share)) {
    if (!f.startsWith('ping.')) continue;
    const pong = path.join(share, `pong.${f.slice(5)}`);
    if (existsSync(pong)) continue;
    writeFileSync(`${pong}.tmp`, `${hostNow().toFixed(6)}\n`);
    renameSync(`${pong}.tmp`, pong);
  }
}

async function hostStep(name: string, vars: Record<string, string> = {}): Promise<string> {
  const r = await runHostStep(step(steps, name), { CONFIG: path.join(tg!.dir, 'config.yaml'), VOLUME, MARK, ...vars });
  if (r.code !== 0) throw new Error(`runbook step ${name} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The write boot: workload, bookmark when frozen, the loss a few seconds after the DROP. */
async function writePhase(): Promise<void> {
  const g = boot([['cdp', tg!.url(IQN, 0)]], { PHASE: 'write' }, [], 600);
  let finished = false;
  void g.done.then(() => { finished = true; });
  let bookmarking: Promise<void> | undefined;
  let dropSeenAt = 0;
  let losing: Promise<void> | undefined;
  const events = path.join(share, 'events.log');
  while (!finished) {
    answerPings();
    if (!bookmarking && existsSync(path.join(share, 'frozen'))) {
      const b0 = Date.now();
      bookmarking = hostStep('bookmark').then((out) => {
        phase('bookmark step (the database locked and frozen meanwhile)', b0);
        bookmarkTime = (JSON.parse(out) as { time: string }).time;
        writeFileSync(path.join(share, 'bookmarked'), `${bookmarkTime}\n`);
      });
    }
    if (dropSeenAt === 0 && existsSync(events) && /^drop /m.test(readFileSync(events, 'utf8'))) dropSeenAt = Date.now();
    if (!losing && dropSeenAt > 0 && Date.now() - dropSeenAt > LOSS_AFTER_DROP_MS) {
      losing = (async () => {
        // What monitoring would have shown last, then the loss: kill -9, the data directory gone.
        statusBefore = JSON.parse(await hostStep('status')) as { lagMs: number; newestDurable: string | null };
        await tg!.kill9();
        lossAt = Date.now();
        rmSync(path.join(tg!.dir, 'data'), { recursive: true, force: true });
        proxy!.reset();
        writeFileSync(path.join(share, 'lost'), `${lossAt}\n`);
        await sleep(1500);
        g.stop();
      })();
    }
    await sleep(3);
  }
  await bookmarking;
  await losing;
  writeRun = await g.done;
}

test.before(async (t) => {
  const started = Date.now();
  share = workDir('4200-share');
  mkdirSync(path.join(share, 'runbook'), { recursive: true });
  for (const s of steps.values()) writeFileSync(path.join(share, 'runbook', `${s.name}.${s.lang}`), `${s.body}\n`);

  let t0 = Date.now();
  rgw = await startRgw('4200-rgw', { env: { RGW_OBJECTSTORE: 'memstore', S3_BUCKETS: 'drills' } });
  proxy = await startCountingProxy(rgw.env.S3_ENDPOINT!);
  // Everything reaches RGW through the proxy (the SDK takes AWS_ENDPOINT_URL_S3), to count what recovery fetches.
  const viaProxy = { ...rgw.env, S3_ENDPOINT: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL: proxy.endpoint };
  Object.assign(process.env, viaProxy);
  phase('RGW start', t0);
  t0 = Date.now();
  tg = await startTarget('4200-disaster-drills', [{ iqn: IQN, luns: [{ lun: 0, type: 'disk', size: '128MiB', cdp: {} }] }], {
    config: { store: 's3://drills/site1' }, env: viaProxy, startTimeoutMs: 120_000,
  });
  phase('gateway start', t0);

  t0 = Date.now();
  await writePhase();
  phase('write boot (RAID1, install-db, workload, bookmark, DROP, loss)', t0);
  const events = path.join(share, 'events.log');
  if (!existsSync(events)) throw new Error(`the write boot never ran its script (exit ${writeRun?.code}):\n${writeRun?.stdout.slice(-2000)}\n${writeRun?.stderr.slice(-3000)}`);
  ev = parseEvents(readFileSync(events, 'utf8'));
  clock = ev.clock();
  if (ev.fail.length > 0 || ev.drop === undefined) {
    t.log(writeRun?.stdout.slice(-3000), writeRun?.stderr.slice(-3000));
    return;
  }

  // Drill 2: a fresh gateway on an empty data directory, from the bucket alone.
  const tRecover = Date.now();
  t0 = Date.now();
  const rec = JSON.parse(await hostStep('recover')) as { cdp: { volume: string; newest: string | null }[] };
  recovered = rec.cdp.find((v) => v.volume === VOLUME);
  phase('recover', t0);
  t0 = Date.now();
  await tg.start();
  phase('serve on the recovered data directory', t0);

  // Drill 1 on the rebuilt gateway: one second before the DROP, and the bookmark.
  t0 = Date.now();
  errorAt = new Date(clock.hostMs(ev.drop.s)).toISOString();
  at = (await hostStep('at-before', { ERROR_AT: errorAt })).trim().split('\n').at(-1)!;
  const [pit, mark] = await Promise.all([
    hostStep('expose-at', { AT: at }), hostStep('expose-bookmark'),
  ]).then((o) => o.map((x) => JSON.parse(x) as { iqn: string; lun: number }));
  const exposeMs = Date.now() - t0;
  phase('at-before + both exposes (in parallel)', t0);
  const attach = (e: { iqn: string; lun: number }, id: string, scsiId: number) => expand(step(steps, 'attach-pit'), {
    PORTAL: `127.0.0.1:${tg!.port}`, PIT_IQN: e.iqn, PIT_LUN: String(e.lun), ID: id, SCSI_ID: String(scsiId),
  }).flatMap((line) => { const sp = line.indexOf(' '); return ['--qemu-arg', line.slice(0, sp), '--qemu-arg', line.slice(sp + 1)]; });

  t0 = Date.now();
  const g = boot([['db', tg.url(IQN, 0)]], { PHASE: 'verify', DISKS: 'db pit mark' }, [...attach(pit!, 'pit', 1), ...attach(mark!, 'mark', 2)], 600);
  let finished = false;
  void g.done.then(() => { finished = true; });
  while (!finished && !existsSync(path.join(share, 'answered.db'))) await sleep(20);
  if (!finished) {
    phase('database host: boot, mount, db-start (crash recovery), first check answered', t0);
    recoverToAnswer = Date.now() - tRecover - exposeMs;
    fetched = proxy.counts();
  }
  verifyRun = await g.done;
  phase('verify boot (3 x mount + MariaDB crash recovery)', t0);
  phases.push(`whole suite setup: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.after.always(async () => {
  await tg?.stop();
  await proxy?.close();
  await rgw?.stop();
});

const numbers = (name: string): { ok: boolean; set: Set<number>; text: string } => {
  const file = path.join(share, name);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '(missing)';
  const lines = text.split('\n').filter((l) => l !== '');
  const ok = existsSync(file) && lines.every((l) => /^\d+$/.test(l));
  return { ok, set: new Set(ok ? lines.map(Number) : []), text: text.slice(0, 500) };
};

/** The present set must be 1..max (a database restored consistently holds a prefix of the commits). */
function prefix(t: ExecutionContext, set: Set<number>, what: string): number {
  const max = Math.max(0, ...set);
  t.is(set.size, max, `${what}: transactions 1..${max} with none missing`);
  return max;
}

test.serial('every step of the runbook is one the drill runs', (t) => {
  t.deepEqual([...steps.keys()].sort(), [...HOST_STEPS, ...GUEST_STEPS].sort(), `${RUNBOOK}: a named step the drill does not run, or one it runs that is gone`);
  for (const g of GUEST_STEPS) t.true(script.includes(`$RB/${g}.${step(steps, g).lang}`), `db-drill.sh runs ${g}`);
});

test.serial('the workload ran: commits, bookmark with the database flushed and frozen, DROP, loss of the gateway', (t) => {
  t.log(phases.join('\n'));
  t.truthy(ev, 'events.log');
  if (!ev) return;
  t.deepEqual(ev.fail, [], `guest failures: ${writeRun?.stderr.slice(-2000)}`);
  t.truthy(ev.locked && ev.unlocked && ev.drop, 'locked, unlocked, dropped');
  t.truthy(bookmarkTime, 'the bookmark step printed its time');
  t.true(lossAt > 0, 'the gateway was lost');
  t.true(ev.commits.length >= 30, `commits: ${ev.commits.length}`);
  t.log(`clock: guest to host offset ${clock!.offsetS.toFixed(3)} s, error bound ${clock!.errS * 1000} ms ` +
    `(round trip ${clock!.rttMs.toFixed(1)} ms, offset moved ${clock!.driftMs.toFixed(1)} ms between start and DROP)`);
  t.log(`${ev.commits.length} transactions committed; bookmark after #${ev.locked?.n}; DROP after #${ev.drop?.n}; ` +
    `${ev.commits.filter((c) => clock!.hostMs(c.e) <= lossAt).length} committed before the loss`);
  t.true(clock!.errS < 0.25, 'the guest clock is known to within 250 ms');
});

test.serial('drill 2: the recovered volume holds every transaction committed more than the lag before the loss', (t) => {
  t.truthy(recovered?.newest, `recover found the volume: ${JSON.stringify(recovered)}`);
  if (!ev || !clock || !recovered?.newest) return;
  const newest = Date.parse(recovered.newest);
  const j = numbers('db.journal');
  t.true(j.ok, `journal listed: ${j.text}`);
  const errMs = clock.errS * 1000;
  const durable = ev.commits.filter((c) => clock!.hostMs(c.e) + errMs <= newest);
  const before = ev.commits.filter((c) => clock!.hostMs(c.e) <= lossAt);
  const afterLoss = ev.commits.filter((c) => clock!.hostMs(c.s) - errMs > lossAt);
  for (const c of durable) if (!j.set.has(c.n)) t.fail(`transaction ${c.n} committed before the newest instant in the store is missing`);
  for (const c of afterLoss) if (j.set.has(c.n)) t.fail(`transaction ${c.n} begun after the loss is there`);
  const max = prefix(t, j.set, 'recovered journal');
  const lost = before.filter((c) => !j.set.has(c.n)).length;
  t.true(max >= (ev.drop?.n ?? Infinity), 'the DROP happened more than the lag before the loss: it is in the recovered volume');
  t.regex(readFileSync(path.join(share, 'db.orders'), 'utf8'), /doesn't exist/, 'orders was dropped (the user error is part of the recovered history)');
  t.regex(readFileSync(path.join(share, 'db.check'), 'utf8'), new RegExp(`^${j.set.size}\\t${max}$`, 'm'), 'the runbook check query answers');
  t.log(`drill 2: lag at the loss ${lossAt - newest} ms (newest instant in the store ${recovered.newest}, loss ${new Date(lossAt).toISOString()}); ` +
    `status just before the loss said lagMs=${statusBefore?.lagMs}`);
  t.log(`drill 2: ${durable.length} transactions checked present, ${afterLoss.length} begun after the loss checked absent; ` +
    `${before.length} committed before the loss, ${lost} lost (committed inside the lag)`);
  t.log(`drill 2: recover -> first query answered ${(recoverToAnswer / 1000).toFixed(1)} s (recover, serve start, guest boot, mount, crash recovery; the drill-1 exposes excluded); ` +
    `from the store: ${((fetched?.bytesDown ?? 0) / 2 ** 20).toFixed(2)} MiB in ${fetched?.requests} requests (${Object.entries(fetched?.byKind ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  t.true(lossAt - newest < 10_000, 'the lag at the loss is seconds');
});

test.serial('drill 1: expose --at one second before the DROP holds the table with every commit before and none after', (t) => {
  if (!ev?.drop || !clock) return t.fail('no DROP in the workload');
  const T = Date.parse(at);
  t.is(T, Date.parse(errorAt) - 1000, `at-before: ${errorAt} -> ${at}`);
  const errMs = clock.errS * 1000;
  const o = numbers('pit.orders');
  const j = numbers('pit.journal');
  t.true(o.ok, `orders is there: ${o.text}`);
  t.true(j.ok, `journal listed: ${j.text}`);
  const must = ev.commits.filter((c) => clock!.hostMs(c.e) + errMs <= T);
  const mustNot = ev.commits.filter((c) => clock!.hostMs(c.s) - errMs > T);
  for (const c of must) if (!o.set.has(c.n)) t.fail(`orders: transaction ${c.n} committed before ${at} is missing`);
  for (const c of mustNot) if (o.set.has(c.n)) t.fail(`orders: transaction ${c.n} begun after ${at} is there`);
  t.deepEqual([...j.set], [...o.set], 'journal holds the same transactions');
  prefix(t, o.set, 'orders at the instant');
  t.true(must.length >= 15 && mustNot.length > 0, 'the instant falls inside the workload');
  t.log(`drill 1 (--at ${at}, DROP at ${errorAt}): ${must.length} transactions checked present, ${mustNot.length} checked absent, ` +
    `${ev.commits.length - must.length - mustNot.length} within the clock's error of the instant`);
});

test.serial('drill 1: expose --bookmark holds exactly the transactions committed before FLUSH TABLES WITH READ LOCK', (t) => {
  if (!ev?.locked) return t.fail('no bookmark in the workload');
  const o = numbers('mark.orders');
  const j = numbers('mark.journal');
  const want = Array.from({ length: ev.locked.n }, (_, i) => i + 1);
  t.deepEqual([...o.set], want, `orders at the bookmark: ${o.text}`);
  t.deepEqual([...j.set], want, 'journal at the bookmark');
  t.log(`drill 1 (--bookmark ${MARK} at ${bookmarkTime}): ${want.length} transactions checked, exactly`);
  for (const d of ['db', 'pit', 'mark']) {
    const err = readFileSync(path.join(share, `${d}.err`), 'utf8');
    t.notRegex(err, /\[ERROR\]/, `MariaDB's error log on ${d}`);
    t.regex(err, /crash recovery/, `InnoDB recovered ${d}`);
  }
  t.is(verifyRun?.code, 0, `verify boot: ${verifyRun?.stderr.slice(-2000)}`);
});
