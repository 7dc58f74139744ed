// A Bacula backup cycle through the library on the S3 store (Ceph RGW), one guest boot
// (integration/guest/bacula-cycle.sh): director, storage and file daemons with the SQLite catalog
// from config/examples/bacula-{dir,sd}.conf, the autochanger through mtx-changer, `label barcodes`
// into pools; a Full of a generated tree that spans two cartridges (16 MiB each: the drive's
// early warning, then ENOSPC, then the next cartridge), a Differential and an Incremental after
// files were added, rewritten, deleted and re-moded; restores of the newest state and of the Full
// alone compared entry by entry with what the host wrote; a pool whose volumes are pruned after
// seconds, so a third job purges and recycles a volume; then the target restarted (SIGTERM, and
// separately kill -9) while a job streams from a FIFO: the job fails, the next one succeeds, and
// the newest state restores again unchanged.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { libraryTarget } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { s3StoreFor } from './lib/store.ts';
import { startTarget, type Target } from './lib/target.ts';
import { applyChange, compareTree, makeChange, makeTree, parseListing, type Tree, writeChange, writeTree } from './lib/tree.ts';
import { ROOT, run, sleep, workDir } from './lib/util.ts';

const spec = libraryTarget('bacula-cycle', {
  name: 'lib0', drives: 2, slots: 10, mailslots: 1,
  cartridges: [
    // slots 1-2: pool Cycle; slot 3 stays unlabelled (labelling costs ~9 s a cartridge under TCG)
    { prefix: 'CYC', count: 3, media: 'L6', capacity: '16MiB' },
    { prefix: 'NIT', count: 2, media: 'L6', capacity: '64MiB' }, // slots 4-5: pool Nightly (recycled)
    // slots 6-10: pool Fault; a job cut by a restart may end its volume and go on to the next one
    { prefix: 'FLT', count: 5, media: 'L6', capacity: '2GiB' },
  ],
});
const SCRIPT = path.join(ROOT, 'integration/guest/bacula-cycle.sh');
const SEED = Number(process.env.S3VTL_TREE_SEED ?? 4000);

