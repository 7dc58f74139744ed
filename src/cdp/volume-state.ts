// <dir>/state.json: what a volume needs beyond its image and local journal to
// go on after a restart or a recover: the seq counter, what is in the store,
// chunks changed since their last base copy, and an open journal gap.
// Written atomically (temp file, rename); one write at a time.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalGap } from './journal-format.ts';
import type { BaseIndex } from './types.ts';

export interface VolumeState {
  format: 1;
  volume: string;
  sizeBytes: number;
  blockSize: number;
  chunkBytes: number;
  lastSeq: number;
  lastUs: number;
  shippedSeq: number;
  shippedUs: number;
  bytesSinceBase: number;
  lastBaseUs: number;
  metaInStore: boolean;
  /** chunk -> seq of the newest write to it not yet in a published base copy. */
  dirty: [number, number][];
  /** Writes acknowledged while the local journal was full, not yet shipped as a gap. */
  gap: JournalGap | null;
  clean: boolean;
}

export const statePath = (dir: string): string => join(dir, 'state.json');
export const baseIndexPath = (dir: string): string => join(dir, 'base-index.json');
export const imagePath = (dir: string): string => join(dir, 'image.img');

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(value));
  await rename(`${path}.tmp`, path);
}

export const loadState = (dir: string): Promise<VolumeState | undefined> => readJson<VolumeState>(statePath(dir));
export const loadBaseIndex = (dir: string): Promise<BaseIndex | undefined> => readJson<BaseIndex>(baseIndexPath(dir));

/** Serialises state writes: the newest value wins, none is torn. */
export class StateWriter {
  readonly #dir: string;
  #chain: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  save(state: VolumeState): Promise<void> {
    const copy = JSON.parse(JSON.stringify(state)) as VolumeState;
    const next = this.#chain.then(() => writeJsonAtomic(statePath(this.#dir), copy));
    this.#chain = next.catch(() => {});
    return next;
  }

  saveBaseIndex(index: BaseIndex): Promise<void> {
    const next = this.#chain.then(() => writeJsonAtomic(baseIndexPath(this.#dir), index));
    this.#chain = next.catch(() => {});
    return next;
  }
}
