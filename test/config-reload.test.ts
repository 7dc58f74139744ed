import test from 'ava';
import { restartKeys } from '../src/config-reload.ts';
import { validateConfig, type Config } from '../src/config.ts';

const config = (pools: unknown, listen = '127.0.0.1:3260', every = '1h'): Config => ({ store: 'file:///tmp/s', ...validateConfig({
  listen, pools, retention: { every },
  targets: [{ iqn: 'iqn.2026-11.org.s3vtl:t', library: { name: 'lib0', drives: 1, slots: 2, mailslots: 0 } }],
}, {}) });

test('retention keys change live: no restart named', (t) => {
  const a = config({ daily: { retention: { keep: '30d', then: 'recycle' } } });
  const b = config({ daily: { retention: { keep: '2d', then: 'delete' } } }, '127.0.0.1:3260', '15m');
  t.deepEqual(restartKeys(a, b), []);
});

test('other keys need a restart, each named', (t) => {
  const a = config({ daily: { retention: { keep: '30d', then: 'recycle' } } });
  const b = config({ daily: { compression: 'deflate', retention: { keep: '30d', then: 'recycle' } }, weekly: {} }, '127.0.0.1:3261');
  t.deepEqual(restartKeys(a, b), ['listen', 'pools.daily.compression', 'pools.weekly']);
});
