// A cartridge whose staging disk fills up: writes and filemarks are refused
// with VTL_CARTRIDGE_NO_SPACE before anything is appended, every record
// acknowledged before is kept (in memory where the disk refused it), seals
// the disk refused are retried, and sync points and close finish once space
// is back. FileHandle writes fail with ENOSPC while `full` is set, as the
// staging tests inject EIO into datasync.

import test from 'ava';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { block, makeFixture, readAll } from './cartridge-fixture.ts';

async function patchFull(t: { teardown(fn: () => void): void }, dir: string, full: () => boolean): Promise<void> {
  const probe = await open(path.join(dir, 'probe'), 'w');
  type Fn = (...args: unknown[]) => Promise<unknown>;
  const proto = Object.getPrototypeOf(probe) as Record<'write' | 'writev' | 'datasync', Fn>;
  await probe.close();
  const saved = { write: proto.write, writev: proto.writev, datasync: proto.datasync };
  for (const name of ['write', 'writev'] as const) {
    const original = saved[name];
    proto[name] = function (this: unknown, ...args: unknown[]) {
      if (full()) return Promise.reject(Object.assign(new Error(`ENOSPC: no space left on device, ${name}`), { code: 'ENOSPC' }));
      return original.apply(this, args);
    };
  }
  t.teardown(() => Object.assign(proto, saved));
}

const isNoSpace = { code: 'VTL_CARTRIDGE_NO_SPACE' };

test.serial('a full staging disk refuses new records, keeps every acknowledged one, and lets filemarks and close finish once space is back', async (t) => {
  const f = await makeFixture();
  t.teardown(() => f.cleanup());
  let full = false;
  await patchFull(t, f.stagingDir, () => full);
  const c = await f.open();
  const size = 1000;
  let n = 0;
  // Some segments (64 KiB) sealed and uploaded, the open one partly in its batch.
  for (; n < 150; n++) await c.write(block(n, size), size);
  full = true;
  for (;;) {
    try {
      await c.write(block(n, size), size);
      n++;
    } catch (e) {
      t.is((e as { code?: string }).code, 'VTL_CARTRIDGE_NO_SPACE', (e as Error).message);
      break;
    }
  }
  const acked = n;
  t.is(c.position().eodObjectId, acked, 'the refused write appended nothing');
  await t.throwsAsync(c.write(block(n, size), size), isNoSpace, 'still refused');
  await t.throwsAsync(c.writeFilemarks(1), isNoSpace, 'filemarks refused');
  t.is(c.position().eodObjectId, acked, 'the refused filemark appended nothing');
  await t.throwsAsync(c.flush(), isNoSpace, 'a sync point cannot complete');
  await t.throwsAsync(c.close(), isNoSpace, 'close cannot complete');
  // Records held in memory still read back while the disk is full.
  await c.locate(acked - 1);
  t.deepEqual((await c.read()).kind === 'block', true);

  full = false;
  await c.writeFilemarks(1);
  await c.close();

  const again = await f.open();
  const all = await readAll(again);
  t.is(all.length, acked + 1);
  t.deepEqual(all, [...Array.from({ length: acked }, (_, i) => `b${i}`), 'F']);
  await again.close();
});

test.serial('a seal the full disk refused does not fail the cartridge: it is sealed once space is back', async (t) => {
  const f = await makeFixture();
  t.teardown(() => f.cleanup());
  let full = false;
  await patchFull(t, f.stagingDir, () => full);
  const c = await f.open();
  const size = 1000;
  let n = 0;
  // Fill the open 64 KiB segment to its size; the next write seals it behind the writes.
  while (c.position().eodObjectId < 64) await c.write(block(n++, size), size);
  await c.flush();
  full = true;
  await t.throwsAsync(async () => {
    for (;;) await c.write(block(n++, size), size).catch((e: unknown) => {
      n--;
      throw e;
    });
  }, isNoSpace);
  full = false;
  await c.write(block(n, size), size);
  n++;
  await c.close();
  const again = await f.open();
  t.deepEqual(await readAll(again), Array.from({ length: n }, (_, i) => `b${i}`));
  await again.close();
});
