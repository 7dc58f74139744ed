// The steps of a runbook (docs/*.md): every fenced block whose first line is `# step: NAME`
// (sh) or `-- step: NAME` (sql) is a step the drills run as written, so the document and the
// drill cannot drift. Host steps run in bash with `s3vtl` on PATH; the others are handed to
// the guest through its share.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT, run, type RunResult, WORK } from './util.ts';

export interface Step { name: string; lang: 'sh' | 'sql'; body: string }

export function runbookSteps(file: string): Map<string, Step> {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const steps = new Map<string, Step>();
  for (const m of text.matchAll(/^```(sh|sql)\n([\s\S]*?)^```$/gm)) {
    const lang = m[1] as 'sh' | 'sql';
    const [first, ...rest] = m[2]!.split('\n');
    const named = /^(?:#|--) step: ([a-z0-9-]+)$/.exec(first ?? '');
    if (!named) continue;
    if (steps.has(named[1]!)) throw new Error(`${file}: step ${named[1]} twice`);
    steps.set(named[1]!, { name: named[1]!, lang, body: rest.join('\n') });
  }
  return steps;
}

export function step(steps: Map<string, Step>, name: string): Step {
  const s = steps.get(name);
  if (!s) throw new Error(`the runbook has no step ${name}`);
  return s;
}

/** A directory with an `s3vtl` command (the installed bin, run by this node). */
export function s3vtlBin(): string {
  const dir = path.join(WORK, 'bin');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 's3vtl'), `#!/bin/sh\nexec '${process.execPath}' '${path.join(ROOT, 'bin/s3vtl.js')}' "$@"\n`, { mode: 0o755 });
  return dir;
}

/** Runs a host step as the operator types it: bash -e, its variables in the environment. */
export function runHostStep(s: Step, vars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  if (s.lang !== 'sh') throw new Error(`step ${s.name} is ${s.lang}, not a shell step`);
  return run('bash', ['-euo', 'pipefail', '-c', s.body], {
    env: { ...env, ...vars, PATH: `${s3vtlBin()}:${env.PATH ?? ''}` }, timeoutMs: 300_000, cwd: ROOT,
  });
}

/** Lines of a step with $VAR / ${VAR} replaced (for steps that are arguments, not commands). */
export function expand(s: Step, vars: Record<string, string>): string[] {
  return s.body.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().replace(/\$\{?([A-Z_]+)\}?/g, (_, k: string) => {
    if (vars[k] === undefined) throw new Error(`step ${s.name}: no value for $${k}`);
    return vars[k];
  }));
}
