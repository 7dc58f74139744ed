import test from 'ava';
import { AuthThrottle, LogLimiter } from '../../src/iscsi/auth-throttle.ts';

test('the delay doubles with each failure of a name or an address, up to the cap', (t) => {
  let now = 0;
  const th = new AuthThrottle({ initialDelayMs: 1000, maxDelayMs: 10_000, now: () => now });
  t.deepEqual([1, 2, 3, 4, 5, 6].map(() => th.failed('iqn.x', '10.0.0.1')), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  t.is(th.failed('iqn.other', '10.0.0.1'), 10_000, 'another name from the same address is slowed too');
  t.is(th.failed('iqn.x', '10.0.0.2'), 10_000, 'the same name from another address is slowed too');
  t.is(th.failed('iqn.fresh', '10.0.0.3'), 1000, 'an unrelated name and address is not');
  th.succeeded('iqn.fresh', '10.0.0.3');
  t.is(th.failures('iqn.fresh', '10.0.0.3'), 0, 'a success forgets');
  now += 16 * 60_000;
  t.is(th.failed('iqn.x', '10.0.0.1'), 1000, 'failures are forgotten after a quiet quarter of an hour');
});

test('the throttle remembers a bounded number of names', (t) => {
  const th = new AuthThrottle({ initialDelayMs: 100, maxDelayMs: 1000, maxKeys: 10 });
  for (let i = 0; i < 100; i++) th.failed(`iqn.n${i}`, `10.0.${i}.1`);
  t.is(th.failures('iqn.n0', '10.0.0.1'), 0, 'the oldest were forgotten');
  t.is(th.failures('iqn.n99', '10.0.99.1'), 1);
});

test('log lines are rate-limited and the next one tells how many were left out', (t) => {
  let now = 0;
  const l = new LogLimiter(3, 10_000, () => now);
  const got = Array.from({ length: 10 }, () => l.allow());
  t.deepEqual(got.slice(0, 3), [{}, {}, {}]);
  t.true(got.slice(3).every((g) => g === undefined));
  now += 10_000;
  t.deepEqual(l.allow(), { suppressed: 7 });
});
