// npm run bench -- hostile [--sessions 1,2,8] [--size 256M] [--bs 1M]
// The gateway's peak RSS with N hostile writers (bench/hostile-initiator.ts:
// WRITEs announcing 64 MiB, every R2T answered but each command's first,
// 400 immediate WRITEs) and N hostile readers (READs of 64 MiB, the socket
// never read) beside N well-behaved sessions streaming disk writes
// at full speed (iscsi-tape-bench --disk), and their throughput against the
// same N sessions alone. One fresh target per N: VmHWM is the process's peak.
import { readFileSync } from 'node:fs';
import { IQN_PREFIX, type TargetSpec } from '../integration/lib/config.ts';
import { tapeBench, type BenchJson } from '../integration/lib/iscsi.ts';
import { startTarget } from '../integration/lib/target.ts';
import { parseSize } from '../integration/lib/config.ts';
import { HostileInitiator } from './hostile-initiator.ts';

export interface HostileRun {
  readonly sessions: number;
  readonly aloneMBps: number[];
  readonly besideMBps: number[];
  readonly rssStartMiB: number;
  readonly peakAloneMiB: number;
  readonly peakMiB: number;
  readonly hostileSentMiB: number;
  readonly hostileClosed: number;
  readonly readers: number;
}

const status = (pid: number | undefined, key: 'VmHWM' | 'VmRSS'): number => {
  try {
    return Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
  } catch {
    return NaN;
  }
};

async function streams(url: string, n: number, size: string, bs: string, tag: string): Promise<number[]> {
  const blocks = parseSize(size) / 512;
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => tapeBench(url, [
    '--disk', '--mode', 'write', '--bs', bs, '--size', size, '--lba', String(i * blocks), '--initiator', `${IQN_PREFIX}:good-${tag}-${i}`,
  ])));
  return runs.map((r) => {
    const j: BenchJson | undefined = r.json;
    if (!j?.ok) console.error(`well-behaved session failed: ${j?.error ?? r.stderr.trim().split('\n').at(-1)}`);
    return j?.ok ? Number(j.write_MBps) : NaN;
  });
}

const READ_LENGTH = 64 * 2 ** 20;

/** One fresh target: N well-behaved sessions alone, then beside N hostile writers and `readers` hostile readers (default N). */
export async function hostileRun(n: number, o: { size: string; bs: string; settleMs?: number; readers?: number }): Promise<HostileRun> {
  const readers = o.readers ?? n;
  const diskBytes = Math.max(READ_LENGTH, Math.max(1, n) * parseSize(o.size));
  const spec: TargetSpec = { iqn: `${IQN_PREFIX}:hostile`, luns: [{ lun: 0, type: 'disk', size: `${Math.ceil(diskBytes / 2 ** 20)}MiB` }] };
  const t = await startTarget(`bench-hostile-${n}`, [spec], { kind: 'ours' });
  const hostile: HostileInitiator[] = [];
  try {
    const url = t.url(spec.iqn, 0);
    const rssStartMiB = status(t.pid(), 'VmRSS');
    const aloneMBps = await streams(url, n, o.size, o.bs, 'alone');
    const peakAloneMiB = status(t.pid(), 'VmHWM');
    for (let i = 0; i < n; i++) {
      hostile.push(await HostileInitiator.start({ port: t.port, targetName: spec.iqn, initiatorName: `${IQN_PREFIX}:hostile-${i}` }));
    }
    for (let i = 0; i < readers; i++) {
      hostile.push(await HostileInitiator.start({ port: t.port, targetName: spec.iqn, initiatorName: `${IQN_PREFIX}:reader-${i}`, mode: 'reader', length: READ_LENGTH }));
    }
    await new Promise((r) => setTimeout(r, o.settleMs ?? 2000)); // let them take what they can
    const besideMBps = await streams(url, n, o.size, o.bs, 'beside');
    const peakMiB = status(t.pid(), 'VmHWM');
    return {
      sessions: n, aloneMBps, besideMBps, rssStartMiB, peakAloneMiB, peakMiB,
      hostileSentMiB: Math.round(hostile.reduce((s, h) => s + h.stats.bytesSent, 0) / 2 ** 20),
      hostileClosed: hostile.filter((h) => h.stats.closed).length,
      readers,
    };
  } finally {
    for (const h of hostile) h.stop();
    await t.stop();
  }
}

const sum = (xs: number[]): string => xs.reduce((a, b) => a + b, 0).toFixed(0);
const each = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join('/');

export async function benchHostile(o: { sessions: number[]; size: string; bs: string }): Promise<void> {
  const rows: HostileRun[] = [];
  for (const n of o.sessions) {
    const r = await hostileRun(n, o);
    console.error(`N=${n}: alone ${each(r.aloneMBps)} MB/s, beside hostile ${each(r.besideMBps)} MB/s, peak RSS ${r.peakMiB} MiB`);
    rows.push(r);
  }
  console.log(`\nwell-behaved: iscsi-tape-bench --disk --mode write --bs ${o.bs} --size ${o.size} per session; hostile: N writers (WRITEs of 64 MiB, first R2T unanswered, 400 immediate) and N readers (READs of 64 MiB, window and 400 immediate, socket never read)`);
  console.log(['N', 'alone MB/s (sum: each)', 'beside hostile MB/s', 'RSS start', 'peak alone', 'peak beside', 'hostile sent', 'hostile closed'].join(' | '));
  for (const r of rows) {
    console.log([r.sessions, `${sum(r.aloneMBps)}: ${each(r.aloneMBps)}`, `${sum(r.besideMBps)}: ${each(r.besideMBps)}`,
      `${r.rssStartMiB} MiB`, `${r.peakAloneMiB} MiB`, `${r.peakMiB} MiB`, `${r.hostileSentMiB} MiB`, r.hostileClosed].join(' | '));
  }
}
