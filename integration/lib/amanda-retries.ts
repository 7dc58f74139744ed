// amfetchdump retries in the Amanda suite (2400): amanda-test.sh restores once more only after
// Amanda's own assertion in xfer-source-recovery.c, seen about one run in ten (commit a2ab4d3:
// twelve traced runs, the target's side clean). A retry must not hide a failure that became
// frequent, so retries are counted: per run, and across the runs of one work dir (`npm test`
// runs the suite on the directory store, then on S3).
//
// Rule: at most one retry in a run, each after the exact assertion text; and over the runs
// tallied so far, at most 1 + floor(runs / 5) retries. Two runs (one `npm test`) fail when both
// retried (about 1 % if the rate is one in ten); ten runs allow three.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** How glib prints the assertion (g_assertion_message_expr). */
export const AMANDA_ASSERTION = /xfer-source-recovery\.c:\d+:start_part_impl: assertion failed: \(self->paused \|\| self->done\)/;
const RETRY = /^RETRY amfetchdump/;

export interface Tally { readonly runs: number; readonly retries: number }

/** Retries in a guest's output, and how many of them followed no exact assertion text. */
export function countRetries(stdout: string): { retries: number; unexplained: number } {
  let retries = 0;
  let unexplained = 0;
  let seen = false;
  for (const l of stdout.split('\n')) {
    if (AMANDA_ASSERTION.test(l)) seen = true;
    if (RETRY.test(l)) {
      retries++;
      if (!seen) unexplained++;
      seen = false;
    }
  }
  return { retries, unexplained };
}

export const allowedRetries = (runs: number): number => 1 + Math.floor(runs / 5);

/** This run added to the tally, and what is wrong with it (empty: within the rule). */
export function judgeRetries(before: Tally, stdout: string): { tally: Tally; problems: string[] } {
  const { retries, unexplained } = countRetries(stdout);
  const tally = { runs: before.runs + 1, retries: before.retries + retries };
  const problems: string[] = [];
  if (unexplained > 0) problems.push(`${unexplained} amfetchdump retr${unexplained === 1 ? 'y' : 'ies'} without Amanda's start_part_impl assertion before it`);
  if (retries > 1) problems.push(`${retries} amfetchdump retries in one run (at most 1)`);
  if (tally.retries > allowedRetries(tally.runs)) problems.push(`${tally.retries} amfetchdump retries in ${tally.runs} runs (at most ${allowedRetries(tally.runs)}: the assertion was about one run in ten)`);
  return { tally, problems };
}

export function readTally(file: string): Tally {
  if (!existsSync(file)) return { runs: 0, retries: 0 };
  const t = JSON.parse(readFileSync(file, 'utf8')) as Partial<Tally>;
  return { runs: Number(t.runs ?? 0), retries: Number(t.retries ?? 0) };
}

export function writeTally(file: string, t: Tally): void {
  writeFileSync(file, `${JSON.stringify(t)}\n`);
}
