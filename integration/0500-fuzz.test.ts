// Bad input: a bounded fuzz run of malformed and mutated PDUs and CDBs over
// real sockets (integration/lib/fuzz.ts). The target must never crash, must
// answer each case with a Reject, a SCSI status with well-formed (and, for
// unsupported opcodes, exact) sense, or a dropped connection, and a
// well-behaved session on another target must keep verifying its data.
import test from 'ava';
import { diskTarget, IQN_PREFIX } from './lib/config.ts';
import { Fuzzer } from './lib/fuzz.ts';
import { fuzzSeed } from './lib/fuzz-common.ts';
import { liveness } from './lib/probe.ts';
import { startTarget, type Target } from './lib/target.ts';

const CASES = Number(process.env.S3VTL_FUZZ_CASES ?? 100_000);

let target: Target;
test.before(async () => {
  target = await startTarget('0500-fuzz', [
    { iqn: `${IQN_PREFIX}:fuzz`, luns: [{ lun: 0, type: 'disk', size: '64MiB' }, { lun: 2, type: 'disk', size: '8MiB' }] },
    diskTarget('good', '16MiB'),
  ]);
});
test.after.always(async () => target?.stop());

test(`${CASES} malformed PDUs and CDBs: no crash, exact answers, the good session unharmed`, async (t) => {
  t.timeout(40 * 60_000);
  const seed = fuzzSeed();
  t.log(`seed ${seed} (S3VTL_FUZZ_SEED=${seed} repeats this run)`);
  const t0 = Date.now();
  const report = await new Fuzzer({
    host: '127.0.0.1', port: target.port,
    fuzzTarget: `${IQN_PREFIX}:fuzz`, fuzzLuns: [0, 1, 2],
    goodTarget: `${IQN_PREFIX}:good`, goodLun: 0,
    cases: CASES, seed,
  }).run();
  t.log(`${report.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${report.reconnects} logins, ${report.goodOps} verified writes beside`);
  t.log(JSON.stringify(report.byOutcome));
  t.is(report.cases, CASES, `every case ran (seed ${seed})`);
  t.deepEqual(report.failures, [], `no case ended outside the allowed answers (seed ${seed})`);
  t.deepEqual(report.goodErrors, [], `the well-behaved session never saw an error (seed ${seed})`);
  t.true(report.goodOps > 0, 'the well-behaved session did work while the fuzzer ran');
  t.is(await liveness(target, `${IQN_PREFIX}:good`, 0), undefined, `the target process has not exited and a fresh session gets answers (seed ${seed})`);
});
