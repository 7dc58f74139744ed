// StagingJournal on a full disk: an entry that cannot be written whole leaves
// no torn line behind to swallow the next one.

import test from 'ava';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type JournalEntry, StagingJournal } from '../../tapes/staging-journal.ts';

const entry = (nextSeq: number): JournalEntry => ({ base: 1, keep: 0, pending: [{ seq: 1, first: 0, count: nextSeq, bytes: 100 * nextSeq, sealed: false }], attributes: {}, nextSeq });

/** FileHandle.prototype.write writes half of what it is given and then fails with ENOSPC while `full()`. */
async function patchShortWrite(t: { teardown(fn: () => void): void }, dir: string, full: () => boolean): Promise<void> {
  const probe = await open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
  await probe.close();
  const write = proto.write;
  proto.write = async function (this: unknown, ...args: unknown[]) {
    if (!full()) return write.apply(this, args);
    const data = args[0];
    const half = typeof data === 'string' ? data.slice(0, data.length >> 1) : (data as Buffer).subarray(0, (data as Buffer).length >> 1);
    await write.call(this, half);
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  t.teardown(() => {
    proto.write = write;
  });
}

test.serial('an entry the full disk refused leaves no torn line: the next entry is the one recovery finds', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jnl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let full = false;
  await patchShortWrite(t, dir, () => full);
  const j = await StagingJournal.open(dir);
  await j.append(entry(1), true);
  full = true;
  await t.throwsAsync(j.append(entry(2)), { code: 'ENOSPC' });
  t.is(j.last?.nextSeq, 1, 'the refused entry is not the last one');
  full = false;
  await j.append(entry(3));
  await j.close();
  const text = await readFile(path.join(dir, 'journal.log'), 'utf8');
  t.is(text.split('\n').filter((l) => l !== '').length, 2, 'two whole lines');
  const again = await StagingJournal.open(dir);
  t.deepEqual(again.last, entry(3), 'recovery finds the newest entry');
  await again.close();
});

