// The data directory serve keeps its state in (catalog, staging, disk images,
// the control socket): checked before anything is opened in it, and locked so
// that a second serve on the same directory stops before it listens or opens
// the catalog.
//
// It must be a directory owned by the user running s3vtl that no one else can
// write: another user who can write it could swap the catalog or staged data.
// One that others can only read is tightened to 0700 (an older s3vtl, or
// mkdir under umask 022, made it 0755). The lock is <data>/serve.lock, created
// exclusively, holding the owner's pid; a lock whose process is gone (a crash)
// is taken over.
import { chmod, mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VtlError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { PRIVATE_DIR_MODE, mkdirPrivate, writeFilePrivate } from '../../tapes/private-fs.ts';

export const DATA_DIR_LOCK = 'serve.lock';

export class DataDirError extends VtlError {
  constructor(code: 'VTL_DATA_DIR' | 'VTL_DATA_DIR_IN_USE', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/** Why an errno stops the use of the data directory, in the operator's words. */
function reason(e: unknown): string {
  switch (errnoOf(e)) {
    case 'EROFS': return 'it is on a read-only file system';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a part of the path is a file, not a directory';
    case 'ENOSPC': return 'no space left on the device';
    default: return (e as Error).message;
  }
}

/**
 * A recursive mkdir reports ENOENT where a plain one says why (EROFS on a
 * read-only file system, EACCES): the error of the first missing ancestor.
 */
async function realMkdirError(dir: string, fallback: unknown): Promise<unknown> {
  let first = dir;
  while (dirname(first) !== first && !(await stat(dirname(first)).then(() => true, () => false))) first = dirname(first);
  return mkdir(first, { mode: PRIVATE_DIR_MODE }).then(async () => {
    await rmdir(first).catch(() => undefined);
    return fallback;
  }, (e: unknown) => e);
}

/** Create (0700) and check the data directory; tightens a directory others can read. */
export async function prepareDataDir(dir: string, log?: Pick<Logger, 'warn'>): Promise<void> {
  try {
    await mkdirPrivate(dir);
  } catch (e) {
    // EEXIST: something that is not a directory; the check below names it.
    if (errnoOf(e) !== 'EEXIST') {
      const cause = errnoOf(e) === 'ENOENT' ? await realMkdirError(dir, e) : e;
      throw new DataDirError('VTL_DATA_DIR', `data directory ${dir}: cannot create it: ${reason(cause)}`, { cause });
    }
  }
  const st = await stat(dir).catch((e: unknown) => {
    throw new DataDirError('VTL_DATA_DIR', `data directory ${dir}: ${reason(e)}`, { cause: e });
  });
  if (!st.isDirectory()) throw new DataDirError('VTL_DATA_DIR', `data directory ${dir} is a file, not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new DataDirError('VTL_DATA_DIR', `data directory ${dir} belongs to uid ${st.uid}, not to the user running s3vtl (uid ${uid}): run s3vtl as its owner, or give it a directory of its own`);
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    throw new DataDirError('VTL_DATA_DIR', `data directory ${dir} is writable by ${(mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')}): anyone who can write it can replace the catalog or staged data; chmod 700 ${dir}`);
  }
  if (mode !== PRIVATE_DIR_MODE) {
    await chmod(dir, PRIVATE_DIR_MODE).catch((e: unknown) => {
      throw new DataDirError('VTL_DATA_DIR', `data directory ${dir} is readable by other users and cannot be made private: ${reason(e)}`, { cause: e });
    });
    log?.warn('data directory was readable by other users; now 0700', { dir, was: mode.toString(8).padStart(4, '0') });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/** Take the single-instance lock of `dir`; resolves to its release. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, DATA_DIR_LOCK);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFilePrivate(file, mine, 'wx');
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')) === mine) await rm(file, { force: true });
      };
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw new DataDirError('VTL_DATA_DIR', `data directory ${dir}: cannot write in it: ${reason(e)}`, { cause: e });
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new DataDirError('VTL_DATA_DIR_IN_USE', `data directory ${dir} is in use by another s3vtl serve (pid ${owner}); stop it first or use another data directory (if no s3vtl runs as pid ${owner}, remove ${file})`);
    }
    await rm(file, { force: true });
  }
  throw new DataDirError('VTL_DATA_DIR_IN_USE', `could not lock data directory ${dir} (${file} keeps reappearing)`);
}

/** prepareDataDir then lockDataDir: what serve does before it opens anything. */
export async function openDataDir(dir: string, log?: Pick<Logger, 'warn'>): Promise<() => Promise<void>> {
  await prepareDataDir(dir, log);
  return lockDataDir(dir);
}
