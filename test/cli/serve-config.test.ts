// `s3vtl serve` on configurations it must refuse: exit 2 and one line naming the key, never a
// stack trace. Every case is loaded as serve loads it; the ones that used to crash serve (a
// BarcodeError, a RangeError from the changer) also run as a process, as an operator runs it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { buildGateway } from '../../src/wiring/index.ts';
import { quietLogger } from './helpers.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 's3vtl-serve-config-'));
test.after.always(() => rm(dir, { recursive: true, force: true }));

const library = (lines: string) => `targets:
  - iqn: iqn.2026-11.org.s3vtl:t
    library:
      name: l
${lines.split('\n').map((l) => `      ${l}`).join('\n')}
`;

// [case, config body, the key the message must name, run serve as a process]
const cases: [string, string, string, boolean?][] = [
  ['capacity above the media', library('cartridges: [{prefix: A, count: 1, media: L8, capacity: 12TiB}]'), 'targets.0.library.cartridges.0.capacity', true],
  ['capacity below 1 MiB', library('cartridges: [{prefix: A, count: 1, media: L6, capacity: 512KiB}]'), 'targets.0.library.cartridges.0.capacity'],
  ['more slots than the changer has', library('slots: 5000'), 'targets.0.library.slots', true],
  ['more cartridges than slots', library('slots: 2\ncartridges: [{prefix: A, count: 3, media: L6}]'), 'targets.0.library.cartridges'],
  ['one barcode in two batches', library('cartridges: [{prefix: A, count: 3, media: L6}, {prefix: A, first: 2, count: 2, media: L6}]'), 'targets.0.library.cartridges.1'],
  ['a tiny segment', `tapes: {segmentSize: 1KiB}\n${library('drives: 1')}`, 'tapes.segmentSize'],
  ['a disk of part of a block', 'targets:\n  - iqn: iqn.2026-11.org.s3vtl:t\n    disks: [{lun: 0, name: d, size: 1000}]\n', 'targets.0.disks.0.size'],
  ['an unknown media id', library('cartridges: [{prefix: A, count: 1, media: Q9}]'), 'targets.0.library.cartridges.0.media'],
];

function serve(config: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import=tsx', 'src/main.ts', 'serve', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    // A config that was not refused starts listening: that is a failure too, not a hang.
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

cases.forEach(([name, body, key, asProcess], i) => {
  const config = join(dir, `c${i}.yaml`);
  writeFileSync(config, `listen: 127.0.0.1:0\ndata: ${join(dir, `data${i}`)}\n${body}`);
  test(`config refuses ${name} at ${key}`, (t) => {
    const e = t.throws(() => loadConfig(config), { instanceOf: ConfigError });
    t.is(e.key, key, e.message);
  });
  if (!asProcess) return;
  test(`serve refuses ${name}: exit 2, one line naming ${key}`, async (t) => {
    const r = await serve(config);
    t.is(r.code, 2, r.stderr.slice(0, 2000));
    const lines = r.stderr.split('\n').filter(Boolean);
    t.is(lines.length, 1, r.stderr.slice(0, 2000));
    t.true(lines[0]!.startsWith(`s3vtl: config: ${key}: `), lines[0]);
    t.is(r.stdout, '');
  });
});

test('a library shrunk below the elements that hold cartridges is a config error at start, not a crash', async (t) => {
  const path = join(dir, 'shrink.yaml');
  const head = `listen: 127.0.0.1:0\ndata: ${join(dir, 'shrink-data')}\n`;
  writeFileSync(path, head + library('cartridges: [{prefix: S, count: 5, media: L6}]'));
  const g = await buildGateway(loadConfig(path), quietLogger);
  await g.close();
  // The five cartridges sit in slots 1-5; three slots leave two of them nowhere.
  writeFileSync(path, head + library('slots: 3'));
  const e = await t.throwsAsync(buildGateway(loadConfig(path), quietLogger), { instanceOf: ConfigError });
  t.regex(e.message, /^config: library\.slots: .*still hold cartridges/);
});
