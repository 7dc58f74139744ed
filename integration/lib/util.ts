// Shared helpers for the integration harness: paths, free ports, running commands.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.S3VTL_SHARED ?? path.resolve(ROOT, '../shared');
export const TOOLS = path.join(ROOT, '.work/tools');
export const WORK = path.join(ROOT, '.work/it'); // per-suite work dirs (logs, configs, data)

/** Path of a tool built by scripts/setup.sh, with a clear error when it is missing. */
export function tool(name: string): string {
  const p = path.join(TOOLS, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/setup.sh first`);
  return p;
}

/** A fresh (emptied) work directory .work/it/NAME for one suite or target. */
export function workDir(name: string): string {
  const dir = path.join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Ports on 127.0.0.1 (never 3260): iSCSI targets in 3361-3399, RGW in 7482-7489 (the mon takes
// the next free port); S3VTL_IT_PORTS / S3VTL_IT_RGW_PORTS=FROM-TO override them.
export const ISCSI_PORTS = process.env.S3VTL_IT_PORTS ?? '3361-3399';
export const RGW_PORTS = process.env.S3VTL_IT_RGW_PORTS ?? '7482-7489';
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port in range "FROM-TO" that nobody listens on and that this process has not handed out yet. */
export async function freePort(range = ISCSI_PORTS): Promise<number> {
  const [from, to] = range.split('-').map(Number) as [number, number];
  for (let p = from; p <= to; p++) {
    if (!handedOut.has(p) && (await canListen(p))) {
      handedOut.add(p);
      return p;
    }
  }
  throw new Error(`no free port in ${range}`);
}

/** Resolves when 127.0.0.1:port accepts a TCP connection; `alive` aborts the wait early. */
export async function waitListening(port: number, timeoutMs: number, alive: () => string | null): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    const dead = alive();
    if (dead) throw new Error(dead);
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RunResult { code: number; signal: string | null; stdout: string; stderr: string; ms: number }

/** Runs a command to completion (never rejects on a non-zero exit). timeoutMs kills it with SIGKILL. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Last `n` lines of a text, for error messages. */
export function tail(text: string, n = 30): string {
  return text.split('\n').slice(-n).join('\n');
}
