import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfig, parseListen, parseSize, validateConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

const minimal = { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: '1MiB' }] }] };

function keyOf(doc: unknown): string {
  try {
    validateConfig(doc);
  } catch (e) {
    if (e instanceof ConfigError) return e.key;
    throw e;
  }
  return '(valid)';
}

test('the embedded default config loads and listens on 127.0.0.1:3260', (t) => {
  const c = loadConfig(DEFAULT_CONFIG_PATH, {}, '/srv/x');
  t.deepEqual(c.listen, { host: '127.0.0.1', port: 3260 });
  t.is(c.data, '/srv/x/data');
  t.is(c.store, 'file:///srv/x/data/store');
  t.true(c.targets.length >= 1);
});

test('overrides replace listen, data and store', (t) => {
  const c = loadConfig(DEFAULT_CONFIG_PATH, { listen: '127.0.0.1:4000', data: '/d', store: 's3://b/p' });
  t.deepEqual(c.listen, { host: '127.0.0.1', port: 4000 });
  t.is(c.data, '/d');
  t.is(c.store, 's3://b/p');
});

test('sizes parse with binary and decimal units', (t) => {
  t.is(parseSize('1GiB'), 1024 ** 3);
  t.is(parseSize('512MiB'), 512 * 1024 ** 2);
  t.is(parseSize('4096'), 4096);
  t.is(parseSize(8192), 8192);
  t.is(parseSize('2GB'), 2e9);
  t.is(parseSize('ten'), undefined);
  t.is(parseSize('1 parsec'), undefined);
});

test('listen accepts HOST:PORT only', (t) => {
  t.deepEqual(parseListen('127.0.0.1:3260'), { host: '127.0.0.1', port: 3260 });
  t.is(parseListen('127.0.0.1'), undefined);
  t.is(parseListen('127.0.0.1:70000'), undefined);
});

test('a bad value names its key', (t) => {
  t.is(keyOf(minimal), '(valid)');
  t.is(keyOf({ ...minimal, listen: 'nowhere' }), 'listen');
  t.is(keyOf({ targets: [{ iqn: 'IQN.bad', disks: [] }] }), 'targets.0.iqn');
  t.is(keyOf({ targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: 'huge' }] }] }), 'targets.0.disks.0.size');
  t.is(keyOf({ ...minimal, log: { level: 'loud' } }), 'log.level');
  t.is(keyOf({ ...minimal, surprise: 1 }), '(top level)');
  t.is(keyOf({ targets: [] }), 'targets');
});

test('the message says why', (t) => {
  const e = t.throws(() => validateConfig({ ...minimal, listen: 'nowhere' }), { instanceOf: ConfigError });
  t.regex(e.message, /^config: listen: "nowhere" is not HOST:PORT/);
});

test('duplicate LUNs and IQNs are refused', (t) => {
  const dupLun = { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'a', size: 1024 }, { lun: 0, name: 'b', size: 1024 }] }] };
  t.is(keyOf(dupLun), 'targets.0.disks.1.lun');
  t.is(keyOf({ targets: [minimal.targets[0], minimal.targets[0]] }), 'targets.1.iqn');
  const other = { ...minimal.targets[0], iqn: 'iqn.2026-11.org.s3vtl:u' };
  t.is(keyOf({ targets: [minimal.targets[0], other] }), 'targets.1.disks.0.name', 'one image file per disk name');
});

test('a file that is not YAML is reported as such', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-config-'));
  const p = join(dir, 'c.yaml');
  writeFileSync(p, 'targets: [\n');
  const e = t.throws(() => loadConfig(p), { instanceOf: ConfigError });
  t.regex(e.message, /not valid YAML/);
});

test('a second library is refused until the catalog keys elements per library', (t) => {
  const lib = (iqn: string, name: string) => ({ iqn, library: { name } });
  t.is(keyOf({ targets: [lib('iqn.2026-11.org.s3vtl:a', 'a')] }), '(valid)');
  t.is(keyOf({ targets: [lib('iqn.2026-11.org.s3vtl:a', 'a'), lib('iqn.2026-11.org.s3vtl:b', 'b')] }), 'targets.1.library');
});

