import test from 'ava';
import { allowedRetries, countRetries, judgeRetries } from '../../integration/lib/amanda-retries.ts';

const ASSERT = 'ERROR:xfer-source-recovery.c:628:start_part_impl: assertion failed: (self->paused || self->done)';
const RETRY = "RETRY amfetchdump: Amanda's start_part_impl assertion; restoring again";

test('a retry counts only after the exact assertion text', (t) => {
  // The assertion, then the retry: explained.
  t.deepEqual(countRetries(`x\n${ASSERT}\n${RETRY}\nPASS restore-compare`), { retries: 1, unexplained: 0 });
  // A retry after some other message naming start_part_impl: unexplained.
  t.deepEqual(countRetries(`amfetchdump: start_part_impl: something else\n${RETRY}`), { retries: 1, unexplained: 1 });
  t.deepEqual(countRetries('PASS restore-compare'), { retries: 0, unexplained: 0 });
});

test('retries beyond one per run or about one run in ten fail', (t) => {
  // First run of a work dir with one retry: allowed.
  t.deepEqual(judgeRetries({ runs: 0, retries: 0 }, `${ASSERT}\n${RETRY}`).problems, []);
  // The second run (the other store) retrying too: two in two runs, fails.
  const both = judgeRetries({ runs: 1, retries: 1 }, `${ASSERT}\n${RETRY}`);
  t.deepEqual(both.tally, { runs: 2, retries: 2 });
  t.regex(both.problems.join(), /2 amfetchdump retries in 2 runs \(at most 1/);
  // Two retries in one run: fails whatever the tally.
  t.regex(judgeRetries({ runs: 20, retries: 0 }, `${ASSERT}\n${RETRY}\n${ASSERT}\n${RETRY}`).problems.join(), /2 amfetchdump retries in one run/);
  // Without a retry the tally only grows in runs.
  t.deepEqual(judgeRetries({ runs: 9, retries: 2 }, 'PASS restore-compare'), { tally: { runs: 10, retries: 2 }, problems: [] });
  t.is(allowedRetries(10), 3);
});