let tg: Target | undefined;
let share: string;
const trees: { full?: Tree; newest?: Tree } = {};
const sec = new Map<string, { rc: number; secs: number; text: string }>();
const times: string[] = [];
const faults: string[] = [];
let stdout = '';
let points = '';
const t0 = Date.now();
const lap = (what: string, since: number) => times.push(`${what}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

async function tar(dir: string, file: string): Promise<void> {
  const r = await run('tar', ['--numeric-owner', '-cf', file, '-C', dir, '.']);
  if (r.code !== 0) throw new Error(`tar ${dir}: ${r.stderr}`);
}

/** Sections "=== NAME rc=N [secs=S]" of the guest's output. */
function parse(out: string): void {
  let cur: { rc: number; secs: number; text: string } | undefined;
  for (const line of out.split('\n')) {
    const h = /^=== (\S+) rc=(-?\d+)(?: secs=(\d+))?/.exec(line);
    if (h) { cur = { rc: Number(h[2]), secs: Number(h[3] ?? 0), text: '' }; sec.set(h[1]!, cur); continue; }
    if (cur) cur.text += line + '\n';
  }
}

/** Watches the share for the guest's "mid-job" markers and restarts the target at each. */
async function faultDriver(done: () => boolean): Promise<void> {
  for (const [name, how] of [['fault-term', 'SIGTERM'], ['fault-kill', 'SIGKILL']] as const) {
    while (!done() && !existsSync(path.join(share, `${name}.mid`))) await sleep(100);
    if (done()) return;
    const s = Date.now();
    if (how === 'SIGTERM') await tg!.restart();
    else { await tg!.kill9(); await tg!.start(); }
    faults.push(`${name}: target ${how === 'SIGTERM' ? 'stopped (SIGTERM)' : 'killed (kill -9)'} and started again in ${Date.now() - s} ms`);
    writeFileSync(path.join(share, `${name}.done`), '');
  }
}

test.before(async (t) => {
  t.timeout(28 * 60_000);
  let s = Date.now();
  share = workDir('4000-share');
  const tree = makeTree(SEED, 320, 8);
  const c1 = makeChange(tree, SEED + 1, 6, 'c1');
  const t1 = applyChange(tree, c1);
  const c2 = makeChange(t1, SEED + 2, 6, 'c2');
  trees.full = tree;
  trees.newest = applyChange(t1, c2);
  // The guest reads one tar per tree over 9p (many small 9p reads are slow under TCG).
  const stage = workDir('4000-tree');
  writeTree(path.join(stage, 'src'), tree);
  await tar(path.join(stage, 'src'), path.join(share, 'src.tar'));
  for (const [name, change, base] of [['c1', c1, tree], ['c2', c2, t1]] as const) {
    writeChange(path.join(share, name), change, base);
    await tar(path.join(share, name, 'files'), path.join(share, name, 'files.tar'));
  }
  mkdirSync(path.join(share, 'conf'));
  for (const f of ['bacula-dir.conf', 'bacula-sd.conf']) copyFileSync(path.join(ROOT, 'config/examples', f), path.join(share, 'conf', f));
  lap('tree generated', s);
  s = Date.now();
  const store = await s3StoreFor('4000-bacula');
  lap('RGW started', s);
  s = Date.now();
  tg = await startTarget('4000-bacula', [spec], { kind: 'ours', config: { store: store.url }, env: store.env });
  lap('target started', s);
  s = Date.now();
  const luns: [string, string][] = [['changer', tg.url(spec.iqn, 0)], ['tape0', tg.url(spec.iqn, 1)], ['tape1', tg.url(spec.iqn, 2)]];
  let finished = false;
  const guest = guestRun({ luns, script: readFileSync(SCRIPT, 'utf8'), timeoutS: 1500, extra: ['--share', share, '--mem', '1280'] })
    .finally(() => { finished = true; });
  await faultDriver(() => finished);
  const r = await guest;
  lap(`guest boot (exit ${r.code})`, s);
  stdout = r.stdout;
  parse(r.stdout);
  // The gateway's own restore points, asked of the running serve (control socket)
  s = Date.now();
  const pts = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'catalog', 'points', '--json', '--app', 'bacula',
    '--config', path.join(tg.dir, 'config.yaml'), '--data', path.join(tg.dir, 'data')], { env: store.env, timeoutMs: 120_000 });
  points = pts.code === 0 ? pts.stdout : `exit ${pts.code}: ${pts.stderr}`;
  lap('catalog points', s);
  if (r.code !== 0 || !sec.has('end')) t.log(`guest exit ${r.code}\nstdout tail:\n${r.stdout.slice(-8000)}\nstderr tail:\n${r.stderr.slice(-3000)}\ntarget log tail:\n${tg.logs().slice(-3000)}`);
});
test.after.always(async (t) => {
  await tg?.stop();
  lap('suite total', t0);
  t.log(times.join('\n'));
});

const step = (t: ExecutionContext, name: string) => {
  const s = sec.get(name);
  if (!s) t.fail(`no step ${name} in the guest output:\n${stdout.slice(-3000)}`);
  return s ?? { rc: -1, secs: 0, text: '' };
};

/** The job report's figures: files, SD bytes, elapsed and Bacula's Rate. */
function report(text: string): { files: number; bytes: number; secs: number; rate: string; status: string } {
  const num = (re: RegExp) => Number((re.exec(text)?.[1] ?? '0').replace(/,/g, ''));
  const el = /Elapsed time:\s+(?:(\d+) mins? )?(\d+) secs?/.exec(text);
  return {
    files: num(/SD Files Written:\s+([\d,]+)/), bytes: num(/SD Bytes Written:\s+([\d,]+)/),
    secs: el ? Number(el[1] ?? 0) * 60 + Number(el[2]) : 0,
    rate: /Rate:\s+(.+)/.exec(text)?.[1]?.trim() ?? '?', status: /Termination:\s+(.+)/.exec(text)?.[1]?.trim() ?? '?',
  };
}

test.serial('setup: examples accepted, catalog created, daemons up, cartridges labelled by barcode', (t) => {
  for (const s of ['config', 'catalog', 'daemons']) t.is(step(t, s).rc, 0, `${s}:\n${step(t, s).text}`);
  const label = step(t, 'label-barcodes').text;
  for (const bc of ['CYC001L6', 'CYC002L6', 'NIT001L6', 'NIT002L6', 'FLT001L6', 'FLT002L6', 'FLT003L6', 'FLT004L6', 'FLT005L6']) t.regex(label, new RegExp(`Catalog record for Volume "${bc}", Slot \\d+\\s+successfully created`), `label ${bc}`);
});

test.serial('Full, Differential, Incremental: each job OK; the Full spans two cartridges', (t) => {
  for (const j of ['full', 'differential', 'incremental']) {
    const s = step(t, j);
    const r = report(s.text);
    t.is(r.status, 'Backup OK', `${j}:\n${s.text}`);
    t.log(`${j}: ${r.files} files, ${r.bytes} SD bytes in ${r.secs} s, Bacula's rate ${r.rate} (${s.secs} s in the guest)`);
  }
  const full = step(t, 'full').text;
  t.regex(full, /End of medium on Volume "CYC001L6"|End of Volume "CYC001L6"/, 'the Full reached the end of the first cartridge');
  t.regex(full, /Volume name\(s\):\s+CYC001L6\|CYC002L6/, 'the Full is on two volumes');
  t.regex(step(t, 'media-cycle').text, /CYC001L6\s*\|\s*Full/, 'CYC001L6 marked Full');
});

