// Shared set-up for cartridge tests: a memory store, a temporary staging
// directory, and an opener with small segments so tests cross segment
// boundaries with little data.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Cartridge, type CartridgeOptions } from '../../tapes/cartridge.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

export const BARCODE = 'TST001L6';

export interface Fixture {
  readonly store: MemoryObjectStore;
  readonly keys: TapeKeys;
  readonly stagingDir: string;
  open(extra?: Partial<CartridgeOptions>): Promise<Cartridge>;
  cleanup(): Promise<void>;
}

export async function makeFixture(defaults: Partial<CartridgeOptions> = {}): Promise<Fixture> {
  const store = new MemoryObjectStore();
  const keys = new TapeKeys('vtl');
  const stagingDir = await mkdtemp(path.join(tmpdir(), 'staging-'));
  return {
    store,
    keys,
    stagingDir,
    open: (extra = {}) =>
      Cartridge.open({
        barcode: BARCODE,
        store,
        keys,
        stagingDir,
        medium: { mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: false, pool: null },
        create: true,
        segmentBytes: 64 << 10,
        batchBytes: 64 << 10,
        ...defaults,
        ...extra,
      }),
    cleanup: () => rm(stagingDir, { recursive: true, force: true }),
  };
}

/** A block whose bytes encode its number, so reads can be checked. */
export function block(n: number, size = 1024): Buffer {
  const b = Buffer.alloc(size, n & 0xff);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Write blocks numbered from..to-1, one object each. */
export async function writeBlocks(c: Cartridge, from: number, to: number, size = 1024): Promise<void> {
  for (let n = from; n < to; n++) await c.write(block(n, size), size);
}

/** Read everything from the position to EOD as a compact string: b<n> per block, F per filemark. */
export async function readAll(c: Cartridge): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await c.read();
    if (r.kind === 'end-of-data') return out;
    out.push(r.kind === 'filemark' ? 'F' : `b${r.data.readUInt32BE(0)}`);
  }
}
