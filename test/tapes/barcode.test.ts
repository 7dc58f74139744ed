import test from 'ava';
import { defaultEarlyWarning, effectiveCapacity, isValidBarcode, parseBarcode } from '../../tapes/barcode.ts';
import { BarcodeError } from '../../tapes/errors.ts';

test('an LTO-6 barcode parses to LTO-6, 2.5 TB, not WORM', (t) => {
  const p = parseBarcode('ABC123L6');
  // The suffix L6 names LTO-6 at 2.5 TB native.
  t.is(p.media.mediaType, 'LTO-6');
  t.is(p.media.nativeCapacityBytes, 2_500_000_000_000);
  t.false(p.media.worm);
  t.is(p.volser, 'ABC123');
});

test('L5 through L9 give the native capacities of LTO-5 to LTO-9', (t) => {
  const tb = (s: string): number => parseBarcode(`VOL001${s}`).media.nativeCapacityBytes / 1e12;
  // 1.5, 2.5, 6, 12 and 18 TB.
  t.deepEqual(['L5', 'L6', 'L7', 'L8', 'L9'].map(tb), [1.5, 2.5, 6, 12, 18]);
});

test('WORM suffixes LT to LZ are WORM media of LTO-3 to LTO-9', (t) => {
  const parsed = ['LT', 'LU', 'LV', 'LW', 'LX', 'LY', 'LZ'].map((s) => parseBarcode(`WRM001${s}`).media);
  // Every one is WORM.
  t.true(parsed.every((m) => m.worm));
  // Generations run 3 to 9 in suffix order.
  t.deepEqual(parsed.map((m) => m.generation), [3, 4, 5, 6, 7, 8, 9]);
});

test('a cleaning cartridge is recognised by its CLN volser', (t) => {
  // CLN001L6 is a cleaning cartridge.
  t.true(parseBarcode('CLN001L6').cleaning);
});

test('malformed barcodes are rejected with VTL_BARCODE_INVALID', (t) => {
  for (const bad of ['abc123L6', 'ABC12L6', 'ABC123L0', 'ABC123XX', 'ABC123L6X', '']) {
    // Each is refused with a BarcodeError.
    t.throws(() => parseBarcode(bad), { instanceOf: BarcodeError, code: 'VTL_BARCODE_INVALID' }, bad);
  }
  // isValidBarcode agrees without throwing.
  t.false(isValidBarcode('ABC123L0'));
  t.true(isValidBarcode('ABC123LZ'));
});

test('a capacity override replaces native capacity within bounds', (t) => {
  const p = parseBarcode('ABC123L6');
  // 10 GiB is accepted as the virtual capacity.
  t.is(effectiveCapacity(p, 10 * 2 ** 30), 10 * 2 ** 30);
  // No override means native capacity.
  t.is(effectiveCapacity(p), 2_500_000_000_000);
  // More than native is refused.
  t.throws(() => effectiveCapacity(p, 3e12), { instanceOf: BarcodeError });
});

test('early warning is 2% of capacity, bounded', (t) => {
  // 2% of 1 GB.
  t.is(defaultEarlyWarning(1e9), 2e7);
  // Capped at 4 GiB for big media.
  t.is(defaultEarlyWarning(18e12), 4 * 2 ** 30);
});
