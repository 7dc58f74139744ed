// A full data directory (staging and catalog on one small file system) under
// a streaming writer. The data directory is a 48 MiB tmpfs (root only: the
// suite is skipped otherwise) with a filler file on it; the store is a
// directory elsewhere, and segments are 64 MiB, so the open segment's staging
// file fills the disk before it is sealed.
//  A. WRITEs until one fails: it ends with MEDIUM ERROR, WRITE ERROR
//     (03/0C/00) and the residue; WRITE FILEMARKS and UNLOAD are refused the
//     same way while the disk is full. Once the filler is deleted WRITE
//     FILEMARKS and UNLOAD succeed, and after a restart every acknowledged
//     record reads back byte-identical, nothing more.
//  B. SIGTERM while the disk is full: the stop waits for space (logged);
//     once the filler is deleted it finishes, and after a start every
//     acknowledged record reads back, those after the last sync point too.
//  C. A start on a full disk whose catalog was closed cleanly exits 2 with
//     one `s3vtl: ` line saying the catalog cannot be opened for lack of
//     space, no stack trace.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { IQN_PREFIX, libraryTarget } from './lib/config.ts';
import { CHECK_CONDITION, GOOD, pattern, sense, TapeLibraryClient } from './lib/tape-io.ts';
import type { CommandResult } from './lib/initiator.ts';
import { startTarget, type Target } from './lib/target.ts';
import { run, sleep, WORK } from './lib/util.ts';

const bases = changerProfiles.get('stk-l700')!.addressBases;
const IQN = `${IQN_PREFIX}:library`;
const BLOCK = 64 * 1024;
const MiB = 2 ** 20;
const root = process.getuid?.() === 0;

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const senseText = (r: CommandResult): string => {
  const s = sense(r);
  return s === undefined ? `status ${r.status}` : `status ${r.status} sense ${s.key.toString(16)}/${s.asc.toString(16).padStart(2, '0')}/${s.ascq.toString(16).padStart(2, '0')} info ${s.info}`;
};
const isWriteError = (r: CommandResult): boolean => {
  const s = sense(r);
  return r.status === CHECK_CONDITION && s?.key === 0x3 && s.asc === 0x0c && s.ascq === 0x00;
};

