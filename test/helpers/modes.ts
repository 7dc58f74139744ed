// File modes under a directory, for the tests of private local state.
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';

/** Every file and directory under `root` (root excluded) with its permission bits. */
export async function modes(root: string): Promise<Map<string, { dir: boolean; mode: number }>> {
  const out = new Map<string, { dir: boolean; mode: number }>();
  for (const name of await readdir(root, { recursive: true })) {
    const st = await stat(path.join(root, name));
    out.set(name, { dir: st.isDirectory(), mode: st.mode & 0o777 });
  }
  return out;
}

/** The entries whose mode is wider than 0600 (files) or 0700 (directories), as "name 0644". */
export function wider(m: Map<string, { dir: boolean; mode: number }>): string[] {
  return [...m].filter(([, e]) => (e.mode & 0o077) !== 0).map(([n, e]) => `${n} ${e.mode.toString(8).padStart(4, '0')}`);
}
