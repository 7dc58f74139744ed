// Tape data and library state survive a target restart: write (tar + dd) in one guest boot,
// SIGTERM + restart the target on the same data dir, read back byte-identical and compare the
// library state (mtx status); then a sync point (weof) on the other drive, kill -9, restart, and
// everything before the filemark must read back identical. Three guest boots.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { guestRun } from './lib/guest.ts';
import { workDir } from './lib/util.ts';
import { type Library, mtxSummary, parseMtxStatus, sections, startLibrary } from './guest/vtl.ts';

let lib: Library;
let share: string;
const phase: Record<string, Map<string, { rc: number; text: string }>> = {};
const raw: Record<string, string> = {};
/** The files under the share's src/, as tar -tf lists them. */
const SRC_FILES: string[] = [];

async function runPhase(t: import('ava').ExecutionContext, name: 'write' | 'verify' | 'verify-kill') {
  const r = await guestRun({ luns: lib.luns, script: lib.script('2200-tape-restart.sh'), env: { PHASE: name }, timeoutS: 500, extra: ['--share', share] });
  t.log(`${name}: guest exit ${r.code} in ${r.ms} ms`);
  if (r.code !== 0) t.log(r.stdout.slice(-3000), r.stderr.slice(-2000));
  raw[name] = r.stdout;
  phase[name] = sections(r.stdout);
}

test.before(async (t) => {
  share = workDir('2200-share');
  mkdirSync(path.join(share, 'src/sub'), { recursive: true });
  writeFileSync(path.join(share, 'src/a.bin'), randomBytes(3 * 2 ** 20));
  writeFileSync(path.join(share, 'src/sub/b.bin'), randomBytes(777_777));
  for (let i = 0; i < 20; i++) writeFileSync(path.join(share, `src/sub/small${i}.txt`), `file ${i} ${randomBytes(100 + i * 37).toString('hex')}\n`);
  SRC_FILES.push('./a.bin', './sub/b.bin', ...Array.from({ length: 20 }, (_, i) => `./sub/small${i}.txt`));
  writeFileSync(path.join(share, 'dd.bin'), randomBytes(4 * 2 ** 20)); // 16 x 256 KiB
  writeFileSync(path.join(share, 'kill.bin'), randomBytes(3 * 2 ** 20)); // 48 x 64 KiB
  lib = await startLibrary('2200-restart', {});
  await runPhase(t, 'write');
  await lib.restart(); // SIGTERM, then start again on the same data dir
  await runPhase(t, 'verify');
  await lib.killRestart(); // kill -9 right after the guest's sync point, then start again
  await runPhase(t, 'verify-kill');
});
test.after.always(async () => { await lib?.stop(); });

const sec = (p: string, name: string) => {
  const s = phase[p]?.get(name);
  if (!s) throw new Error(`no section ${name} in phase ${p}:\n${(raw[p] ?? '').slice(-3000)}`);
  return s;
};

test.serial('write phase: loads, transfer, tar and dd written', (t) => {
  for (const s of ['load-5-0', 'load-6-1', 'transfer-7-18', 'rewind', 'setblk0', 'tar-write', 'dd-write']) t.is(sec('write', s).rc, 0, `${s}: ${sec('write', s).text}`);
  t.regex(sec('write', 'status-t0').text, /File number=2, block number=0/);
});

test.serial('after SIGTERM + restart: library state is the same (mtx status)', (t) => {
  const before = parseMtxStatus(sec('write', 'mtx-status-end').text);
  const after = parseMtxStatus(sec('verify', 'mtx-status-start').text);
  t.is(mtxSummary(after), mtxSummary(before));
  t.like(after.drives.get(0), { full: true, from: 5, tag: lib.barcodes[4] });
  t.like(after.drives.get(1), { full: true, from: 6, tag: lib.barcodes[5] });
  t.is(after.slots.get(18)?.tag, lib.barcodes[6]);
  t.false(after.slots.get(7)?.full);
});

test.serial('after SIGTERM + restart: tar and dd read back byte-identical, EOD after 2 files', (t) => {
  t.is(sec('verify', 'status-t0').rc, 0, sec('verify', 'status-t0').text);
  t.is(sec('verify', 'tar-read').rc, 0, sec('verify', 'tar-read').text);
  t.regex(sec('verify', 'tar-read').text, /identical/);
  t.is(sec('verify', 'dd-read').rc, 0, sec('verify', 'dd-read').text);
  t.regex(sec('verify', 'dd-read').text, /identical/);
  t.regex(sec('verify', 'eod-t0').text, /File number=2,/);
  t.regex(sec('verify', 'eod-t0').text, /EOD/);
});

test.serial('after kill -9 following a weof sync point: data before the filemark reads back identical', (t) => {
  for (const s of ['rewind-t1', 'setblk0-t1', 'kill-write', 'kill-weof']) t.is(sec('verify', s).rc, 0, `${s}: ${sec('verify', s).text}`);
  t.regex(sec('verify', 'kill-tell').text, /At block 50\./, '48 blocks + the filemark st writes at close + mt weof');
  t.is(sec('verify-kill', 'kill-read').rc, 0, sec('verify-kill', 'kill-read').text);
  t.regex(sec('verify-kill', 'kill-read').text, /identical/);
  t.regex(sec('verify-kill', 'kill-status').text, /File number=1, block number=0/, 'dd stopped at the filemark');
  t.regex(sec('verify-kill', 'kill-status').text, /At block 49\./);
});

test.serial('after kill -9 + restart: the tar on drive 0 still lists every file and reads back byte-identical', (t) => {
  const list = sec('verify-kill', 'tar-list-again');
  t.is(list.rc, 0, list.text);
  const names = list.text.split('\n').map((l) => l.trim()).filter(Boolean);
  t.deepEqual([...names].sort(), [...SRC_FILES].sort(), 'tar -tf lists exactly the files of src/');
  const read = sec('verify-kill', 'tar-read-again');
  t.is(read.rc, 0, read.text);
  t.regex(read.text, /^identical$/m, 'sha256 of every extracted file matches the source');
});

test.serial('after kill -9 + restart: library state is the same', (t) => {
  const before = parseMtxStatus(sec('verify', 'mtx-status-end').text);
  const after = parseMtxStatus(sec('verify-kill', 'mtx-status-start').text);
  t.is(mtxSummary(after), mtxSummary(before));
  t.is(mtxSummary(after), mtxSummary(parseMtxStatus(sec('write', 'mtx-status-end').text)));
});
