import test from 'ava';
import { formatDuration, parseDuration } from '../src/duration.ts';

test('durations in every unit the config uses', (t) => {
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration('90s'), 90_000);
  t.is(parseDuration('15m'), 900_000);
  t.is(parseDuration('36h'), 36 * 3_600_000);
  t.is(parseDuration('30d'), 30 * 86_400_000);
  t.is(parseDuration('2w'), 14 * 86_400_000);
  t.is(parseDuration('12mo'), 360 * 86_400_000, 'a month is 30 days');
  t.is(parseDuration('1y'), 365 * 86_400_000, 'a year is 365 days');
  t.is(parseDuration('1.5h'), 5_400_000);
});

test('a bare number, a negative, a compound or an unknown unit is refused', (t) => {
  for (const v of ['60', '-1s', '1h30m', '5 min', '3x', '', 's', 12 as unknown as string, 'mo']) t.is(parseDuration(v), undefined, String(v));
});

test('formatDuration picks the largest exact unit', (t) => {
  t.is(formatDuration(36 * 3_600_000), '36h');
  t.is(formatDuration(365 * 86_400_000), '1y');
  t.is(formatDuration(1500), '1500ms');
  t.is(formatDuration(0), '0s');
});
