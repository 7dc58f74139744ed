// `s3vtl serve` as a process: a start that cannot happen (port in use, a
// second serve on the same data directory, a data directory that is a file or
// that others can write) prints one line `s3vtl: ...` and exits 2, before the
// catalog or the store is created.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';

const ROOT = join(import.meta.dirname, '../..');

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function sandbox(t: { teardown(fn: () => unknown): void }): { dir: string; data: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-serve-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `listen: 127.0.0.1:0
targets:
  - iqn: iqn.2026-11.org.s3vtl:test
    library: { name: lib0, drives: 1, slots: 2, mailslots: 0 }
`);
  return { dir, data: join(dir, 'data'), config };
}

/** Start `s3vtl serve`; `until` resolves with what it printed once it exits, `listening` once it says so. */
function serve(args: string[]): { until: Promise<Run>; listening: Promise<void>; kill: () => void } {
  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts', 'serve', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  let heard: () => void = () => undefined;
  const listening = new Promise<void>((r) => { heard = r; });
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    if (stdout.includes('listening on')) heard();
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const until = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { until, listening, kill: () => child.kill('SIGTERM') };
}

function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

test('a port in use: one line, exit 2, and no catalog or store was created', async (t) => {
  const s = sandbox(t);
  const { server, port } = await occupy();
  t.teardown(() => server.close());
  const r = await serve(['--config', s.config, '--data', s.data, '--listen', `127.0.0.1:${port}`]).until;
  t.is(r.code, 2);
  t.is(r.stderr, `s3vtl: cannot listen on 127.0.0.1:${port}: the port is in use (another iSCSI target, or another s3vtl serve?); stop it or choose another port with --listen\n`);
  t.false(existsSync(join(s.data, 'catalog.sqlite')));
  t.false(existsSync(join(s.data, 'store')));
});

test('a second serve on the same data directory stops before it listens', async (t) => {
  const s = sandbox(t);
  const first = serve(['--config', s.config, '--data', s.data]);
  t.teardown(() => first.kill());
  await first.listening;
  const { server, port } = await occupy();
  await new Promise<void>((r) => server.close(() => r()));
  const second = await serve(['--config', s.config, '--data', s.data, '--listen', `127.0.0.1:${port}`]).until;
  t.is(second.code, 2);
  t.regex(second.stderr, new RegExp(`^s3vtl: data directory ${s.data} is in use by another s3vtl serve \\(pid \\d+\\); stop it first or use another data directory \\(if no s3vtl runs as pid \\d+, remove ${join(s.data, 'serve.lock')}\\)\\n$`));
  t.is(second.stdout, '');
  t.log('The first one still runs and stops cleanly.');
  first.kill();
  t.is((await first.until).code, 0);
});

test('a data directory that is a file, or that every user can write: one line, exit 2', async (t) => {
  const s = sandbox(t);
  writeFileSync(s.data, 'x');
  const file = await serve(['--config', s.config, '--data', s.data]).until;
  t.is(file.code, 2);
  t.is(file.stderr, `s3vtl: data directory ${s.data} is a file, not a directory\n`);
  const open = join(s.dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const shared = await serve(['--config', s.config, '--data', open]).until;
  t.is(shared.code, 2);
  t.regex(shared.stderr, /^s3vtl: data directory .* is writable by every user \(mode 0777\).*\n$/);
  t.false(existsSync(join(open, 'catalog.sqlite')));
});