/** A fresh 48 MiB tmpfs at .work/it/NAME-mnt; unmounted by the returned function. */
async function smallDisk(name: string): Promise<{ dir: string; unmount: () => Promise<void> }> {
  const dir = path.join(WORK, `${name}-mnt`);
  await run('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = await run('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', dir]);
  if (r.code !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
  return { dir, unmount: async () => void (await run('umount', ['-l', dir])) };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Write `file` until the file system has no byte left. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [Buffer.alloc(MiB, 2), Buffer.alloc(4096, 2), Buffer.alloc(1, 2)]) {
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function library(name: string, data: string): Promise<Target> {
  const store = path.join(WORK, `${name}-store`);
  rmSync(store, { recursive: true, force: true });
  mkdirSync(store, { recursive: true });
  const spec = libraryTarget('library', { drives: 1, slots: 4, mailslots: 0, cartridges: [{ prefix: 'FD', count: 1, media: 'L6', capacity: '2GiB', pool: 'default' }] });
  return startTarget(name, [spec], { data, config: { store: `file://${store}`, tapes: { segmentSize: '64MiB' } }, startTimeoutMs: 120_000 });
}

/** Into the drive (unless a stop that did not finish left it there) and rewound. */
async function loadCartridge(c: TapeLibraryClient): Promise<void> {
  await c.testUnitReady(0);
  if (!(await c.elementStatus()).has(bases.dataTransfer)) await c.moveMedium(bases.storage, bases.dataTransfer);
  await c.testUnitReady(1);
  await c.rewind(1);
}

/** WRITE blocks until one fails; returns the digests of the acknowledged ones and the failure. */
async function fillDisk(c: TapeLibraryClient, seed: string, first = 0): Promise<{ acked: string[]; failure: CommandResult }> {
  const acked: string[] = [];
  for (let k = first; k < first + 2000; k++) {
    const data = pattern(`${seed}/${k}`, BLOCK);
    const r = await c.write(1, data);
    if (r.status !== GOOD) return { acked, failure: r };
    acked.push(digest(data));
  }
  throw new Error('2000 WRITEs of 64 KiB fitted on a 48 MiB file system');
}

/** Read from BOP: the digests of the blocks up to the first filemark, and what came after. */
async function readBack(c: TapeLibraryClient): Promise<{ blocks: string[]; then: string }> {
  await c.rewind(1);
  const blocks: string[] = [];
  for (;;) {
    const got = await c.read(1, BLOCK);
    if (got.kind !== 'block') return { blocks, then: got.kind === 'error' ? got.why : got.kind };
    blocks.push(digest(got.data));
  }
}

const moveBack = (c: TapeLibraryClient): Promise<CommandResult> => {
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xa5;
  cdb.writeUInt16BE(bases.dataTransfer, 4);
  cdb.writeUInt16BE(bases.storage, 6);
  return c.cmd(0, cdb);
};

const unload = (c: TapeLibraryClient): Promise<CommandResult> => c.cmd(1, Buffer.from([0x1b, 0, 0, 0, 0, 0]));

test.serial('A: a full disk refuses writes with 03/0C/00, keeps every acknowledged record, and lets WRITE FILEMARKS and UNLOAD finish once space is back', async (t) => {
  if (!root) return t.pass('not root: cannot mount a tmpfs');
  const disk = await smallDisk('3600-full-a');
  let target: Target | undefined;
  try {
    target = await library('3600-full-a', path.join(disk.dir, 'data'));
    const filler = path.join(disk.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(8 * MiB, 1));
    const c = await TapeLibraryClient.login(target.port, IQN);
    await loadCartridge(c);

    const { acked, failure } = await fillDisk(c, '3600A');
    t.log(`${acked.length} WRITEs of 64 KiB acknowledged (${(acked.length * BLOCK / MiB).toFixed(1)} MiB), then ${senseText(failure)}`);
    t.true(isWriteError(failure), `the WRITE that met the full disk: ${senseText(failure)}`);
    t.is(sense(failure)?.info, BLOCK, 'INFORMATION is the residue (the whole block)');
    const again = await c.write(1, pattern('3600A/refused', BLOCK));
    t.true(isWriteError(again), `a WRITE while the disk is still full: ${senseText(again)}`);

    const fmFull = await c.writeFilemarks(1, 1);
    t.true(isWriteError(fmFull), `WRITE FILEMARKS while the disk is full: ${senseText(fmFull)}`);
    const unloadFull = await unload(c);
    t.not(unloadFull.status, GOOD, 'UNLOAD while the disk is full is refused');
    t.log(`while full: WRITE FILEMARKS ${senseText(fmFull)}; UNLOAD ${senseText(unloadFull)}`);
    t.not(sense(unloadFull)?.key, 0x4, `not HARDWARE ERROR: ${senseText(unloadFull)}`);

    rmSync(filler);
    const fm = await c.writeFilemarks(1, 1);
    t.is(fm.status, GOOD, `WRITE FILEMARKS once space is back: ${senseText(fm)}`);
    const moved = await moveBack(c);
    t.is(moved.status, GOOD, `unload (MOVE MEDIUM drive -> slot) once space is back: ${senseText(moved)}`);

    await target.restart();
    const c2 = await TapeLibraryClient.login(target.port, IQN);
    await loadCartridge(c2);
    const { blocks, then } = await readBack(c2);
    t.log(`after restart: ${blocks.length} records read back of ${acked.length} acknowledged, then ${then}`);
    t.is(blocks.length, acked.length, 'as many records as were acknowledged');
    t.deepEqual(blocks, acked, 'byte-identical, in order');
    t.is(then, 'filemark');
    t.is((await c2.read(1, BLOCK)).kind, 'eod');
    const log = target.logs();
    t.regex(log, /FD0001L6/, 'the log names the cartridge');
    t.regex(log, /no space|ENOSPC|full/i, 'the log says the disk is full');
    await c2.logout();
    await c.logout();
  } finally {
    await target?.stop();
    await disk.unmount();
  }
});

test.serial('B: a stop while the disk is full waits for space and then loses nothing acknowledged', async (t) => {
  if (!root) return t.pass('not root: cannot mount a tmpfs');
  const disk = await smallDisk('3600-full-b');
  let target: Target | undefined;
  try {
    target = await library('3600-full-b', path.join(disk.dir, 'data'));
    const filler = path.join(disk.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(8 * MiB, 1));
    const c = await TapeLibraryClient.login(target.port, IQN);
    await loadCartridge(c);
    const synced: string[] = [];
    for (let k = 0; k < 100; k++) {
      const data = pattern(`3600B/${k}`, BLOCK);
      t.is((await c.write(1, data)).status, GOOD);
      synced.push(digest(data));
    }
    t.is((await c.writeFilemarks(1, 1)).status, GOOD, 'a sync point before the disk fills');
    const { acked, failure } = await fillDisk(c, '3600B', 100);
    t.true(isWriteError(failure), senseText(failure));
    await c.logout();

    // SIGTERM while full: the stop waits (it would drop what is held in memory), then finishes once space is back.
    const pid = target.pid()!;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && !target.logs().includes('stopping: waiting for space'); i++) await sleep(100);
    // Checked after the read-back, so that what a stop that does not wait loses shows first.
    const waited = alive(pid);
    const stopLog = target.logs();
    rmSync(filler);
    for (let i = 0; i < 600 && alive(pid); i++) await sleep(100);
    t.false(alive(pid), 'stopped once space was back');

    await target.start();
    const c2 = await TapeLibraryClient.login(target.port, IQN);
    await loadCartridge(c2);
    const first = await readBack(c2);
    t.is(first.then, 'filemark');
    t.deepEqual(first.blocks, synced, 'before the sync point, byte-identical');
    const after: string[] = [];
    let then = '';
    for (;;) {
      const got = await c2.read(1, BLOCK);
      if (got.kind !== 'block') {
        then = got.kind === 'error' ? got.why : got.kind;
        break;
      }
      after.push(digest(got.data));
    }
    t.log(`stopped while full, restarted with space back: ${synced.length} + ${after.length} records read back of ${synced.length} + ${acked.length} acknowledged, then ${then}`);
    t.deepEqual(after, acked, 'every record acknowledged after the sync point, byte-identical');
    t.is(then, 'eod');
    t.true(waited, 'the stop was still waiting while the disk was full');
    t.regex(stopLog, /stopping: waiting for space.*FD0001L6|FD0001L6.*stopping: waiting for space/, 'the stop says it waits for space, naming the cartridge');
    t.notRegex(target.logs(), /unclean stop/);
    await c2.logout();
  } finally {
    await target?.stop();
    await disk.unmount();
  }
});

test.serial('C: a start on a full disk whose catalog was closed cleanly exits 2 with one line saying the disk is full', async (t) => {
  if (!root) return t.pass('not root: cannot mount a tmpfs');
  const disk = await smallDisk('3600-full-c');
  let target: Target | undefined;
  try {
    target = await library('3600-full-c', path.join(disk.dir, 'data'));
    // Stopped cleanly (the catalog closed, its WAL gone): SIGTERM once serve handles it.
    for (let i = 0; i < 300 && !target.logs().includes('s3vtl: listening'); i++) await sleep(100);
    await target.stop();
    t.false(existsSync(path.join(disk.dir, 'data', 'catalog.sqlite-wal')), 'the catalog was closed cleanly');
    fillUp(path.join(disk.dir, 'rest'));
    const e = await t.throwsAsync(target.start());
    const tail = e.message.slice(e.message.indexOf('log tail:'));
    const line = tail.split('\n').filter((l) => l.startsWith('s3vtl:')).pop() ?? '';
    t.log(`start on a full disk: exit ${/target exited \((\w+)\)/.exec(e.message)?.[1]}: ${line}`);
    t.regex(e.message, /target exited \(2\)/, 'exit code 2');
    // The data directory's lock file is the first thing written: it meets the full disk before
    // the catalog does (the catalog's own message, 'cannot be opened or migrated: ... is full',
    // is for a disk with a few bytes left).
    t.regex(line, /^s3vtl: (data directory .*: cannot write in it: no space left on the device|catalog .* cannot be opened or migrated: .*is full)/, 'says the disk is full');
    t.notRegex(tail, /^\s+at /m, 'no stack trace');
  } finally {
    await target?.stop();
    await disk.unmount();
  }
});
