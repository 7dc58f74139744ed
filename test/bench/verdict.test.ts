import test from 'ava';
import { runProblem, verdict } from '../../bench/verdict.ts';

test('a run that read back counts only with verify_ok true', (t) => {
  // Completed and verified: counts.
  t.is(runProblem({ ok: true, verify_ok: true }, true), undefined);
  // Verification failed, or was never reported: does not count.
  t.regex(runProblem({ ok: true, verify_ok: false }, true) ?? '', /verify_ok=false/);
  t.regex(runProblem({ ok: true }, true) ?? '', /verify_ok=undefined/);
  // A write-only run has nothing to verify.
  t.is(runProblem({ ok: true }, false), undefined);
  // A failed run never counts.
  t.regex(runProblem({ ok: false, error: 'READ failed' }, false) ?? '', /failed: READ failed/);
});

test('the verdict names the failed runs and exits non-zero', (t) => {
  // One bad run in three: FAILED, exit 1, the run named.
  const v = verdict(['rep 2 var qd1 ours read back without a successful verification (verify_ok=false)'], 3, true);
  t.is(v.exitCode, 1);
  t.regex(v.line, /^FAILED: 1 of 3 run\(s\) do not count: rep 2 var qd1 ours/);
  // No run at all is no result.
  t.is(verdict([], 0, true).exitCode, 1);
  // All verified.
  t.deepEqual(verdict([], 3, true), { line: 'verified: all 3 run(s) read back byte-identical', exitCode: 0 });
});
