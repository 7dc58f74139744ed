import test from 'ava';
import { parseInstant } from '../src/instant.ts';

test('ISO 8601 instants with fraction and zone', (t) => {
  t.deepEqual(parseInstant('2026-12-06T18:29:38.468Z'), new Date('2026-12-06T18:29:38.468Z'));
  t.deepEqual(parseInstant('2026-12-06T19:29:38.468+01:00'), new Date('2026-12-06T18:29:38.468Z'));
  t.deepEqual(parseInstant('2026-12-06T13:29:38-0500'), new Date('2026-12-06T18:29:38.000Z'));
  t.deepEqual(parseInstant('2026-12-06T18:29Z'), new Date('2026-12-06T18:29:00.000Z'));
  // Verify sub-millisecond digits are dropped, never rounded up.
  t.deepEqual(parseInstant('2026-12-06T18:29:38.4689999Z'), new Date('2026-12-06T18:29:38.468Z'));
  t.deepEqual(parseInstant('2026-12-06T18:29:38.5Z'), new Date('2026-12-06T18:29:38.500Z'));
});

test('without a zone the time is local', (t) => {
  t.deepEqual(parseInstant('2026-12-06T18:29:38'), new Date(2026, 11, 6, 18, 29, 38));
});

test('what is not an instant is refused with a reason', (t) => {
  for (const bad of ['yesterday', '2026-12-06', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-12-06T24:00:00Z', '2026-12-06T18:60:00Z', '1700000000', '2026-12-06T18:29:38.468+25:00', '2026-12-06T18:29:38.Z']) {
    t.is(typeof parseInstant(bad), 'string', bad);
  }
});
