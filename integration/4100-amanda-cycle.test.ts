// An Amanda dumpcycle through the library, on the S3 store against RGW, in one guest boot
// (integration/guest/amanda-cycle.sh, config/examples/amanda.conf as Amanda's config):
// chg-robot, amlabel by barcode (autolabel for the next cartridges), amcheck; a level 0 of two disks (one bigger than a cartridge:
// it spans two), changes (files added, changed, deleted, modes), a level 1; amadmin find shows
// both levels; amfetchdump of each level, extracted in order, compared file by file; a later
// run reuses the oldest volume (tapecycle). Then the target is restarted (SIGTERM, then kill -9)
// while amdump writes a dump: Amanda ends the run with an error, amflush (or a rerun) tapes
// it, it restores, and the dump taped before the faults still restores.
// The target runs with config/examples/gateway-rgw.yaml's tapes and pools settings.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { libraryTarget } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { s3StoreFor, sharedRgw } from './lib/store.ts';
import { startTarget, type Target } from './lib/target.ts';
import { ROOT, run as runCmd, type RunResult, sleep, workDir } from './lib/util.ts';

const CART_MB = 40;
const spec = libraryTarget('amanda-cycle', {
  name: 'amanda', drives: 2, slots: 10, mailslots: 1,
  cartridges: [{ prefix: 'CYC', count: 8, media: 'L6', capacity: `${CART_MB}MiB`, pool: 'daily' }], // the example's pool
});
const SCRIPT = readFileSync(path.join(ROOT, 'integration/guest/amanda-cycle.sh'), 'utf8');
const t0 = Date.now();
const phases: string[] = [];
const phase = (name: string, since: number) => phases.push(`${name} ${((Date.now() - since) / 1000).toFixed(0)} s`);

let tg: Target | undefined;
let r: RunResult;
const faults: string[] = [];
/** `s3vtl catalog points --app amanda --json` after the guest run, asked of the running gateway. */
let points: RunResult | undefined;

/** config/examples/gateway-rgw.yaml without what the suite sets itself (listen, data, store, targets). */
function rgwExampleSettings(): Record<string, unknown> {
  const doc = YAML.parse(readFileSync(path.join(ROOT, 'config/examples/gateway-rgw.yaml'), 'utf8')) as Record<string, unknown>;
  const { listen: _l, data: _d, store: _s, targets: _t, ...rest } = doc;
  return rest;
}

test.before(async (t) => {
  let since = Date.now();
  await sharedRgw();
  const store = await s3StoreFor('4100-amanda');
  phase('rgw', since);
  since = Date.now();
  tg = await startTarget('4100-amanda-cycle', [spec], {
    config: { ...rgwExampleSettings(), store: store.url, log: { level: 'debug' } }, // debug: every command around the restarts is in the log
    env: { ...store.env, S3VTL_MANIFEST_KEY: randomBytes(32).toString('hex') }, // the example signs manifests with it
  });
  phase('target', since);
  const share = workDir('4100-share');
  copyFileSync(path.join(ROOT, 'config/examples/amanda.conf'), path.join(share, 'amanda.conf'));

  // The guest asks for a restart through the share; the target is restarted while amdump runs.
  let running = true;
  const request = path.join(share, 'fault-request');
  const poller = (async () => {
    while (running) {
      if (existsSync(request)) {
        const kind = readFileSync(request, 'utf8').trim(); // the guest renames it into place whole
        rmSync(request);
        if (kind !== 'sigterm' && kind !== 'kill9') throw new Error(`fault-request: ${JSON.stringify(kind)}`);
        const s = Date.now();
        if (kind === 'kill9') { await tg!.kill9(); await tg!.start(); } else await tg!.restart();
        const msg = `${kind}: target ${kind === 'kill9' ? 'killed (SIGKILL)' : 'stopped (SIGTERM)'} and listening again after ${Date.now() - s} ms`;
        faults.push(msg);
        writeFileSync(path.join(share, 'fault-done'), msg + '\n');
      }
      await sleep(100);
    }
  })();
  since = Date.now();
  const run = () => guestRun({
    luns: [['changer', tg!.url(spec.iqn, 0)], ['tape0', tg!.url(spec.iqn, 1)], ['tape1', tg!.url(spec.iqn, 2)]],
    script: SCRIPT,
    env: { CYCLE_TAG: 'CYC', CART_MB: String(CART_MB), ...(process.env.S3VTL_AMANDA_CYCLE_STEPS ? { CYCLE_STEPS: process.env.S3VTL_AMANDA_CYCLE_STEPS } : {}) },
    timeoutS: 1700,
    extra: ['--mem', '1536', '--share', share],
  });
  try {
    r = await run();
    // exit 125 before the script ran = harness error (e.g. a guest kernel panic under TCG): boot once more
    if (r.code === 125 && !/^==== /m.test(r.stdout)) { t.log(`guest harness error, retrying:\n${r.stderr.slice(-1500)}`); r = await run(); }
  } finally {
    running = false;
    await poller;
  }
  phase('guest', since);
  since = Date.now();
  points = await runCmd(process.execPath, ['--import=tsx', 'src/main.ts', 'catalog', 'points', '--config', path.join(tg.dir, 'config.yaml'), '--app', 'amanda', '--json'], { timeoutMs: 120_000 });
  phase('catalog-points', since);
  t.log(`guest exit ${r.code} after ${(r.ms / 1000).toFixed(0)} s`);
  for (const l of r.stdout.split('\n')) if (/^(PASS|FAIL|COMPARED|SELFCHECK|RATE|REUSED|FAULT|HANDLED|AMDUMP-EXIT|AMFLUSH-EXIT|RERUN-EXIT|level \d|changes|oldest) |^\s+taper: |^(vtl-guest|\s+CYC\d{3}L6) /.test(l)) t.log(l);
  for (const f of faults) t.log(`host: ${f}`);
  if (r.code !== 0) t.log(`stdout tail:\n${r.stdout.slice(-8000)}\nstderr tail:\n${r.stderr.slice(-3000)}\ntarget log tail:\n${tg.logs().slice(-3000)}`);
});