for (const [name, which] of [['newest', 'newest'], ['full', 'full'], ['again', 'newest']] as const) {
  test.serial(`restore of the ${name === 'again' ? 'newest state after the faults' : name === 'full' ? 'Full alone' : 'newest state'}: every file equal, deleted files absent`, (t) => {
    const rs = step(t, name === 'again' ? 'restore-again' : `restore-${name}`);
    t.regex(rs.text, /Termination:\s+Restore OK/, rs.text.slice(-3000));
    const got = parseListing(step(t, `manifest-${name}`).text);
    const cmp = compareTree(trees[which]!, got);
    t.deepEqual(cmp.diffs.slice(0, 40), [], `${cmp.diffs.length} differences`);
    const r = /Files Expected:\s+([\d,]+)[\s\S]*?Bytes Restored:\s+([\d,]+)[\s\S]*?Rate:\s+(.+)/.exec(rs.text);
    t.log(`restore ${name}: ${cmp.files} files, ${cmp.bytes} bytes compared equal (${got.size} entries); Bacula: ${r?.[1]} files, ${r?.[2]} bytes, rate ${r?.[3]}; ${rs.secs} s`);
  });
}

test.serial('recycling: with Volume Retention of seconds, a third job purges and reuses a volume', (t) => {
  const vols: string[] = [];
  for (const j of ['recycle-1', 'recycle-2', 'recycle-3']) {
    const s = step(t, j);
    t.is(report(s.text).status, 'Backup OK', `${j}:\n${s.text}`);
    vols.push(/Volume name\(s\):\s+(\S+)/.exec(s.text)?.[1] ?? '?');
  }
  t.deepEqual(new Set(vols.slice(0, 2)), new Set(['NIT001L6', 'NIT002L6']), `first two jobs on the two volumes: ${vols}`);
  t.is(vols[2], vols[0], 'the third job reused the oldest volume');
  t.regex(step(t, 'recycle-3').text, /Recycled volume "NIT00\dL6"|Recycled current volume "NIT00\dL6"/);
});

test.serial('faults: the host restarted the target (SIGTERM, then kill -9) in the middle of a Stream job, and the guest waited for it', (t) => {
  t.log(faults.join('\n'));
  for (const f of ['fault-term', 'fault-kill']) {
    t.true(faults.some((l) => l.startsWith(f)), `${f}: no restart (the job ended before the file daemon reported ${'>'} the mid-job mark?)`);
    t.is(step(t, `${f}-host`).rc, 0, step(t, `${f}-host`).text);
    t.notRegex(step(t, f).text, /still running after/, `${f}: the job ended by itself within Bacula's timeouts`);
  }
});

