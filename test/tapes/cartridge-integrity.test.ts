// Every record is verified on read; damage is reported as MediumIntegrityError
// naming the logical object, never returned as data.

import test from 'ava';
import { readdir, open } from 'node:fs/promises';
import * as path from 'node:path';
import { MediumIntegrityError } from '../../tapes/errors.ts';
import { BARCODE, makeFixture, writeBlocks } from './cartridge-fixture.ts';

test('a corrupted record in a stored segment fails with MediumIntegrityError', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const seg = f.store.keys().find((k) => k.includes('/seg/'))!;
  // Flip one payload byte of the fourth record (object 3): header 32 + 3 records of 16 + 1024, + 16 + 100.
  f.store.corrupt(seg, (b) => {
    b[32 + 3 * 1040 + 16 + 100]! ^= 0x01;
  });
  const d = await f.open();
  await d.locate(3);
  const e = await t.throwsAsync(d.read(), { instanceOf: MediumIntegrityError });
  // The error names object 3 and says why.
  t.is(e?.objectId, 3);
  t.regex(e?.message ?? '', /CRC mismatch/);
  // The position did not move past the bad record.
  t.is(d.position().objectId, 3);
  // Neighbouring records still read.
  await d.locate(4);
  t.is((await d.read()).kind, 'block');
  await d.close();
  await f.cleanup();
});

test('a corrupted footer index fails with MediumIntegrityError', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const seg = f.store.keys().find((k) => k.includes('/seg/'))!;
  f.store.corrupt(seg, (b) => {
    b[b.length - 50]! ^= 0x10;
  });
  const d = await f.open();
  // Any read in that segment reports the damaged index.
  await t.throwsAsync(d.read(), { instanceOf: MediumIntegrityError, message: /CRC/ });
  await d.close();
  await f.cleanup();
});

test('a corrupted record still in staging fails with MediumIntegrityError', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 4);
  await c.flush();
  const dir = path.join(f.stagingDir, BARCODE);
  const name = (await readdir(dir)).find((n) => n.endsWith('.seg'))!;
  const fh = await open(path.join(dir, name), 'r+');
  await fh.write(Buffer.from([0xff]), 0, 1, 32 + 1040 + 16 + 7);
  await fh.close();
  await c.locate(1);
  const e = await t.throwsAsync(c.read(), { instanceOf: MediumIntegrityError });
  // Object 1 is reported.
  t.is(e?.objectId, 1);
  await c.abandon();
  await f.cleanup();
});
