// Start the iSCSI target under test on a free 127.0.0.1 port, wait until it listens,
// keep its log, stop/restart it. S3VTL_IT_TARGET=tgt runs the same suites against Debian's
// tgtd (configured with tgtadm from the same TargetSpec) to prove the harness itself.
// S3VTL_IT_STORE=s3 puts every library target on a fresh bucket of one RGW per test file
// (lib/store.ts) unless the suite's config names its own store.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Chap, parseSize, renderConfig, type TargetSpec } from './config.ts';
import { dirProbe, noProbe, type StoreSpec, storeFor } from './store.ts';
import { freePort, ROOT, run, sleep, tail, waitListening, workDir } from './util.ts';

export type TargetKind = 'ours' | 'tgt';
export const targetKind = (): TargetKind => (process.env.S3VTL_IT_TARGET === 'tgt' ? 'tgt' : 'ours');

export interface Target {
  kind: TargetKind;
  port: number;
  dir: string;
  specs: TargetSpec[];
  /** The object store of our target's tape side (S3VTL_IT_STORE, or the config's own store). */
  store: StoreSpec;
  /** iscsi://[user%secret@]127.0.0.1:PORT/IQN/LUN[?query]; maps LUN numbers for tgt (its LUN 0 is its own controller). */
  url(iqn: string, lun: number, opts?: { chap?: Chap; query?: string }): string;
  /** iscsi://[user%secret@]127.0.0.1:PORT (discovery). */
  portalUrl(chap?: Chap): string;
  /** The LUN number the initiator sees for a spec LUN (tgt: +1). */
  lunNo(lun: number): number;
  pid(): number | undefined;
  /** How the target process ended (exit code or signal), or undefined while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  logs(): string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** kill -9 (no clean shutdown); resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Start again after stop() or kill9(), same port and data dir. */
  start(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Never leak a target: kill them when this test worker exits, also on SIGTERM/SIGINT (ava's
// timeout or Ctrl-C). A SIGKILLed worker still leaks them; their work dirs name the port.
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(128 + (sig === 'SIGTERM' ? 15 : 2)));

/** Spawns cmd with stdout+stderr appended to logFile. */
function spawnLogged(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves once `line` appears in `file` past byte `from`; `alive` aborts the wait early. */
async function waitForLine(file: string, from: number, line: string, timeoutMs: number, alive: () => string | null): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (readFileSync(file).subarray(from).toString('utf8').includes(line)) return;
    const dead = alive();
    if (dead) throw new Error(dead);
    if (Date.now() > end) throw new Error(`no "${line}" in ${file} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
  child.kill('SIGKILL');
  await exited;
}

const cred = (c?: Chap) => (c ? `${encodeURIComponent(c.user)}%${encodeURIComponent(c.secret)}@` : '');

/** Starts a target serving `specs`; its work dir is .work/it/NAME (config, data, log). */
export async function startTarget(name: string, specs: TargetSpec[], opts: { kind?: TargetKind; env?: NodeJS.ProcessEnv; startTimeoutMs?: number; config?: Record<string, unknown>; data?: string } = {}): Promise<Target> {
  const kind = opts.kind ?? targetKind();
  const dir = workDir(name);
  const port = await freePort();
  const logFile = path.join(dir, 'target.log');
  const lunNo = (lun: number) => (kind === 'tgt' ? lun + 1 : lun);
  let child: ChildProcess | undefined;
  // The data directory: .work/it/NAME/data, or one the suite chose (a small file system, say).
  const data = opts.data ?? path.join(dir, 'data');
  // The store: the config's own one if it names one, else what S3VTL_IT_STORE asks (dir = the
  // embedded default file://<data>/store; s3 = a fresh bucket on this test file's RGW).
  const explicit = opts.config?.store;
  const store: StoreSpec = typeof explicit === 'string'
    ? explicit.startsWith('s3://')
      ? { kind: 's3', url: explicit, env: {}, probe: noProbe(explicit) } // its endpoint and keys are in opts.env
      : { kind: 'dir', url: explicit, env: {}, probe: dirProbe(explicit.replace(/^file:\/\//, '')) }
    : kind === 'ours' && specs.some((s) => s.library || s.luns.some((l) => l.cdp)) ? await storeFor(name, data) : { kind: 'dir', url: `file://${path.join(data, 'store')}`, env: {}, probe: dirProbe(path.join(data, 'store')) };

  const exitedMsg = () => (child && (child.exitCode !== null || child.signalCode !== null)
    ? `target exited (${child.exitCode ?? child.signalCode}) before listening; log tail:\n${tail(readFileSync(logFile, 'utf8'))}`
    : null);

  async function startOurs() {
    const cfg = path.join(dir, 'config.yaml');
    mkdirSync(data, { recursive: true });
    writeFileSync(cfg, renderConfig(specs, `127.0.0.1:${port}`, data, opts.config));
    const storeArgs = explicit === undefined && store.kind === 's3' ? ['--store', store.url] : [];
    const from = existsSync(logFile) ? statSync(logFile).size : 0;
    child = spawnLogged(process.execPath, [...(process.env.S3VTL_IT_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import=tsx', 'src/main.ts', 'serve', '--config', cfg, '--listen', `127.0.0.1:${port}`, '--data', data, ...storeArgs], logFile, { ...store.env, ...opts.env });
    // Our own "listening" line, not just a connectable port: another process on the same
    // port (a parallel run) would otherwise be taken for this target.
    await waitForLine(logFile, from, `s3vtl: listening on 127.0.0.1:${port}`, opts.startTimeoutMs ?? 30_000, exitedMsg);
  }

  async function startTgt() {
    child = spawnLogged('tgtd', ['-f', '-C', String(port), '--iscsi', `portal=127.0.0.1:${port}`], logFile);
    await waitListening(port, opts.startTimeoutMs ?? 10_000, exitedMsg);
    const adm = async (...args: string[]) => {
      const r = await run('tgtadm', ['-C', String(port), '--lld', 'iscsi', ...args]);
      if (r.code !== 0) throw new Error(`tgtadm ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    };
    // tgtadm answers only once tgtd's control socket exists
    for (let i = 0; i < 50 && (await run('tgtadm', ['-C', String(port), '--op', 'show', '--mode', 'target'])).code !== 0; i++) await sleep(100);
    const accounts = new Set<string>(); // tgt accounts are global: create each once, bind per target
    for (const [i, t] of specs.entries()) {
      const tid = String(i + 1);
      await adm('--op', 'new', '--mode', 'target', '--tid', tid, '-T', t.iqn);
      for (const l of t.luns) {
        const file = path.join(dir, `t${tid}-lun${l.lun}.img`);
        const mb = Math.ceil(parseSize(l.size ?? '1GiB') / 2 ** 20);
        if (l.type === 'disk') {
          if (!existsSync(file)) { closeSync(openSync(file, 'w')); truncateSync(file, mb * 2 ** 20); }
          await adm('--op', 'new', '--mode', 'logicalunit', '--tid', tid, '--lun', String(lunNo(l.lun)), '--bstype', 'rdwr', '-b', file);
        } else if (l.type === 'tape') {
          if (!existsSync(file)) {
            const r = await run('tgtimg', ['--op', 'new', '--device-type', 'tape', '--barcode', `T${tid}L${l.lun}`, '--size', String(mb), '--type', 'data', '--file', file, '--thin-provisioning']);
            if (r.code !== 0) throw new Error(`tgtimg: ${r.stderr}`);
          }
          await adm('--op', 'new', '--mode', 'logicalunit', '--tid', tid, '--lun', String(lunNo(l.lun)), '--bstype', 'ssc', '--device-type', 'tape', '-b', file);
        } else {
          throw new Error('changer LUNs are not supported by the tgt stand-in (use ../shared/guest/tgt-vtl)');
        }
      }
      for (const [c, outgoing] of [[t.chap, false], [t.mutualChap, true]] as const) {
        if (!c) continue;
        if (!accounts.has(c.user)) await adm('--op', 'new', '--mode', 'account', '--user', c.user, '--password', c.secret);
        accounts.add(c.user);
        await adm('--op', 'bind', '--mode', 'account', '--tid', tid, '--user', c.user, ...(outgoing ? ['--outgoing'] : []));
      }
      await adm('--op', 'bind', '--mode', 'target', '--tid', tid, '-I', 'ALL');
    }
  }

  const start = async () => {
    writeFileSync(logFile, `--- start ${new Date().toISOString()} (${kind}, port ${port}, store ${store.url})\n`, { flag: 'a' });
    await (kind === 'tgt' ? startTgt() : startOurs());
  };
  await start().catch(async (e: unknown) => { await kill(child); throw e; });

  return {
    kind, port, dir, specs, store, lunNo,
    url: (iqn, lun, o = {}) => `iscsi://${cred(o.chap)}127.0.0.1:${port}/${iqn}/${lunNo(lun)}${o.query ? `?${o.query}` : ''}`,
    portalUrl: (chap) => `iscsi://${cred(chap)}127.0.0.1:${port}`,
    pid: () => child?.pid,
    exited: () => (child === undefined ? { code: null, signal: null } : child.exitCode === null && child.signalCode === null ? undefined : { code: child.exitCode, signal: child.signalCode }),
    logs: () => readFileSync(logFile, 'utf8'),
    stop: () => kill(child),
    restart: async () => { await kill(child); await start(); },
    kill9: async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await exited;
    },
    start: async () => { await kill(child); await start(); },
  };
}