// What a restart in the middle of a job does depends on the initiator: QEMU's iSCSI initiator
// logs in again and re-issues the command in flight, so Bacula may never see an error. Either
// way nothing may be lost: a job that ended OK must restore byte for byte; one that failed must
// have failed with an error (not hung).
// A cartridge put back into its drive when serve starts is at its end of data and moves no data
// until the initiator positions (QEMU does not pass the power-on unit attention to the guest's
// st), so a job running across the restart gets a write error instead of overwriting the volume
// from its label on. Bacula reports it (SD Errors, "with warnings") and goes on with the next
// volume; the job ends by itself. What the job's own restore gives is logged, not asserted: the
// WRITE in flight at the restart may have reached the cartridge without its status reaching
// Bacula, which then writes that block again on the next volume (docs/bacula.md). Everything
// written before the restart restores (the next test and "restore of the newest state after the
// faults").
for (const f of ['fault-term', 'fault-kill']) {
  test.serial(`${f}: a job across a target restart ends by itself, with the write error reported; never a hang`, (t) => {
    const s = step(t, f);
    const r = report(s.text);
    const fed = /STREAM-SHA ([0-9a-f]{64})/.exec(step(t, 'stream-file').text)?.[1];
    const back = /STREAM-RESTORED ([0-9a-f]{64}|\S*)/.exec(step(t, `${f}-restore`).text)?.[1];
    t.log(`${f}: ${faults.find((l) => l.startsWith(f)) ?? 'no restart'}; the file daemon had sent ${(existsSync(path.join(share, `${f}.mid`)) ? readFileSync(path.join(share, `${f}.mid`), 'utf8').trim() : '?')} bytes\n`
      + `what Bacula printed:\n${s.text.split('\n').filter((l) => /Error|Fatal|Warning|Termination|error|ERR=|Volume|Rate|Bytes Written|Elapsed|Transfer rate/.test(l)).join('\n')}\n`
      + `the job's own restore: ${back === fed ? 'identical to' : 'DIFFERS from'} what was backed up`);
    t.truthy(fed);
    t.regex(r.status, /Backup OK -- with warnings|Error|Fatal|Canceled/i, s.text.slice(-3000));
    t.regex(s.text, /Write error at|Error writing|I\/O error|Input\/output error/, 'Bacula saw the refused write');
    t.notRegex(s.text, /still running after/, 'the job ended by itself within Bacula\'s timeouts');
    t.is(step(t, `${f}-host`).rc, 0);
  });
}

test.serial('after the faults: the next job succeeds', (t) => {
  const s = step(t, 'after-fault');
  const r = report(s.text);
  t.is(r.status, 'Backup OK', s.text);
  t.log(`after-fault job: ${r.bytes} SD bytes, rate ${r.rate}\n${step(t, 'media-fault').text}`);
  t.log(`guest step times: ${[...sec].filter(([, v]) => v.secs > 0).map(([k, v]) => `${k} ${v.secs}s`).join(', ')}`);
});

/** `bconsole list jobs` rows: jobid, name, type, level, status. */
function listJobs(text: string): { id: number; name: string; type: string; level: string; status: string }[] {
  const rows: { id: number; name: string; type: string; level: string; status: string }[] = [];
  for (const line of text.split('\n')) {
    const c = line.split('|').map((x) => x.trim());
    if (c.length >= 9 && /^[\d,]+$/.test(c[1]!)) rows.push({ id: Number(c[1]!.replace(/,/g, '')), name: c[2]!, type: c[4]!, level: c[5]!, status: c[8]! });
  }
  return rows;
}

test.serial('restore points: the gateway\'s Bacula points (job id, name, level) match bconsole list jobs', (t) => {
  const jobs = listJobs(step(t, 'jobs').text).filter((j) => j.type === 'B');
  t.true(jobs.length >= 7, `bconsole listed ${jobs.length} backup jobs`);
  let parsed: { points: { app: string; kind: string; jobId: number | null; job: string | null; level: string | null; barcode: string | null }[] } | undefined;
  try { parsed = JSON.parse(points) as typeof parsed; } catch { t.fail(`catalog points --json: ${points.slice(0, 2000)}`); return; }
  const pts = parsed!.points.filter((p) => p.app === 'bacula' && p.jobId !== null);
  const fromPoints = new Map<number, string>();
  for (const p of pts) fromPoints.set(p.jobId!, `${p.job} ${p.level}`);
  // A job written across a gateway restart lost its start of tape (see the fault steps), and with
  // it its session label: those jobs are judged by the fault steps, not here.
  const across = ['fault-term', 'fault-kill'].map((f) => Number(/^JOBID (\d+)$/m.exec(sec.get(f)?.text ?? '')?.[1] ?? -1));
  const fromBacula = new Map(jobs.filter((j) => !across.includes(j.id)).map((j) => [j.id, `${j.name} ${j.level}`]));
  for (const id of across) fromPoints.delete(id);
  t.log(`jobs written across a restart, left out: ${across.join(', ')}`);
  t.log(`bconsole: ${[...fromBacula].map(([id, v]) => `#${id} ${v}`).join(', ')}\ngateway:  ${[...fromPoints].map(([id, v]) => `#${id} ${v}`).join(', ')}`);
  t.deepEqual(Object.fromEntries([...fromPoints].sort(([a], [b]) => a - b)), Object.fromEntries([...fromBacula].sort(([a], [b]) => a - b)));
});
