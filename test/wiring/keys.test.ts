// Pool keys from config: env:, file: and inline forms, the errors an operator
// sees (naming the config key, never the key), and pool -> codec.

import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { loadKey, manifestAuth, poolCodecs } from '../../src/wiring/keys.ts';
import { validateConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const HEX = KEY.toString('hex');
const B64 = KEY.toString('base64');
const WHERE = 'pools.vault.encryption.key';

test('env:NAME holds 64 hex digits or base64 of 32 bytes', (t) => {
  t.deepEqual(loadKey('env:K', WHERE, { env: { K: HEX } }), KEY);
  t.deepEqual(loadKey('env:K', WHERE, { env: { K: `${B64}\n` } }), KEY);
});

test('an unset or malformed variable is a ConfigError naming the config key and the variable, not the value', (t) => {
  const unset = t.throws(() => loadKey('env:S3VTL_KEY', WHERE, { env: {} }), { instanceOf: ConfigError });
  t.is(unset?.message, 'config: pools.vault.encryption.key: environment variable S3VTL_KEY is not set');
  const bad = t.throws(() => loadKey('env:K', WHERE, { env: { K: 'secret-but-short' } }), { instanceOf: ConfigError });
  t.regex(bad?.message ?? '', /pools\.vault\.encryption\.key: environment variable K does not hold 64 hex digits/);
  t.false(bad?.message.includes('secret-but-short'));
});

test('file:PATH holds 32 raw bytes, or hex or base64 text', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'keys-'));
  await writeFile(path.join(dir, 'raw'), KEY);
  await writeFile(path.join(dir, 'hex'), `${HEX}\n`);
  await writeFile(path.join(dir, 'b64'), B64);
  await writeFile(path.join(dir, 'short'), Buffer.alloc(16));
  for (const name of ['raw', 'hex', 'b64']) t.deepEqual(loadKey(`file:${path.join(dir, name)}`, WHERE), KEY, name);
  t.throws(() => loadKey(`file:${path.join(dir, 'short')}`, WHERE), { instanceOf: ConfigError, message: /key file .*short holds 16 bytes: expected 32 raw bytes/ });
  t.throws(() => loadKey(`file:${path.join(dir, 'absent')}`, WHERE), { instanceOf: ConfigError, message: /pools\.vault\.encryption\.key: cannot read key file .*absent: ENOENT/ });
  await rm(dir, { recursive: true, force: true });
});

test('the key text itself, hex or base64; anything else is refused without echoing it', (t) => {
  t.deepEqual(loadKey(HEX, WHERE), KEY);
  t.deepEqual(loadKey(B64, WHERE), KEY);
  const e = t.throws(() => loadKey('hunter2', WHERE), { instanceOf: ConfigError });
  t.is(e?.message, 'config: pools.vault.encryption.key: not a key: use env:NAME, file:PATH, or 64 hex digits or the base64 of 32 bytes');
});

const pools = (p: Record<string, unknown>): Pick<Config, 'pools'> => ({ pools: p as Config['pools'] });
const pool = (o: object): object => ({ archiveClass: 'GLACIER', compression: 'none', ...o });

test('pool codecs: each pool writes its own way, and reads with every configured key', (t) => {
  const codecFor = poolCodecs(pools({
    vault: pool({ compression: 'deflate', encryption: { keyId: 'vault-2026', key: 'env:VAULT_KEY' } }),
    packed: pool({ compression: 'deflate' }),
  }), { env: { VAULT_KEY: HEX } });
  t.deepEqual(codecFor('vault').encoding, { compression: 'deflate', encryption: { alg: 'AES-256-GCM', keyId: 'vault-2026' } });
  t.deepEqual(codecFor('packed').encoding, { compression: 'deflate' });
  t.true(codecFor(null).isPlain);
  t.true(codecFor('default').isPlain);
  t.is(codecFor('vault'), codecFor('vault'));
  t.log('a cartridge moved from vault to packed still reads its encrypted records');
  const e = codecFor('vault').encode(Buffer.from('block'), 'MOV001L6', 0);
  t.deepEqual(codecFor('packed').decode(e.stored, e.coding, 'MOV001L6', 0, 'vault-2026'), Buffer.from('block'));
});

test('pool codecs: keys load at start, a bad one stops it with its config key', (t) => {
  t.throws(() => poolCodecs(pools({ vault: pool({ encryption: { keyId: 'k', key: 'env:MISSING' } }) }), { env: {} }), {
    instanceOf: ConfigError, message: 'config: pools.vault.encryption.key: environment variable MISSING is not set',
  });
  t.throws(() => poolCodecs(pools({
    a: pool({ encryption: { keyId: 'same', key: HEX } }),
    b: pool({ encryption: { keyId: 'same', key: Buffer.alloc(32, 9).toString('hex') } }),
  })), { instanceOf: ConfigError, message: /pools\.b\.encryption\.keyId: .*two different keys/ });
});

test('tapes.manifestKey loads like a pool key; unset means no manifest authentication', (t) => {
  t.is(manifestAuth({}), undefined);
  t.deepEqual(manifestAuth({ manifestKey: 'env:MK' }, { env: { MK: HEX } }), { key: KEY, acceptUnsigned: false });
  t.deepEqual(manifestAuth({ manifestKey: HEX, acceptUnsignedManifests: true }), { key: KEY, acceptUnsigned: true });
  const bad = t.throws(() => manifestAuth({ manifestKey: 'not-a-key' }), { instanceOf: ConfigError });
  t.regex(bad?.message ?? '', /^config: tapes\.manifestKey: not a key/);
  t.false(bad?.message.includes('not-a-key'), 'the value is not echoed');
  t.log('the config schema takes both keys under tapes');
  const c = validateConfig({ tapes: { manifestKey: 'env:MK', acceptUnsignedManifests: true }, targets: [{ iqn: 'iqn.2026-01.test:t' }] });
  t.like(c.tapes, { manifestKey: 'env:MK', acceptUnsignedManifests: true });
});
