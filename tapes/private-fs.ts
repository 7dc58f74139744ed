// The gateway's local state (staging, journals, segments of a directory store,
// disk images, the catalog, the control socket) is readable by its owner only,
// whatever the umask: directories 0700, files 0600. Modes are given at creation
// (open/mkdir), so there is no window in which another user could open a file.

import * as fs from 'node:fs/promises';
import { mkdirSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** mkdir -p: every directory it creates is 0700 (existing ones are left as they are). */
export function mkdirPrivate(dir: string): Promise<string | undefined> {
  return fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export function mkdirPrivateSync(dir: string): string | undefined {
  return mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** fs.open that creates the file 0600. */
export function openPrivate(file: string, flags: string | number): Promise<fs.FileHandle> {
  return fs.open(file, flags, PRIVATE_FILE_MODE);
}

/** fs.writeFile that creates the file 0600 (`flag` as fs.writeFile's, default 'w'). */
export function writeFilePrivate(file: string, data: string | Uint8Array, flag = 'w'): Promise<void> {
  return fs.writeFile(file, data, { mode: PRIVATE_FILE_MODE, flag });
}
