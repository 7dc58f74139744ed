// The control socket: newline-delimited JSON, errors as {code, message},
// a stale socket file replaced, a live one left alone, removed on close.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { offline, request } from '../../src/control/client.ts';
import { ControlServer, type Handler } from '../../src/control/server.ts';
import { UsageError } from '../../src/errors.ts';
import { quietLogger } from '../cli/helpers.ts';

function setup(handlers: Record<string, Handler> = {}): { path: string; server: ControlServer; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-ctl-'));
  const path = join(dir, 'control.sock');
  const server = new ControlServer({ path, handlers, log: quietLogger });
  return { path, server, cleanup: async () => { await server.close(); await rm(dir, { recursive: true, force: true }); } };
}

/** Send raw lines, collect `n` response lines. */
function exchange(path: string, lines: string, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(lines));
    s.on('data', (c: string) => {
      got += c;
      const parts = got.split('\n').filter((l) => l !== '');
      if (parts.length >= n) { s.end(); resolve(parts.map((l) => JSON.parse(l) as unknown)); }
    });
    s.on('error', reject);
  });
}

test('no socket file means offline', async (t) => {
  const { path, cleanup } = setup();
  t.teardown(cleanup);
  t.is(await request(path, 'tape.list', {}), offline);
});

test('a handler result and a handler error travel as JSON lines, answered in order', async (t) => {
  const { path, server, cleanup } = setup({
    'tape.list': async () => ({ tapes: [] }),
    'library.status': async () => { throw new UsageError('no library lib9'); },
  });
  t.teardown(cleanup);
  await server.listen();
  t.deepEqual(await request(path, 'tape.list', {}), { tapes: [] });
  const e = await t.throwsAsync(request(path, 'library.status', {}));
  t.like(e, { code: 'VTL_USAGE', message: 'no library lib9' });
  const answers = await exchange(path, '{"id":7,"command":"tape.list"}\nnot json\n{"id":9,"command":"nope"}\n', 3);
  t.deepEqual(answers[0], { id: 7, ok: true, result: { tapes: [] } });
  t.like(answers[1], { id: 0, ok: false, error: { code: 'VTL_CONTROL_PROTOCOL' } });
  t.deepEqual(answers[2], { id: 9, ok: false, error: { code: 'VTL_CONTROL_UNKNOWN_COMMAND', message: 'unknown command nope' } });
});

test('an unexpected handler failure is VTL_INTERNAL and the server keeps answering', async (t) => {
  const { path, server, cleanup } = setup({ 'tape.list': async () => { throw new TypeError('boom'); } });
  t.teardown(cleanup);
  await server.listen();
  const e = await t.throwsAsync(request(path, 'tape.list', {}));
  t.like(e, { code: 'VTL_INTERNAL' });
  await t.throwsAsync(request(path, 'tape.list', {}), { message: /boom/ });
});

test('a stale socket file from a crashed server is replaced; close removes it', async (t) => {
  const { path, server, cleanup } = setup({ 'tape.list': async () => ({ tapes: [] }) });
  t.teardown(cleanup);
  t.log('A server killed with SIGKILL leaves its socket file behind.');
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  t.true(existsSync(path));
  t.is(await request(path, 'tape.list', {}), offline);
  await server.listen();
  t.deepEqual(await request(path, 'tape.list', {}), { tapes: [] });
  await server.close();
  t.false(existsSync(path));
});

test('a second server on the same data directory is refused while the first answers', async (t) => {
  const { path, server, cleanup } = setup();
  t.teardown(cleanup);
  await server.listen();
  const second = new ControlServer({ path, handlers: {}, log: quietLogger });
  await t.throwsAsync(second.listen(), { code: 'VTL_CONTROL_IN_USE' });
  t.true(existsSync(path));
});
