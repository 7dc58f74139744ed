// The operator's side of a shelf transfer: repeat the bounded steps
// (tape.archive / tape.retrieve, online or offline alike) until done, wait
// between polls while S3 restores, and show progress: a bar redrawn in place
// on a terminal, one plain line per change otherwise.

import { setTimeout as sleep } from 'node:timers/promises';
import type { ShelfStatus } from '../control/protocol.ts';

export type Transfer = 'archive' | 'retrieve';

export interface StepLoopOptions {
  readonly transfer: Transfer;
  /** Keep polling while restores are under way; false returns once only waiting is left. */
  readonly wait: boolean;
  /** Pause between polls while nothing can move but S3's restores. */
  readonly intervalMs: number;
  /** Where progress goes; a TTY gets the bar. */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly pause?: (ms: number) => Promise<void>;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
const bytes = (n: number): string => {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${UNITS[u]}`;
};

/** One plain progress line. */
export function progressLine(t: Transfer, s: ShelfStatus): string {
  if (t === 'archive') {
    return `archive ${s.barcode}: ${s.archived}/${s.objects} objects in ${s.archiveClass ?? 'the archive'} (${bytes(s.archivedBytes)} of ${bytes(s.bytes)})`;
  }
  const restoring = s.restoring > 0 ? `, ${s.restoring} restoring` : '';
  return `retrieve ${s.barcode}: ${s.restored}/${s.objects} objects restored (${bytes(s.restoredBytes)} of ${bytes(s.bytes)}), ${s.copied}/${s.objects} copied back${restoring}`;
}

/** The bar: `[#####.....]` over objects done, then the plain line's numbers. */
export function progressBar(t: Transfer, s: ShelfStatus, width = 24): string {
  const done = t === 'archive' ? s.archived : s.restored;
  const filled = s.objects === 0 ? width : Math.round((done / s.objects) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progressLine(t, s)}`;
}

const counters = (s: ShelfStatus): string => `${s.archived}/${s.restored}/${s.copied}/${s.restoring}/${s.phase}`;

/** Run `step` until complete (or, without `wait`, until only S3's restores are left); returns the last status. */
export async function repeatSteps<T extends ShelfStatus>(step: () => Promise<T>, o: StepLoopOptions): Promise<T> {
  const pause = o.pause ?? ((ms: number) => sleep(ms));
  const tty = o.out.isTTY === true;
  let lastLine = '';
  const show = (s: ShelfStatus, final: boolean): void => {
    if (s.objects === 0 && final) return;
    if (tty) {
      o.out.write(`\r\x1b[2K${progressBar(o.transfer, s)}${final ? '\n' : ''}`);
      return;
    }
    const line = progressLine(o.transfer, s);
    if (line !== lastLine) o.out.write(`${line}\n`);
    lastLine = line;
  };
  let s = await step();
  for (;;) {
    show(s, s.complete);
    if (s.complete) return s;
    // Only S3's restores can move things now: wait (or leave them running).
    const waiting = s.restoring > 0 && s.copied === s.restored;
    if (waiting && !o.wait) {
      if (tty) o.out.write('\n');
      return s;
    }
    const before = counters(s);
    if (waiting) await pause(o.intervalMs);
    s = await step();
    // A step that moved nothing and waits for nothing would spin: stop and report.
    if (!waiting && counters(s) === before && !s.complete && s.restoring === 0) {
      show(s, true);
      return s;
    }
  }
}
