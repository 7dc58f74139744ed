// Child process of crash.test.ts: applies the crash plan to the fixture in
// argv[2], and kills itself with SIGKILL at its store operation number
// argv[3] (before the operation when argv[4] is "before", else after it),
// as a kill -9 from outside would at that instant.
import * as path from 'node:path';
import { applyRetention } from '../../src/retention/apply.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { crashPlan, deps, fixture, wrapStore } from './fixture.ts';

const [dir, at, when] = process.argv.slice(2);
const crashAt = Number(at);
let ops = 0;
const tick = (phase: 'before' | 'after'): void => {
  if (phase === 'before') ops++;
  if (ops === crashAt && phase === when) process.kill(process.pid, 'SIGKILL');
};
const counted = <T>(op: () => Promise<T>): Promise<T> => {
  tick('before');
  return op().then((v) => {
    tick('after');
    return v;
  });
};
const f = await fixture(dir!, path.join(dir!, 'catalog.sqlite'));
const s = f.store;
const store: ObjectStore = wrapStore(s, {
  put: (k, b, o) => counted(() => s.put(k, b, o)),
  get: (k, r, o) => counted(() => s.get(k, r, o)),
  list: (p, o) => counted(() => s.list(p, o)),
  // One key at a time, so a kill can land between any two deletions of a batch.
  delete: async (keys) => {
    for (const k of keys) await counted(() => s.delete([k]));
  },
});
const report = await applyRetention(crashPlan(), deps(f, { store }));
f.catalog.close();
process.stdout.write(JSON.stringify({ ops, errors: report.errors }) + '\n');
