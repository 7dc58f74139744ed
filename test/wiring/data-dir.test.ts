// The data directory: created 0700 with everything in it private whatever the
// umask, refused when others can write it or another user owns it, and locked
// against a second gateway.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { validateConfig, type Config } from '../../src/config.ts';
import { recoverCommand } from '../../src/cli/recover.ts';
import { buildGateway } from '../../src/wiring/index.ts';
import { DATA_DIR_LOCK, lockDataDir, prepareDataDir } from '../../src/wiring/data-dir.ts';
import { quietLogger, runCli } from '../cli/helpers.ts';
import { modes, wider } from '../helpers/modes.ts';

function sandbox(t: { teardown(fn: () => unknown): void }): { root: string; data: string; config: Config } {
  const root = mkdtempSync(join(tmpdir(), 's3vtl-data-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  const c = validateConfig({
    listen: '127.0.0.1:0',
    data,
    targets: [{
      iqn: 'iqn.2026-11.org.s3vtl:test',
      disks: [{ lun: 3, name: 'd0', size: '1MiB' }],
      library: { name: 'lib0', drives: 2, slots: 4, mailslots: 1, cartridges: [{ prefix: 'PRV', count: 2, media: 'L6' }] },
    }],
  });
  return { root, data, config: { ...c, store: `file://${join(data, 'store')}` } };
}

const octal = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');

test('under umask 000 the data directory is 0700 and the catalog, its WAL, disk image, lock, store objects and control socket are 0600', async (t) => {
  const previous = process.umask(0o000);
  t.teardown(() => void process.umask(previous));
  const s = sandbox(t);
  const gateway = await buildGateway(s.config, quietLogger);
  await gateway.listen();
  t.teardown(() => gateway.close());
  t.is(octal(statSync(s.data).mode), '0700');
  const m = await modes(s.data);
  t.log('What a started gateway has made:', [...m.keys()].sort().join(' '));
  for (const name of ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'disks/d0.img', 'control.sock', DATA_DIR_LOCK]) {
    t.is(m.has(name) ? octal(m.get(name)!.mode) : 'missing', '0600', name);
  }
  t.true([...m.keys()].some((n) => n.startsWith('store/libraries/')), 'the library state object is in the store');
  t.deepEqual(wider(m), []);
});

test('the control socket is 0600 under umask 000, and the process umask is put back after the bind', async (t) => {
  const previous = process.umask(0o000);
  t.teardown(() => void process.umask(previous));
  const s = sandbox(t);
  const gateway = await buildGateway(s.config, quietLogger);
  t.teardown(() => gateway.close());
  await gateway.listen();
  t.is(octal(statSync(join(s.data, 'control.sock')).mode), '0600');
  t.log('The process umask is put back after the bind.');
  t.is(process.umask(0o000), 0o000);
});

test('an existing data directory others can read is tightened to 0700', async (t) => {
  const s = sandbox(t);
  mkdirSync(s.data, { mode: 0o755 });
  chmodSync(s.data, 0o755);
  const warned: string[] = [];
  await prepareDataDir(s.data, { warn: (msg) => void warned.push(msg) });
  t.is(octal(statSync(s.data).mode), '0700');
  t.deepEqual(warned, ['data directory was readable by other users; now 0700']);
});

test('a data directory others can write is refused, and nothing is created in it', async (t) => {
  const s = sandbox(t);
  mkdirSync(s.data);
  chmodSync(s.data, 0o777);
  const e = await t.throwsAsync(buildGateway(s.config, quietLogger));
  t.is((e as { code?: string } | undefined)?.code, 'VTL_DATA_DIR');
  t.is(e?.message, `data directory ${s.data} is writable by every user (mode 0777): anyone who can write it can replace the catalog or staged data; chmod 700 ${s.data}`);
  t.deepEqual([...(await modes(s.data)).keys()], []);
  chmodSync(s.data, 0o770);
  await t.throwsAsync(prepareDataDir(s.data), { message: /is writable by its group \(mode 0770\)/ });
});

test('a data directory owned by another user is refused', async (t) => {
  if (process.getuid?.() !== 0) {
    t.pass('needs root to give the directory away');
    return;
  }
  const s = sandbox(t);
  mkdirSync(s.data, { mode: 0o700 });
  chownSync(s.data, 65534, 65534);
  await t.throwsAsync(prepareDataDir(s.data), { code: 'VTL_DATA_DIR', message: `data directory ${s.data} belongs to uid 65534, not to the user running s3vtl (uid 0): run s3vtl as its owner, or give it a directory of its own` });
});

test('a file where the data directory should be is refused', async (t) => {
  const s = sandbox(t);
  writeFileSync(s.data, 'not a directory');
  await t.throwsAsync(prepareDataDir(s.data), { code: 'VTL_DATA_DIR', message: `data directory ${s.data} is a file, not a directory` });
  await t.throwsAsync(prepareDataDir(join(s.data, 'sub')), { code: 'VTL_DATA_DIR', message: `data directory ${join(s.data, 'sub')}: cannot create it: a part of the path is a file, not a directory` });
});

test('the lock: held by a live process it refuses, left by a dead one it is taken over, released on close', async (t) => {
  const s = sandbox(t);
  mkdirSync(s.data, { mode: 0o700 });
  const lock = join(s.data, DATA_DIR_LOCK);
  t.log('pid 1 (init) is alive and not this process.');
  writeFileSync(lock, '1\n');
  await t.throwsAsync(lockDataDir(s.data), { code: 'VTL_DATA_DIR_IN_USE', message: /in use by another s3vtl serve \(pid 1\)/ });
  t.log('A pid that cannot be alive (above pid_max) is a stale lock.');
  writeFileSync(lock, '4194305\n');
  const gateway = await buildGateway(s.config, quietLogger);
  t.is(statSync(lock).size, `${process.pid}\n`.length);
  await gateway.close();
  t.throws(() => statSync(lock), { code: 'ENOENT' });
});

test('recover refuses a data directory a running serve holds, and leaves its catalog alone', async (t) => {
  const s = sandbox(t);
  mkdirSync(s.data, { mode: 0o700 });
  writeFileSync(join(s.data, DATA_DIR_LOCK), '1\n');
  writeFileSync(join(s.data, 'catalog.sqlite'), '');
  const cmd = recoverCommand().exitOverride();
  await t.throwsAsync(cmd.parseAsync(['--data', s.data, '--store', `file://${join(s.root, 'bucket')}`, '--force'], { from: 'user' }), { code: 'VTL_DATA_DIR_IN_USE' });
  t.deepEqual([...(await modes(s.data)).keys()].sort(), ['catalog.sqlite', DATA_DIR_LOCK]);
});

test('operator commands without a running serve refuse a data directory others can write, as serve does', async (t) => {
  const s = sandbox(t);
  mkdirSync(s.data);
  chmodSync(s.data, 0o757);
  const config = join(s.root, 'config.yaml');
  writeFileSync(config, `data: ${s.data}\ntargets:\n  - iqn: iqn.2026-11.org.s3vtl:test\n    library: { name: lib0 }\n`);
  await t.throwsAsync(runCli(config, 'tape', 'list'), { code: 'VTL_DATA_DIR', message: /is writable by every user \(mode 0757\)/ });
  t.deepEqual([...(await modes(s.data)).keys()], []);
});
