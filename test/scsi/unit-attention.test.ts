import test from 'ava';
import { Sense } from '../../scsi/sense.ts';
import { UnitAttentions } from '../../scsi/unit-attention.ts';

test('a new nexus starts with the initial condition', (t) => {
  const ua = new UnitAttentions();
  // Verify that POWER ON is pending for a nexus never seen.
  t.is(ua.take('a'), Sense.powerOnResetOrBusDeviceReset);
  // Verify that it is gone once taken.
  t.is(ua.take('a'), undefined);
});

test('conditions queue oldest first without duplicates', (t) => {
  const ua = new UnitAttentions(null);
  ua.establish('a', Sense.modeParametersChanged);
  ua.establish('a', Sense.reservationsReleased);
  ua.establish('a', Sense.modeParametersChanged);
  // Verify that the first established comes first.
  t.is(ua.take('a'), Sense.modeParametersChanged);
  // Verify that the duplicate was not queued twice.
  t.is(ua.take('a'), Sense.reservationsReleased);
  t.is(ua.take('a'), undefined);
});

test('a reset condition replaces what was pending', (t) => {
  const ua = new UnitAttentions(null);
  ua.establish('a', Sense.modeParametersChanged);
  ua.establish('a', Sense.busDeviceResetFunctionOccurred);
  // Verify that only the reset is reported.
  t.is(ua.take('a'), Sense.busDeviceResetFunctionOccurred);
  t.is(ua.take('a'), undefined);
});

test('establishAll skips the nexus that caused it', (t) => {
  const ua = new UnitAttentions(null);
  ua.peek('a');
  ua.peek('b');
  ua.establishAll(Sense.modeParametersChanged, 'a');
  // Verify that the causing nexus has nothing pending.
  t.is(ua.take('a'), undefined);
  // Verify that the other nexus has 2A/01.
  t.is(ua.take('b'), Sense.modeParametersChanged);
});
