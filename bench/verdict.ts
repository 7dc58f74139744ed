// A bench reports figures only for data that came back right: every run must have completed
// and, when it read back, verified byte for byte. The verdict is the bench's last line, and
// the exit code says it too.
import type { BenchJson } from '../integration/lib/iscsi.ts';

/** Why a run cannot count, or undefined when it can. `read`: the run read its data back. */
export function runProblem(j: BenchJson, read: boolean): string | undefined {
  if (!j.ok) return `failed${j.error ? `: ${j.error}` : ''}`;
  // iscsi-tape-bench prints verify_ok only when it verifies; a read without it was not checked
  if (read && j.verify_ok !== true) return `read back without a successful verification (verify_ok=${String(j.verify_ok)})`;
  return undefined;
}

/** The last line: FAILED with each problem, or that every run verified. */
export function verdict(problems: string[], runs: number, read: boolean): { line: string; exitCode: number } {
  if (problems.length > 0) return { line: `FAILED: ${problems.length} of ${runs} run(s) do not count: ${problems.join('; ')}`, exitCode: 1 };
  if (runs === 0) return { line: 'FAILED: no run', exitCode: 1 };
  return { line: read ? `verified: all ${runs} run(s) read back byte-identical` : `not verified: all ${runs} run(s) completed (write only)`, exitCode: 0 };
}
