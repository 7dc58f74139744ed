// A generated file tree for backup-cycle suites: the host writes a tree and two rounds of changes
// (files added, rewritten, deleted, modes changed) into a share, knows the expected state after
// each round, and compares a guest's listing of a restored tree ("M <type> <mode> <size> <sha|->
// <path>" lines, as integration/guest/bacula-cycle.sh prints them) entry by entry.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prng } from '../../test/helpers/prng.ts';

export interface Entry { type: 'f' | 'd'; mode: number; data?: Buffer }
/** path ("./a/b") -> entry */
export type Tree = Map<string, Entry>;
export interface Change { files: Tree; delete: string[]; chmod: [mode: number, path: string][] }
export interface Listed { type: string; mode: string; size: number; sha: string }

const FILE_MODES = [0o644, 0o600, 0o640, 0o755, 0o444, 0o664, 0o700, 0o400];
const DIR_MODES = [0o755, 0o750, 0o700, 0o775];

/** A tree of `files` files in nested directories; `big` of them 1-2 MiB, the rest 0-48 KiB. */
export function makeTree(seed: number, files: number, big: number): Tree {
  const r = prng(seed);
  const t: Tree = new Map();
  const dirs = ['.'];
  for (let i = 0; i < Math.ceil(files / 12); i++) {
    const parent = dirs[Math.floor(r() * dirs.length)]!;
    const d = `${parent}/d${i}`;
    dirs.push(d);
    t.set(d, { type: 'd', mode: DIR_MODES[Math.floor(r() * DIR_MODES.length)]! });
  }
  for (let i = 0; i < files; i++) {
    const size = i < big ? 2 ** 20 + Math.floor(r() * 2 ** 20) : i % 17 === 0 ? 0 : Math.floor(r() * 48 * 1024);
    const dir = dirs[Math.floor(r() * dirs.length)]!;
    t.set(`${dir}/f${i}.bin`, { type: 'f', mode: FILE_MODES[Math.floor(r() * FILE_MODES.length)]!, data: randomBytes(size) });
  }
  return t;
}

/** A round of changes to `t`: `n` files added, rewritten, deleted and re-moded each (never the same file twice). */
export function makeChange(t: Tree, seed: number, n: number, tag: string): Change {
  const r = prng(seed);
  const files = [...t].filter(([, e]) => e.type === 'f').map(([p]) => p);
  const pick = (): string => files.splice(Math.floor(r() * files.length), 1)[0]!;
  const c: Change = { files: new Map(), delete: [], chmod: [] };
  const dirs = [...t].filter(([, e]) => e.type === 'd').map(([p]) => p);
  for (let i = 0; i < n; i++) {
    c.files.set(`${dirs[Math.floor(r() * dirs.length)]}/${tag}-new${i}.bin`, { type: 'f', mode: 0o644, data: randomBytes(1 + Math.floor(r() * 64 * 1024)) });
    const p = pick();
    const old = t.get(p)!;
    // rewritten: other bytes, sometimes the same size (only the contents tell them apart)
    c.files.set(p, { type: 'f', mode: old.mode, data: randomBytes(i % 2 === 0 ? old.data!.length : 1 + Math.floor(r() * 96 * 1024)) });
    c.delete.push(pick());
    const q = pick();
    const was = FILE_MODES.indexOf(t.get(q)!.mode);
    c.chmod.push([FILE_MODES[(was + 1 + (i % (FILE_MODES.length - 1))) % FILE_MODES.length]!, q]);
  }
  c.files.set(`./${tag}-dir/${tag}-deep.txt`, { type: 'f', mode: 0o600, data: Buffer.from(`${tag} ${randomBytes(20).toString('hex')}\n`) });
  c.files.set(`./${tag}-dir`, { type: 'd', mode: 0o750 });
  return c;
}

/** The tree after a change. */
export function applyChange(t: Tree, c: Change): Tree {
  const out: Tree = new Map(t);
  for (const [p, e] of c.files) out.set(p, e);
  for (const p of c.delete) out.delete(p);
  for (const [m, p] of c.chmod) out.set(p, { ...out.get(p)!, mode: m });
  return out;
}

/**
 * Writes a tree below dir (modes last, so read-only directories can be filled). A directory
 * the tree does not list (the parent of a changed file) takes its mode from `base`, so that
 * copying the result over the base tree (cp -a) changes no directory's mode.
 */
export function writeTree(dir: string, t: Tree, base: Tree = new Map()): void {
  const modes = new Map<string, number>();
  for (const [p, e] of t) {
    for (let d = path.posix.dirname(p); d !== '.' && !modes.has(d); d = path.posix.dirname(d)) modes.set(d, t.get(d)?.mode ?? base.get(d)?.mode ?? 0o755);
    if (e.type === 'd') { modes.set(p, e.mode); mkdirSync(path.join(dir, p), { recursive: true }); }
  }
  for (const [p, e] of t) {
    if (e.type === 'f') { mkdirSync(path.join(dir, path.posix.dirname(p)), { recursive: true }); writeFileSync(path.join(dir, p), e.data!); chmodSync(path.join(dir, p), e.mode); }
  }
  for (const [d, m] of [...modes].sort(([a], [b]) => b.length - a.length)) chmodSync(path.join(dir, d), m);
}

/** Writes a change as files/, delete and chmod below dir, the form bacula-cycle.sh applies. */
export function writeChange(dir: string, c: Change, base: Tree): void {
  writeTree(path.join(dir, 'files'), c.files, base);
  chmodSync(path.join(dir, 'files'), 0o755);
  writeFileSync(path.join(dir, 'delete'), c.delete.map((p) => `${p}\n`).join(''));
  writeFileSync(path.join(dir, 'chmod'), c.chmod.map(([m, p]) => `${m.toString(8)} ${p}\n`).join(''));
}

/** The guest's "M" lines of one listing. */
export function parseListing(text: string): Map<string, Listed> {
  const m = new Map<string, Listed>();
  for (const line of text.split('\n')) {
    const h = /^M (\S) (\d+) (\d+) (\S+) (.+)$/.exec(line);
    if (h) m.set(h[5]!, { type: h[1]!, mode: h[2]!, size: Number(h[3]), sha: h[4]! });
  }
  return m;
}

/** Differences between what a tree should hold and a listing of it, one line each (empty: equal). */
export function compareTree(want: Tree, got: Map<string, Listed>): { diffs: string[]; files: number; bytes: number } {
  const diffs: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const [p, e] of want) {
    const g = got.get(p);
    if (!g) { diffs.push(`${p}: missing`); continue; }
    const mode = e.mode.toString(8);
    if (g.type !== e.type) diffs.push(`${p}: type ${g.type}, want ${e.type}`);
    if (g.mode !== mode) diffs.push(`${p}: mode ${g.mode}, want ${mode}`);
    if (e.type === 'f') {
      if (g.size !== e.data!.length) diffs.push(`${p}: size ${g.size}, want ${e.data!.length}`);
      else if (g.sha !== createHash('sha256').update(e.data!).digest('hex')) diffs.push(`${p}: contents differ`);
      else { files++; bytes += g.size; }
    }
  }
  for (const p of got.keys()) if (!want.has(p)) diffs.push(`${p}: present, should not be`);
  return { diffs, files, bytes };
}
