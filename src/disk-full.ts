// A data directory on a full file system: how startup says so. SQLite reports
// a full disk as SQLITE_FULL ("database or disk is full") or, when it cannot
// even create its shared-memory file, as a plain SQLITE_IOERR ("disk I/O
// error"); the file system's free space tells which it was.

import { statfsSync } from 'node:fs';
import { VtlError } from './errors.ts';

/** Free bytes for an unprivileged writer on the file system of `dir`, or undefined when it cannot be asked. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Less than this free: the file system counts as full for the messages below. */
const FULL_BELOW = 1 << 20;

/** " (the file system of DIR is full: N bytes free; free space and start again)" when it is, else "". */
export function fullNote(dir: string): string {
  const free = freeBytes(dir);
  if (free === undefined || free >= FULL_BELOW) return '';
  return ` (the file system of ${dir} is full: ${free} bytes free; free space and start again)`;
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

function isFullError(e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && (FULL_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return true;
  }
  return false;
}

/** Startup failed on a full data directory. */
export class DataDirectoryFullError extends VtlError {
  constructor(dir: string, cause: unknown) {
    super('VTL_DATA_FULL', `data directory ${dir}: ${(cause as Error).message}${fullNote(dir) || '; free space and start again'}`, { cause });
  }
}

/**
 * What a startup error becomes: an operator error (VtlError) as it is, or
 * enriched with the full file system when that is the cause; a full disk
 * under any other error (an uncaught SqliteError, ENOSPC) becomes
 * DataDirectoryFullError. Anything else is returned unchanged (a bug).
 */
export function startupError(e: unknown, dir: string): unknown {
  if (e instanceof DataDirectoryFullError) return e;
  if (e instanceof VtlError) return e;
  if (isFullError(e) || (e instanceof Error && fullNote(dir) !== '')) return new DataDirectoryFullError(dir, e);
  return e;
}