test.after.always(async (t) => {
  await tg?.stop();
  t.log(`phases: ${phases.join(', ')}; suite wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});

const passed = (t: import('ava').ExecutionContext, ...steps: string[]) => {
  for (const s of steps) t.regex(r.stdout, new RegExp(`^PASS ${s} `, 'm'), `${s} failed`);
};

/** The step's output: from "==== name" to the next "==== ". */
const section = (name: string) => new RegExp(`^==== ${name}\\n([\\s\\S]*?)(?=^==== |$(?![\\s\\S]))`, 'm').exec(r.stdout)?.[1] ?? '';

test.serial('chg-robot, amlabel by barcode, amcheck clean', (t) => {
  passed(t, 'label');
  const s = section('label');
  t.regex(s, /Writing label '?CYC001L6'?/, 'amlabel wrote the barcode as the label');
  // the next cartridge the level 0 needed was labelled by the taper (autolabel "$b" empty)
  t.regex(section('run1'), /^\s+CYC002L6\s+\d+:\d+\s+\d+K/m, 'run 1 wrote CYC002L6, labelled with its barcode');
  t.regex(s, /Client check: 1 host checked in [\d.]+ seconds\.\s+0 problems found\./);
  t.regex(s, /\(brought to you by Amanda/);
  t.notRegex(s, /ERROR/);
});

test.serial('a level 0 that spans two cartridges, then a level 1, both in amadmin find', (t) => {
  passed(t, 'run1', 'run2', 'find');
  const find = section('find');
  const rows = find.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 11 && /^\/srv\//.test(c[3]!));
  const tapes = (disk: string, lv: string) => new Set(rows.filter((c) => c[3] === disk && c[4] === lv && c[10] === 'OK').map((c) => c[7]));
  for (const d of ['/srv/a', '/srv/b']) for (const lv of ['0', '1']) t.true(tapes(d, lv).size >= 1, `${d} level ${lv} in amadmin find`);
  t.true(tapes('/srv/a', '0').size >= 2, `the level 0 of /srv/a spans cartridges: ${[...tapes('/srv/a', '0')].join(', ')}`);
  // each run reports the tape write rate it reached
  t.regex(section('run1'), /^RATE tp-write-kps [\d.]+$/m);
});

test.serial('amfetchdump of each level restores the newest state, file by file', (t) => {
  passed(t, 'restore');
  for (const d of ['a', 'b']) t.regex(section('restore'), new RegExp(`^COMPARED ${d} files=\\d+ bytes=\\d+ identical$`, 'm'));
  t.regex(section('restore'), /^SELFCHECK compare sees a changed file$/m, 'the comparison fails on a difference');
});

test.serial('tapecycle: a later run reuses the oldest volume', (t) => {
  passed(t, 'reuse');
  const s = section('reuse');
  const oldest = /^oldest volume: (\S+)$/m.exec(s)?.[1];
  t.truthy(oldest);
  t.regex(s, new RegExp(`^REUSED ${oldest}$`, 'm'));
});

// The cartridge a drive was writing when serve stopped keeps everything written before the
// restart: the drive comes back at its end of data and refuses to move data until the initiator
// positions (03/3B/00), so st's filemark on close fails instead of erasing the label and the
// closed parts, and Amanda retries the failed part on the next cartridge.
for (const kind of ['sigterm', 'kill9'] as const) {
  test.serial(`serve restarted (${kind}) during amdump: Amanda ends the run, amflush or a rerun tapes it, nothing taped before is lost`, (t) => {
    const s = section(`fault-${kind}`);
    t.regex(s, new RegExp(`^FAULT done: ${kind}: target .* listening again`, 'm'), 'the host restarted the target mid-dump');
    t.regex(s, new RegExp(`^AMDUMP-EXIT ${kind} \\d+$`, 'm'), 'amdump ended (no hang)');
    // Amanda noticed: the taper's write failed (its report says so) ...
    t.regex(s, /taper: Will request retry of failed split part|taper: .*[Ee]rror|FAILED \[|PARTIAL/, 'Amanda reported the failed write');
    // ... and either finished the dump itself (the failed part again, on the next cartridge),
    // or amflush wrote what stayed in holding, or a rerun dumped it again
    t.regex(s, new RegExp(`^((AMFLUSH|RERUN)-EXIT ${kind} 0|HANDLED ${kind}: .*)$`, 'm'), 'the dump was finished, by amdump itself, amflush or a rerun');
    t.regex(s, new RegExp(`^COMPARED fault-${kind} files=\\d+ bytes=\\d+ identical$`, 'm'));
    if (kind === 'kill9') t.regex(s, /^COMPARED c-after-kill9 files=\d+ bytes=\d+ identical$/m, 'the dump taped before the faults restores');
    passed(t, `fault-${kind}`);
  });
}

// The gateway's restore points, from the Amanda headers it saw written, are the dumps Amanda
// lists (host, disk, level, datestamp) for the disks of the cycle. (The fault runs' disks are
// left out: what a restart did to their volumes is the fault tests' business.) Both are read at
// the end of the run, after tapecycle reused the oldest volumes.
test.serial('the gateway\'s Amanda restore points match amadmin find', (t) => {
  t.is(points?.code, 0, points?.stderr);
  const listed = (JSON.parse(points!.stdout) as { points: { kind: string; host: string | null; disk: string | null; level: string | null; date: string | null }[] }).points;
  const cycle = (d: string | null) => d !== null && /^\/srv\/[abc]$/.test(d);
  const fromGateway = new Set(listed.filter((p) => p.kind === 'backup' && cycle(p.disk)).map((p) => `${p.host} ${p.disk} ${p.level} ${p.date}`));
  const find = /^---- amadmin find \(end\)\n([\s\S]*?)^\s*Storage Changer/m.exec(r.stdout)?.[1] ?? '';
  const fromAmanda = new Set(find.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 11 && cycle(c[3]!))
    .map((c) => `${c[2]} ${c[3]} ${c[4]} ${c[0]!.replace(/-/g, '')}${c[1]!.replace(/:/g, '')}`));
  t.log(`amadmin find: ${[...fromAmanda].sort().join('; ')}`);
  t.log(`catalog points: ${[...fromGateway].sort().join('; ')}`);
  // At the end of the run tapecycle has overwritten the oldest volumes: what is left, on both sides, is compared.
  t.true(fromAmanda.size >= 1, 'amadmin find listed dumps of the cycle still on a volume');
  t.deepEqual([...fromGateway].sort(), [...fromAmanda].sort());
});

test.serial('every step but the restart faults passed', (t) => {
  const failed = [...r.stdout.matchAll(/^FAIL (\S+) /gm)].map((m) => m[1]!).filter((s) => !/^fault-/.test(s));
  t.deepEqual(failed, []);
  t.regex(r.stdout, /^\d+ passed, \d+ failed$/m, 'the guest script ran to its end');
});
