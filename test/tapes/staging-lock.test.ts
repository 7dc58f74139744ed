import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BARCODE, makeFixture } from './cartridge-fixture.ts';

test('a staging directory locked by another live process refuses the open', async (t) => {
  const f = await makeFixture();
  await mkdir(path.join(f.stagingDir, BARCODE), { recursive: true });
  await writeFile(path.join(f.stagingDir, BARCODE, 'lock'), `${process.ppid}\n`);
  // The parent process is alive, so the cartridge is busy.
  await t.throwsAsync(f.open(), { code: 'VTL_CARTRIDGE_BUSY' });
  await f.cleanup();
});

test('a lock left by a dead process is taken over', async (t) => {
  const f = await makeFixture();
  await mkdir(path.join(f.stagingDir, BARCODE), { recursive: true });
  await writeFile(path.join(f.stagingDir, BARCODE, 'lock'), '4194000\n');
  // No such process: the open succeeds.
  const c = await f.open();
  t.is(c.position().objectId, 0);
  await c.close();
  await f.cleanup();
});
