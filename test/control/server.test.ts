// The control socket: newline-delimited JSON, errors as {code, message},
// a stale socket file replaced, a live one left alone, removed on close.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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

test('a client that does not read its answers is no longer read from: the server answers a bounded number of requests, then all of them once it reads', async (t) => {
  let answered = 0;
  const big = 'x'.repeat(4096);
  const { path, server, cleanup } = setup({ 'tape.list': async () => { answered++; return { big }; } });
  t.teardown(cleanup);
  await server.listen();
  const total = 20_000;
  const s = connect(path);
  t.teardown(() => s.destroy());
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.pause();
  const lines = Array.from({ length: total }, (_, i) => `{"id":${i + 1},"command":"tape.list"}\n`).join('');
  s.write(lines);
  t.log('Wait until the server stops answering (the count holds still for a while).');
  let last = -1;
  while (answered !== last) {
    last = answered;
    await sleep(300);
  }
  t.log(`answered while the client did not read: ${answered} of ${total}`);
  t.true(answered < 2000, `${answered} answers were produced for a client that reads none`);
  t.log('Once the client reads, every answer arrives, in order.');
  let got = '';
  let count = 0;
  let inOrder = true;
  s.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    s.on('data', (c: string) => {
      got += c;
      let nl: number;
      while ((nl = got.indexOf('\n')) >= 0) {
        const r = JSON.parse(got.slice(0, nl)) as { id: number };
        got = got.slice(nl + 1);
        count++;
        if (r.id !== count) inOrder = false;
      }
      if (count === total) resolve();
    });
    s.resume();
  });
  t.is(answered, total);
  t.true(inOrder);
});

test('a request line longer than 1 MiB is refused and the connection closed', async (t) => {
  const { path, server, cleanup } = setup({ 'tape.list': async () => ({ tapes: [] }) });
  t.teardown(cleanup);
  await server.listen();
  const s = connect(path);
  let got = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => { got += c; });
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.write('{"id":1,"command":"tape.list"}\n');
  s.write('x'.repeat((1 << 20) + 1024));
  await closed;
  const answers = got.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
  t.deepEqual(answers[0], { id: 1, ok: true, result: { tapes: [] } });
  t.deepEqual(answers[1], { id: 0, ok: false, error: { code: 'VTL_CONTROL_PROTOCOL', message: 'request line longer than 1048576 characters' } });
});
