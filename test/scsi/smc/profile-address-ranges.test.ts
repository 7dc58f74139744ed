// The configuration bounds a library by its changer personality's limits (src/config-checks.ts);
// within them, every element type's addresses must stay apart and fit in 16 bits (SMC-3 6.11),
// or elements.ts refuses to build the changer at start.
import test from 'ava';
import { changerProfiles } from '../../../scsi/profiles/index.ts';

for (const [name, p] of changerProfiles) {
  test(`${name}: element address ranges at the personality's limits neither overlap nor pass 65535`, (t) => {
    const ranges: [string, number, number][] = [
      ['transport', p.addressBases.transport, 1],
      ['data transfer', p.addressBases.dataTransfer, p.limits.dataTransfer],
      ['import/export', p.addressBases.importExport, p.limits.importExport],
      ['storage', p.addressBases.storage, p.limits.storage],
    ];
    for (const [a, base, n] of ranges) {
      t.true(base + n - 1 <= 0xffff, `${a}: ${base}..${base + n - 1}`);
      for (const [b, ob, on] of ranges) {
        if (a === b || n === 0 || on === 0) continue;
        t.false(base < ob + on && ob < base + n, `${a} ${base}..${base + n - 1} overlaps ${b} ${ob}..${ob + on - 1}`);
      }
    }
  });
}
