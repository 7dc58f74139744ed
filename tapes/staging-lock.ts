// One writer per cartridge staging directory: a lock file holding the owner's
// pid, created exclusively. A lock left by a dead process (a crash) is taken
// over; one held by a live other process refuses the open, because two
// gateways appending to the same staging files would corrupt them. (Within a
// process, CartridgePool keeps a barcode open once.)

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import { mkdirPrivate, writeFilePrivate } from './private-fs.ts';

const LOCK = 'lock';

/** Take the lock of `dir` (created if missing); resolves to the release function. */
export async function lockStaging(dir: string, barcode: string): Promise<() => Promise<void>> {
  await mkdirPrivate(dir);
  const file = path.join(dir, LOCK);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFilePrivate(file, mine, 'wx');
      return async () => {
        if ((await fs.readFile(file, 'utf8').catch(() => '')) === mine) await fs.rm(file, { force: true });
        await fs.rmdir(dir).catch(() => undefined); // only when nothing else is staged

      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new CartridgeError(CartridgeErrorCode.BUSY, barcode, `staging directory ${dir} is in use by process ${owner}`);
    }
    await fs.rm(file, { force: true });
  }
  throw new CartridgeError(CartridgeErrorCode.BUSY, barcode, `could not lock staging directory ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
