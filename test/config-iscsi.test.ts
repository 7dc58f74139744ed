import test from 'ava';
import { DEFAULT_CONFIG_PATH, loadConfig, validateConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import { DEFAULT_LIMITS } from '../src/iscsi/limits.ts';

const minimal = { targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', disks: [{ lun: 0, name: 'd', size: '1MiB' }] }] };

test('the iscsi limits default to the target defaults, in the schema and in default.yaml', (t) => {
  for (const c of [validateConfig(minimal), loadConfig(DEFAULT_CONFIG_PATH)]) {
    const { discoveryIdleSeconds, ...rest } = c.iscsi;
    t.deepEqual({ ...rest, discoveryIdleMs: discoveryIdleSeconds * 1000 }, DEFAULT_LIMITS);
  }
});

test('iscsi limits take sizes and name the bad key', (t) => {
  const c = validateConfig({ ...minimal, iscsi: { maxBuffered: '1GiB', maxBufferedPerSession: '16MiB', maxSessions: 8 } });
  t.is(c.iscsi.maxBuffered, 1024 ** 3);
  t.is(c.iscsi.maxBufferedPerSession, 16 * 1024 ** 2);
  t.is(c.iscsi.maxSessions, 8);
  t.is(c.iscsi.maxConnections, DEFAULT_LIMITS.maxConnections, 'the others keep their defaults');
  for (const [key, value] of [['maxBufferedPerSession', '64KiB'], ['maxBuffered', 'lots'], ['maxSessions', 0], ['fdReserve', -1], ['nope', 1]] as const) {
    const e = t.throws(() => validateConfig({ ...minimal, iscsi: { [key]: value } }), { instanceOf: ConfigError });
    t.true(e.message.includes(key === 'nope' ? 'iscsi' : `iscsi.${key}`), e.message);
  }
});
