// A pool that does not exist is refused wherever a cartridge could name it:
// a typo in --pool must never make a cartridge that is written in clear text.
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { loadConfig, poolConfig } from '../../src/config.ts';
import type { TapeListResult } from '../../src/control/protocol.ts';
import { buildGateway } from '../../src/wiring/index.ts';
import { online, quietLogger, sandbox } from './helpers.ts';

const KEY = 'ab'.repeat(32);
const ENC = `{ enc: { encryption: { keyId: k1, key: "${KEY}" } } }`;

test('tape create --pool with a typo is refused with the defined pools, and nothing is created', async (t) => {
  const s = sandbox({ pools: ENC });
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(s.run('tape', 'create', 'S3V001L6', '--pool', 'encc'));
  t.is(e?.message, 'no pool encc; the configuration defines default, enc (pools: in the config file)');
  t.is((e as { code?: string } | undefined)?.code, 'VTL_USAGE');
  t.deepEqual((await s.json<TapeListResult>('tape', 'list')).tapes, []);
  t.log('The intended pool is accepted.');
  await s.run('tape', 'create', 'S3V001L6', '--pool', 'enc');
  t.deepEqual((await s.json<TapeListResult>('tape', 'list')).tapes.map((x) => [x.barcode, x.pool]), [['S3V001L6', 'enc']]);
});

test('online: the running server refuses an unknown pool too', async (t) => {
  const s = sandbox({ pools: ENC });
  t.teardown(() => s.cleanup());
  const { gateway } = await online(s);
  t.teardown(() => gateway.close());
  const e = await t.throwsAsync(s.run('tape', 'create', '--prefix', 'S3V', '--count', '2', '--media', 'L6', '--pool', 'encc'));
  t.is(e?.message, 'no pool encc; the configuration defines default, enc (pools: in the config file)');
  t.deepEqual((await s.json<TapeListResult>('tape', 'list')).tapes, []);
});

test('tape list --pool of a pool nothing knows is refused with the pools that exist', async (t) => {
  const s = sandbox({ pools: ENC });
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(s.run('tape', 'list', '--pool', 'encc'));
  t.is(e?.message, 'no pool encc; pools: default, enc');
});

test('poolConfig: default resolves to the defaults, an undefined pool is an error', (t) => {
  const c = { pools: loadConfig(sandbox({ pools: ENC }).configPath).pools };
  t.is(poolConfig(c, null).encryption, undefined);
  t.is(poolConfig(c, 'default').compression, 'none');
  t.is(poolConfig(c, 'enc').encryption?.keyId, 'k1');
  t.throws(() => poolConfig(c, 'encc'), { code: 'VTL_POOL_UNKNOWN', message: 'pool encc is not defined under pools (defined: default, enc)' });
  t.log('Names of Object.prototype are not pools.');
  t.throws(() => poolConfig(c, 'toString'), { code: 'VTL_POOL_UNKNOWN' });
});

test('serve refuses to start when catalog cartridges name a pool the config no longer defines', async (t) => {
  const s = sandbox({ pools: ENC });
  t.teardown(() => s.cleanup());
  await s.run('tape', 'create', 'S3V001L6', 'S3V002L6', '--pool', 'enc');
  await s.run('tape', 'create', 'S3V003L6');
  t.log('The operator drops the enc section from the config (or starts with another config file).');
  writeFileSync(s.configPath, readFileSync(s.configPath, 'utf8').replace(/^pools: .*$/m, 'pools: { vault: {} }'));
  const config = loadConfig(s.configPath);
  const e = await t.throwsAsync(buildGateway(config, quietLogger));
  t.is((e as { code?: string } | undefined)?.code, 'VTL_POOL_UNKNOWN');
  t.regex(e?.message ?? '', /^cartridges name pools the configuration does not define: enc \(S3V001L6, S3V002L6\)\. The configuration defines default, vault; /);
  t.log('The catalog is left as it was, closed: a fixed config starts.');
  const catalog = Catalog.open(`${config.data}/catalog.sqlite`);
  t.is(catalog.cartridges.require('S3V001L6').pool, 'enc');
  catalog.close();
  writeFileSync(s.configPath, readFileSync(s.configPath, 'utf8').replace(/^pools: .*$/m, `pools: ${ENC}`));
  const gateway = await buildGateway(loadConfig(s.configPath), quietLogger);
  await gateway.close();
  t.pass();
});
