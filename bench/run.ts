// Benchmark: Debian tgt (../shared/tools/tgt-ref.sh) and s3vtl started in the same run,
// iscsi-tape-bench on both with the same parameters, interleaved (case by case, tgt then ours),
// repeated --reps times; prints medians side by side, ours/tgt ratios, µs per 8 KiB command,
// and each target's peak RSS (VmHWM).
//   node --import=tsx bench/run.ts disk|tape [--reps 3] [--size 1G] [--only tgt|ours]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IQN_PREFIX, type TargetSpec } from '../integration/lib/config.ts';
import { type BenchJson, tapeBench } from '../integration/lib/iscsi.ts';
import { startTarget, type Target } from '../integration/lib/target.ts';
import { freePort, run, SHARED, workDir } from '../integration/lib/util.ts';

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { reps: { type: 'string', default: '3' }, size: { type: 'string', default: '1G' }, only: { type: 'string' } },
});
const kind = positionals[0];
if (kind !== 'disk' && kind !== 'tape') throw new Error('usage: bench/run.ts disk|tape [--reps N] [--size 1G] [--only tgt|ours]');
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
  const spec: TargetSpec = kind === 'disk'
    ? { iqn: `${IQN_PREFIX}:disk`, luns: [{ lun: 0, type: 'disk', size: '2GiB' }] }
    : { iqn: `${IQN_PREFIX}:tape`, luns: [{ lun: 0, type: 'tape', size: '4GiB' }] };
  const t: Target = await startTarget('bench-ours', [spec], { kind: 'ours' });
  return { name: 'ours', url: t.url(spec.iqn, 0), pid: t.pid, stop: t.stop };
}

const peakRss = (pid?: number) => {
  try { return `${Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024)} MiB`; } catch { return '?'; }
};
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

const sides: Side[] = [];
try {
  if (o.only !== 'ours') sides.push(await startTgt());
  if (o.only !== 'tgt') sides.push(await startOurs());
  const results = new Map<string, BenchJson[]>(); // "case|side" -> runs
  for (let rep = 1; rep <= Number(o.reps); rep++) {
    for (const [name, args] of cases) {
      for (const s of sides) {
        const r = await tapeBench(s.url, [...args, '--seed', String(rep)]);
        const j = r.json ?? { ok: false, error: r.stderr.trim() };
        if (!j.ok) console.error(`rep ${rep} ${name} ${s.name}: FAILED ${j.error ?? ''} ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
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
