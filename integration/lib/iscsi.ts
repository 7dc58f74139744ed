// Wrappers around the host-side initiators: libiscsi's iscsi-ls / iscsi-inq / iscsi-test-cu
// (through ../shared/tools/run-iscsi-test-cu.sh) and our build of iscsi-tape-bench.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunResult, SHARED, tool } from './util.ts';

type Env = NodeJS.ProcessEnv;

export interface LsTarget { iqn: string; portal: string; luns: { lun: number; type: string; size?: string }[] }

/** `iscsi-ls [-s] URL`, parsed: "Target:IQN Portal:P" and "Lun:N    Type:T (Size:S)" lines. */
export async function iscsiLs(portalUrl: string, opts: { showLuns?: boolean; env?: Env } = {}): Promise<RunResult & { targets: LsTarget[] }> {
  const r = await run('iscsi-ls', [...(opts.showLuns ? ['-s'] : []), portalUrl], { env: opts.env, timeoutMs: 60_000 });
  const targets: LsTarget[] = [];
  for (const line of r.stdout.split('\n')) {
    const t = /^Target:(\S+) Portal:(\S+)/.exec(line);
    if (t) targets.push({ iqn: t[1]!, portal: t[2]!, luns: [] });
    const l = /^Lun:(\d+)\s+Type:(\S+)(?: \(Size:([^)]*)\))?/.exec(line);
    if (l && targets.length) targets.at(-1)!.luns.push({ lun: Number(l[1]), type: l[2]!, ...(l[3] ? { size: l[3] } : {}) });
  }
  return { ...r, targets };
}

/** `iscsi-inq URL` (standard INQUIRY); `fields` holds its "Key:Value" lines. */
export async function iscsiInq(url: string, opts: { env?: Env; args?: string[] } = {}): Promise<RunResult & { fields: Record<string, string> }> {
  const r = await run('iscsi-inq', [...(opts.args ?? []), url], { env: opts.env, timeoutMs: 60_000 });
  const fields: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:]+):(.*)$/.exec(line);
    if (m) fields[m[1]!.trim()] = m[2]!.trim();
  }
  return { ...r, fields };
}

export interface CuResult {
  family: string; rc: number; pass: number; skip: number; fail: number;
  failed: string[]; // "Suite.Test" of every failing test
  skipped: string[]; // "Suite.Test" of every test that printed [SKIPPED] (CUnit counts them as passed)
  outDir: string; stderr: string;
}

/** One iscsi-test-cu family (SCSI, iSCSI, LINUX, or a FAMILY.SUITE[.TEST] pattern) against a disk LUN. */
export async function iscsiTestCu(url: string, outDir: string, family: string, opts: { timeoutS?: number } = {}): Promise<CuResult> {
  const timeoutS = opts.timeoutS ?? 900;
  const r = await run('bash', [path.join(SHARED, 'tools/run-iscsi-test-cu.sh'), url, outDir, family],
    { env: { CU_TIMEOUT: String(timeoutS) }, timeoutMs: (timeoutS + 60) * 1000 });
  if (r.code !== 0) throw new Error(`run-iscsi-test-cu.sh exited ${r.code}: ${r.stderr}`);
  const sum = await run('python3', [path.join(SHARED, 'tools/cu-summary.py'), path.join(outDir, `${family}.out`), '--json']);
  const j = JSON.parse(sum.stdout) as { total: { pass: number; skip: number; fail: number }; suites: Record<string, { failed: string[] }> };
  // families.txt row: FAMILY pass skip fail tests wall_s rc
  const row = readFileSync(path.join(outDir, 'families.txt'), 'utf8').split('\n').find((l) => l.split(/\s+/)[0] === family);
  const rc = Number(row?.trim().split(/\s+/).at(-1) ?? 255);
  const failed = Object.entries(j.suites).flatMap(([s, v]) => v.failed.map((t) => `${s.replace(/#\d+$/, '')}.${t}`));
  const skipped = skippedTests(readFileSync(path.join(outDir, `${family}.out`), 'utf8'));
  return { family, rc, ...j.total, failed, skipped, outDir, stderr: readFileSync(path.join(outDir, `${family}.err`), 'utf8') };
}

/**
 * "Suite.Test" of each test in iscsi-test-cu's verbose output that printed [SKIPPED] before its
 * "passed" verdict: the tests cu-summary.py counts as skip (same reading of the output).
 */
export function skippedTests(out: string): string[] {
  const res: string[] = [];
  let suite: string | undefined;
  let test: string | undefined;
  let skipped = false;
  for (const line of out.split('\n')) {
    const s = /^Suite: (\S+)/.exec(line);
    if (s) { suite = s[1]; test = undefined; continue; }
    const t = /^ {2}Test: (\S+) \.\.\.(.*)$/.exec(line);
    let rest: string;
    if (t) { test = t[1]; skipped = false; rest = t[2]!; } else if (test !== undefined) rest = line; else continue;
    if (rest.includes('[SKIPPED]')) skipped = true;
    const verdict = /^passed\b/.test(rest) || rest.trim() === 'passed' ? 'passed' : /^FAILED\b/.test(rest) || rest.trim() === 'FAILED' ? 'FAILED' : undefined;
    if (verdict !== undefined) {
      if (verdict === 'passed' && skipped) res.push(`${suite ?? '?'}.${test}`);
      test = undefined;
      skipped = false;
    }
  }
  return res;
}

export interface BenchJson {
  ok: boolean; phase?: string; error?: string; bytes?: number;
  write_MBps?: number; write_incl_flush_MBps?: number; read_MBps?: number;
  verify_ok?: boolean; filemark?: string; [k: string]: unknown;
}

/** iscsi-tape-bench ARGS URL; `json` is its one JSON line (undefined when it printed none). */
export async function tapeBench(url: string, args: string[], opts: { env?: Env; timeoutMs?: number } = {}): Promise<RunResult & { json?: BenchJson }> {
  const r = await run(tool('iscsi-tape-bench'), [...args, url], { env: opts.env, timeoutMs: opts.timeoutMs ?? 600_000 });
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return { ...r, ...(line ? { json: JSON.parse(line) as BenchJson } : {}) };
}
