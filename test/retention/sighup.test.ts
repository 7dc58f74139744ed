// serve and SIGHUP: a pool's retention changed in the file applies to the
// next pass without a restart; a broken file is refused, its key named in
// the log, and the running policies stay. The passes go through the control
// socket, as `s3vtl retention apply` does while serve runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { RetentionApplyResult } from '../../src/control/apply-protocol.ts';
import { request } from '../../src/control/client.ts';
import { controlSocketPath } from '../../src/control/protocol.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { runCli } from '../cli/helpers.ts';

const ROOT = join(import.meta.dirname, '../..');

const configText = (keep: string, data: string): string => `listen: 127.0.0.1:0
data: ${data}
pools: { daily: { retention: { keep: ${keep}, then: recycle } } }
retention: { every: off }
targets:
  - iqn: iqn.2026-11.org.s3vtl:test
    library: { name: lib0, drives: 1, slots: 4, mailslots: 0 }
`;

test('SIGHUP: new keep applies to the next pass; a broken file is refused naming the key, the old policies kept', async (t) => {
  t.timeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-hup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configText('30d', data));
  // Two written cartridges of pool daily (offline, before serve).
  await runCli(config, 'tape', 'create', 'HUP001L6', 'HUP002L6', '--pool', 'daily');
  const catalog = Catalog.open(join(data, 'catalog.sqlite'));
  const pool = new CartridgePool({ store: new DirObjectStore({ root: join(data, 'store') }), prefix: '', stagingDir: join(data, 'staging'), directory: catalog, sink: catalog });
  for (const b of ['HUP001L6', 'HUP002L6']) {
    const c = await pool.open(b);
    await c.write(Buffer.alloc(4096, 7), 4096);
    await c.close();
  }
  catalog.close();

  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts', 'serve', '--config', config], { cwd: ROOT });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  await new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (c: string) => c.includes('listening on') && resolve()));
  const logged = async (what: RegExp): Promise<string> => {
    for (let i = 0; i < 600 && !what.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    return stderr.split('\n').find((l) => what.test(l)) ?? '';
  };
  const in3days = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const apply = async (): Promise<RetentionApplyResult> => {
    const r = await request(controlSocketPath(data), 'retention.apply', { now: in3days, force: true });
    if (typeof r === 'symbol') throw new Error('serve does not answer');
    return r;
  };

  // Kept 30 days: nothing to do three days from now.
  t.deepEqual((await apply()).applied, []);
  // A --now in the future without --force is refused in one line.
  await t.throwsAsync(request(controlSocketPath(data), 'retention.apply', { now: in3days }), { code: 'VTL_USAGE', message: /is in the future.*--force/ });

  // A broken file: refused, the key named, the running policies stay.
  writeFileSync(config, configText('banana', data));
  child.kill('SIGHUP');
  const refused = await logged(/config reload refused/);
  t.regex(refused, /pools\.daily\.retention\.keep/);
  t.deepEqual((await apply()).applied, []);

  // keep 2d: the next pass recycles both.
  writeFileSync(config, configText('2d', data));
  child.kill('SIGHUP');
  t.truthy(await logged(/config reloaded/));
  const r = await apply();
  t.deepEqual(r.applied.map((a) => [a.kind, a.barcode]), [['recycle', 'HUP001L6'], ['recycle', 'HUP002L6']]);
  t.regex(r.summary, /^retention pass at .*: 2 recycled, 0 archived, 0 deleted/);
  // The audit through the socket names both.
  const audit = await request(controlSocketPath(data), 'audit.list', {});
  if (typeof audit === 'symbol') throw new Error('serve does not answer');
  t.deepEqual(audit.entries.filter((e) => e.action === 'recycle').map((e) => e.subject), ['HUP001L6', 'HUP002L6']);

  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});
