// Benchmark: Debian tgt (../shared/tools/tgt-ref.sh) and s3vtl started in the same run,
// iscsi-tape-bench on both with the same parameters, interleaved (case by case, tgt then ours),
// repeated --reps times; prints medians side by side, ours/tgt ratios, µs per 8 KiB command,
// and each target's peak RSS (VmHWM). tape: tgt's drive LUN (tgt-ref.sh, tape loaded) beside drive 0
// of an s3vtl library with one 4 GiB cartridge that loadDrive() moves in with MOVE MEDIUM first.
// s3: see bench/s3.ts (tape writes to the S3 store on an RGW beside that RGW's PUT ceiling).
//   node --import=tsx bench/run.ts disk|tape [--reps 3] [--size 1G] [--only tgt|ours] [--case 'var qd1'] [--mode write]
//   node --import=tsx bench/run.ts hostile [--sessions 1,2,8] [--size 256M] [--bs 1M] (bench/hostile.ts)
//   node --import=tsx bench/run.ts cdp [--size 1G] [--commands 2000] [--lag-seconds 30] [--idle-seconds 30] (bench/cdp.ts)
//   node --import=tsx bench/run.ts retention-requests [--cartridges 1000] (bench/retention-requests.ts)
//   node --import=tsx bench/run.ts s3 [--reps 1] [--size 1G] [--segment SIZE] [--query k=v&...] [--no-verify]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IQN_PREFIX, libraryTarget, type TargetSpec } from '../integration/lib/config.ts';
import { Initiator, senseTriple } from '../integration/lib/initiator.ts';
import { type BenchJson, tapeBench } from '../integration/lib/iscsi.ts';
import { startTarget, type Target } from '../integration/lib/target.ts';
import { freePort, run, SHARED, workDir } from '../integration/lib/util.ts';
import { runProblem, verdict } from './verdict.ts';

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reps: { type: 'string' }, size: { type: 'string', default: '1G' }, only: { type: 'string' },
    // disk/tape: run only the cases whose name contains this; iscsi-tape-bench --mode (both, write: no read-back)
    case: { type: 'string' }, mode: { type: 'string', default: 'both' },
    // s3 mode: segment size override, extra s3:// query options, uploads in flight, read-back check
    // hostile: N hostile + N well-behaved sessions for each N, well-behaved block size
    sessions: { type: 'string' }, bs: { type: 'string' },
    // cdp mode: 4 KiB writes per latency case (64 KiB: a quarter), steady-load and idle windows
    commands: { type: 'string', default: '2000' }, 'lag-seconds': { type: 'string', default: '30' }, 'idle-seconds': { type: 'string', default: '30' },
    // retention-requests: cartridges in the catalog and the store
    cartridges: { type: 'string', default: '1000' },
    segment: { type: 'string' }, query: { type: 'string' }, concurrency: { type: 'string', default: '4' }, 'no-verify': { type: 'boolean', default: false },
  },
});
const kind = positionals[0];
const parseBytes = (s: string): number => {
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(s);
  if (!m) throw new Error(`bad size ${s} (e.g. 64M, 1G)`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase());
};
if (kind === 's3') {
  const { benchS3 } = await import('./s3.ts');
  try {
    await benchS3({ size: o.size!, reps: Number(o.reps ?? '1'), verify: !o['no-verify'], concurrency: Number(o.concurrency),
      ...(o.segment !== undefined && { segment: o.segment }), ...(o.query !== undefined && { query: o.query }) });
  } catch (e) {
    console.error(e);
    console.log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  console.log(o['no-verify'] ? 'not verified: --no-verify' : 'verified: every rep read back from the bucket byte-identical');
  process.exit(0);
}
if (kind === 'hostile') {
  const { benchHostile } = await import('./hostile.ts');
  await benchHostile({ sessions: (o.sessions ?? '1,2,8').split(',').map(Number), size: o.size === '1G' ? '256M' : o.size!, bs: o.bs ?? '1M' });
  process.exit(0);
}
if (kind === 'cdp') {
  const { benchCdp } = await import('./cdp.ts');
  const ok = await benchCdp({ size: parseBytes(o.size!), commands: Number(o.commands), lagSeconds: Number(o['lag-seconds']), idleSeconds: Number(o['idle-seconds']) });
  process.exit(ok ? 0 : 1);
}
if (kind === 'retention-requests') {
  const { benchRetentionRequests } = await import('./retention-requests.ts');
  const ok = await benchRetentionRequests({ cartridges: Number(o.cartridges), dir: path.join(process.cwd(), '.work/bench-retention-requests') });
  process.exit(ok ? 0 : 1);
}
if (kind !== 'disk' && kind !== 'tape') throw new Error('usage: bench/run.ts disk|tape|s3|hostile|cdp [--reps N] [--size 1G] [--only tgt|ours] (s3: [--segment 256MiB] [--query k=v&...] [--concurrency 4] [--no-verify])');
o.reps ??= '3';
const SMALL = '64M'; // size of the 8 KiB-block runs

// case name -> bench arguments (the URL is added per side)
const cases: [string, string[]][] = kind === 'disk'
  ? [['qd1', ['--disk', '--size', o.size!]], ['qd8', ['--disk', '--qd', '8', '--size', o.size!]],
     ['8K qd1', ['--disk', '--bs', '8K', '--size', SMALL]]]
  : [['var qd1', ['--size', o.size!]], ['var qd4', ['--qd', '4', '--size', o.size!]],
     ['fixed qd1', ['--fixed', '--size', o.size!]], ['fixed qd4', ['--fixed', '--qd', '4', '--size', o.size!]],
     ['var 8K qd1', ['--bs', '8K', '--size', SMALL]]];

interface Side { name: 'tgt' | 'ours'; url: string; pid: () => number | undefined; stop: () => Promise<void> }

async function startTgt(): Promise<Side> {
  const dir = workDir('bench-tgt');
  const port = await freePort();
  const env = { PORT: String(port), DISK_MB: '2048', TAPE_MB: '4096', NUM_DRIVES: '1', NUM_TAPES: '1' };
  const script = path.join(SHARED, 'tools/tgt-ref.sh');
  const stop = async () => { await run('bash', [script, 'stop', dir], { env }); };
  const r = await run('bash', [script, 'start', dir], { env });
  if (r.code !== 0) { await stop(); throw new Error(`tgt-ref.sh start: ${r.stderr}`); }
  const url = /^(disk|tape1)\s*: (\S+)$/gm;
  const urls = Object.fromEntries([...r.stdout.matchAll(url)].map((m) => [m[1], m[2]]));
  return {
    name: 'tgt', url: kind === 'disk' ? urls.disk : urls.tape1,
    pid: () => Number(readFileSync(path.join(dir, 'tgtd.pid'), 'utf8')),
    stop,
  };
}

async function startOurs(): Promise<Side> {
  if (kind === 'disk') {
    const spec: TargetSpec = { iqn: `${IQN_PREFIX}:disk`, luns: [{ lun: 0, type: 'disk', size: '2GiB' }] };
    const t: Target = await startTarget('bench-ours', [spec], { kind: 'ours' });
    return { name: 'ours', url: t.url(spec.iqn, 0), pid: t.pid, stop: t.stop };
  }
  // tape: a library (LUN 0 changer, LUN 1 drive 0) with one cartridge, moved into the drive
  // with MOVE MEDIUM before the bench (our drives start empty; the bench's --load needs media).
  const spec = libraryTarget('bench', { name: 'bench', drives: 1, slots: 4, mailslots: 0,
    cartridges: [{ prefix: 'BNC', count: 1, media: 'L6', capacity: '4GiB' }] });
  const t: Target = await startTarget('bench-ours', [spec], { kind: 'ours' });
  try { await loadDrive(t.port, spec.iqn); } catch (e) { await t.stop(); throw e; }
  return { name: 'ours', url: t.url(spec.iqn, 1), pid: t.pid, stop: t.stop };
}

/** SMC-3 MOVE MEDIUM: first full storage element -> first data transfer element (LUN 0 = changer). */
export async function loadDrive(port: number, iqn: string): Promise<void> {
  const ini = await Initiator.login({ host: '127.0.0.1', port, targetName: iqn, initiatorName: 'iqn.2026-11.org.s3vtl:bench-loader' });
  const check = (what: string, r: { status: number; sense: Buffer }) => {
    if (r.status !== 0) throw new Error(`${what}: status ${r.status} sense ${JSON.stringify(senseTriple(r.sense))}`);
  };
  try {
    for (let i = 0; i < 5; i++) { // TEST UNIT READY until the power-on UNIT ATTENTION is gone
      if ((await ini.command(0, Buffer.from([0, 0, 0, 0, 0, 0]))).status === 0) break;
    }
    // MODE SENSE(6), DBD, page 1Dh (element address assignment)
    const ms = await ini.command(0, Buffer.from([0x1a, 0x08, 0x1d, 0, 255, 0]), { readLength: 255 });
    check('MODE SENSE page 1Dh', ms);
    const pg = ms.data.subarray(4 + ms.data[3]!);
    const transport = pg.readUInt16BE(2), firstSlot = pg.readUInt16BE(6), firstDrive = pg.readUInt16BE(14);
    // READ ELEMENT STATUS, storage elements (type 2) from the first slot: the first full one
    const res = await ini.command(0, Buffer.from([0xb8, 0x02, firstSlot >> 8, firstSlot & 255, 0, 64, 0, 0, 0x10, 0, 0, 0]), { readLength: 4096 });
    check('READ ELEMENT STATUS', res);
    const descLen = res.data.readUInt16BE(10);
    let src = -1;
    for (let off = 16; off + descLen <= res.data.length && off < 8 + res.data.readUIntBE(5, 3); off += descLen) {
      if (res.data[off + 2]! & 0x01) { src = res.data.readUInt16BE(off); break; }
    }
    if (src < 0) throw new Error('no full storage element to load from');
    const mv = await ini.command(0, Buffer.from([0xa5, 0, transport >> 8, transport & 255, src >> 8, src & 255, firstDrive >> 8, firstDrive & 255, 0, 0, 0, 0]));
    check(`MOVE MEDIUM ${src} -> ${firstDrive}`, mv);
    console.error(`ours: moved the cartridge in element ${src} to drive element ${firstDrive}`);
  } finally {
    await ini.logout().catch(() => ini.destroy());
  }
}

const peakRss = (pid?: number) => {
  try { return `${Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024)} MiB`; } catch { return '?'; }
};
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

const sides: Side[] = [];
const reads = o.mode !== 'write'; // iscsi-tape-bench verifies what it reads (its default --verify)
const problems: string[] = [];
let runs = 0;
try {
  if (o.only !== 'ours') sides.push(await startTgt());
  if (o.only !== 'tgt') sides.push(await startOurs());
  const results = new Map<string, BenchJson[]>(); // "case|side" -> runs
  for (let rep = 1; rep <= Number(o.reps); rep++) {
    for (const [name, args] of cases) {
      if (o.case !== undefined && !name.includes(o.case)) continue;
      for (const s of sides) {
        const r = await tapeBench(s.url, [...args, '--seed', String(rep), ...(o.mode === 'both' ? [] : ['--mode', o.mode!])]);
        const j = r.json ?? { ok: false, error: r.stderr.trim() };
        const problem = runProblem(j, reads);
        runs++;
        if (problem !== undefined) {
          problems.push(`rep ${rep} ${name} ${s.name} ${problem}`);
          j.ok = false; // out of the medians
        }
        if (problem !== undefined) console.error(`rep ${rep} ${name} ${s.name}: FAILED ${problem} ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
        else console.error(`rep ${rep} ${name} ${s.name}: write ${j.write_MBps} read ${j.read_MBps} MB/s`);
        results.set(`${name}|${s.name}`, [...(results.get(`${name}|${s.name}`) ?? []), j]);
      }
    }
  }
  // table of medians (MB = 10^6 B); failed runs count as missing
  const med = (c: string, s: string, k: keyof BenchJson) => median((results.get(`${c}|${s}`) ?? []).filter((j) => j.ok).map((j) => Number(j[k])));
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const cols: [string, keyof BenchJson][] = [['write', 'write_MBps'], ['write+flush', 'write_incl_flush_MBps'], ['read', 'read_MBps']];
  console.log(`\n${kind}, ${o.reps} reps, medians in MB/s (ratio = ours/tgt); 8K rows also in µs per command`);
  console.log(['case'.padEnd(11), ...cols.flatMap(([c]) => [`${c} tgt`, 'ours', 'ratio'].map((h) => h.padStart(12)))].join(' '));
  for (const [c] of cases) {
    const cells = cols.flatMap(([, k]) => { const a = med(c, 'tgt', k); const b = med(c, 'ours', k); return [f(a), f(b), Number.isFinite(a / b) ? (b / a).toFixed(2) : '-']; });
    console.log([c.padEnd(11), ...cells.map((x) => x.padStart(12))].join(' '));
    if (c.includes('8K')) { // bytes / (MB/s) = µs per command
      const us = cols.flatMap(([, k]) => [f(8192 / med(c, 'tgt', k)), f(8192 / med(c, 'ours', k)), '']);
      console.log(['  µs/cmd'.padEnd(11), ...us.map((x) => x.padStart(12))].join(' '));
    }
  }
  console.log(`peak RSS: ${sides.map((s) => `${s.name} ${peakRss(s.pid())}`).join(', ')}`);
} finally {
  for (const s of sides) await s.stop();
}
const v = verdict(problems, runs, reads);
console.log(v.line);
process.exitCode = v.exitCode;
