// Shared pieces of the CDP tests: settings, a quiet logger, an injected
// clock, a seeded workload against a reference model.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/log.ts';
import type { CdpSettings, CdpVolumeOptions } from '../../src/cdp/index.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
export { prng as rng } from '../helpers/prng.ts';

export const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => quiet,
};

export function settings(over: Partial<CdpSettings> = {}): CdpSettings {
  return {
    shipIntervalMs: 5,
    journalLimitBytes: 64 << 20,
    baseEveryBytes: 256 << 10,
    baseEveryMs: 3_600_000,
    chunkBytes: 64 << 10,
    retention: { anyPointMs: 86_400_000, tiers: [], bookmarksMs: 86_400_000 },
    ...over,
  };
}

/** A clock that moves forward by `step` ms at every reading, and can be pushed. */
export class Clock {
  t: number;
  step: number;
  constructor(start = 1_750_000_000_000, step = 0.5) {
    this.t = start;
    this.step = step;
  }
  readonly now = (): number => (this.t += this.step);
  /** An instant after every write so far and before the next one (ms, whole). */
  instant(): Date {
    const at = Math.ceil(this.t) + 1;
    this.t = at + 1;
    return new Date(at);
  }
}


/** A temporary directory, on tmpfs when there is one: the tests flush often and assert nothing about the disk. */
export async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = await mkdtemp(join(base, 's3vtl-cdp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function volumeOptions(dir: string, store: ObjectStore, clock: Clock, over: Partial<CdpVolumeOptions> = {}): CdpVolumeOptions {
  return { name: 'vol1', dir, store, prefix: 'pfx', sizeBytes: 4 << 20, blockSize: 512, settings: settings(), log: quiet, now: clock.now, ...over };
}

/** The seeded write: `blocks` blocks at `lba`, each block stamped with (write number, block). */
export function payload(n: number, blocks: number, bs: number): Buffer {
  const b = Buffer.allocUnsafe(blocks * bs);
  const pattern = Buffer.allocUnsafe(8);
  for (let i = 0; i < blocks; i++) {
    pattern.writeUInt32LE(n, 0);
    pattern.writeUInt32LE((i * 2654435761) >>> 0, 4);
    b.fill(pattern, i * bs, (i + 1) * bs);
  }
  return b;
}

export async function fileEquals(path: string, model: Buffer): Promise<boolean> {
  const got = await readFile(path);
  return got.equals(model);
}
