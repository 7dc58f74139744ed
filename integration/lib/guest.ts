// Run a shell script inside the QEMU guest (../shared/guest/run) with iSCSI LUNs attached.
// Each call boots a fresh VM (~12 s under TCG); needs the image from scripts/setup.sh.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunResult, SHARED, WORK } from './util.ts';

export interface GuestRun {
  luns: [name: string, url: string][]; // i-th LUN = SCSI target i in the guest; /dev/vtl/NAME.sg ...
  script: string; // script text (with a #! line, else sh)
  args?: string[];
  env?: Record<string, string>; // variables for the script
  timeoutS?: number; // whole-VM limit (run exits 124 on expiry)
  extra?: string[]; // more `run` options, e.g. ['--mem', '2048', '-v']
}

/** Exit code: the script's; 124 timeout; 125 harness error (no image, iSCSI login failed, LUN missing). */
export async function guestRun(g: GuestRun): Promise<RunResult> {
  const dir = path.join(WORK, 'guest-scripts');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `job-${process.pid}-${Date.now()}.sh`);
  writeFileSync(file, g.script, { mode: 0o755 });
  const timeoutS = g.timeoutS ?? 600;
  const args = [
    path.join(SHARED, 'guest/run'), '--timeout', String(timeoutS),
    ...g.luns.flatMap(([n, u]) => ['--lun', `${n}=${u}`]),
    ...Object.entries(g.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(g.extra ?? []), '--', file, ...(g.args ?? []),
  ];
  return run('bash', args, { timeoutMs: (timeoutS + 60) * 1000 });
}