test('a YAML syntax error gives the reason and the position, never the text of the line (it may hold a secret)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-config-'));
  const p = join(dir, 'c.yaml');
  const head = 'targets:\n  - iqn: iqn.2026-11.org.s3vtl:t\n';
  writeFileSync(p, `${head}    chap: { user: u, secret: "Hunter2Hunter2 }\n`);
  const e = t.throws(() => loadConfig(p), { instanceOf: ConfigError });
  t.is(e.message, `config: (file): ${p} is not valid YAML: Missing closing "quote (line 4, column 1; the line is not shown, as it may hold a secret)`);
  t.log('The lines an unclosed quote swallows are part of the value: not shown either.');
  writeFileSync(p, `${head}    chap:\n      user: u\n      secret: 'Hunter2\n        Hunter2-tail: x\n`);
  const swallowed = t.throws(() => loadConfig(p), { instanceOf: ConfigError });
  t.notRegex(swallowed.message, /Hunter2/);
  t.regex(swallowed.message, /\(line \d+, column \d+; the line is not shown, as it may hold a secret\)$/);
  t.log('A key on a line with a key in it: neither is echoed.');
  writeFileSync(p, `pools:\n  enc:\n    encryption: { keyId: k, key: 00ff00ff00ff00ff: x }\n${head}`);
  t.notRegex(t.throws(() => loadConfig(p), { instanceOf: ConfigError }).message, /00ff/);
});

test('an unknown key that is not a plain name (a value without its colon) is not echoed', (t) => {
  const doc = { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', chap: { user: 'u', secret: 'Hunter2Hunter2', 'mutualSecret Hunter3Hunter3': null } }] };
  t.throws(() => validateConfig(doc), { instanceOf: ConfigError, message: 'config: targets.0.chap: unknown key (not a plain name: not shown)' });
  t.throws(() => validateConfig({ ...minimal, lisen: 'x' }), { instanceOf: ConfigError, message: 'config: (top level): unknown key lisen' });
});

// ---- values refused across keys (src/config-checks.ts): refused here, never a crash in serve

const lib = (l: Record<string, unknown>) => ({ targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', library: { name: 'l', ...l } }] });

test('a cartridge capacity above its media\'s native capacity, or below 1 MiB, is refused at its key', (t) => {
  // 12 TiB is more than the 12 TB an LTO-8 holds.
  t.is(keyOf(lib({ cartridges: [{ prefix: 'A', count: 1, media: 'L8', capacity: '12TiB' }] })), 'targets.0.library.cartridges.0.capacity');
  t.is(keyOf(lib({ cartridges: [{ prefix: 'A', count: 1, media: 'L8', capacity: '12TB' }] })), '(valid)');
  t.is(keyOf(lib({ cartridges: [{ prefix: 'A', count: 1, media: 'L6' }, { prefix: 'B', count: 1, media: 'L6', capacity: '512KiB' }] })), 'targets.0.library.cartridges.1.capacity');
});

test('more cartridges than slots, or one barcode in two batches, is refused', (t) => {
  t.is(keyOf(lib({ slots: 4, cartridges: [{ prefix: 'A', count: 3, media: 'L6' }, { prefix: 'B', count: 2, media: 'L6' }] })), 'targets.0.library.cartridges');
  t.is(keyOf(lib({ slots: 5, cartridges: [{ prefix: 'A', count: 3, media: 'L6' }, { prefix: 'B', count: 2, media: 'L6' }] })), '(valid)');
  t.is(keyOf(lib({ cartridges: [{ prefix: 'A', count: 3, media: 'L6' }, { prefix: 'A', first: 3, count: 2, media: 'L6' }] })), 'targets.0.library.cartridges.1');
  // Same serial, another media id: another barcode.
  t.is(keyOf(lib({ cartridges: [{ prefix: 'A', count: 3, media: 'L6' }, { prefix: 'A', count: 3, media: 'L7' }] })), '(valid)');
});

test('slots, mail slots and drives beyond what the changer personality has are refused', (t) => {
  // stk-l700: 678 storage, 46 import/export, 20 drives.
  t.is(keyOf(lib({ slots: 679 })), 'targets.0.library.slots');
  t.is(keyOf(lib({ slots: 678 })), '(valid)');
  t.is(keyOf(lib({ mailslots: 47 })), 'targets.0.library.mailslots');
  t.is(keyOf(lib({ drives: 21 })), 'targets.0.library.drives');
  t.is(keyOf(lib({ changer: 'ibm-03584l32', drives: 64, slots: 10000, mailslots: 240 })), '(valid)');
});

test('a segment below 64 KiB and a disk that is not whole blocks are refused', (t) => {
  t.is(keyOf({ ...minimal, tapes: { segmentSize: '32KiB' } }), 'tapes.segmentSize');
  t.is(keyOf({ ...minimal, tapes: { segmentSize: '64KiB' } }), '(valid)');
  t.is(keyOf({ targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: 1000 }] }] }), 'targets.0.disks.0.size');
  t.is(keyOf({ targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: '6KiB', blockSize: 4096 }] }] }), 'targets.0.disks.0.size');
});
