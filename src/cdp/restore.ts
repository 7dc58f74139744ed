// restoreToFile: the image of a volume at an instant, from the store alone.
// Base chunks come first, in parallel ranged GETs written where they belong
// (chunks that are zeros are never written: the file stays sparse there);
// then the journal (replay.ts: fetched ahead in parallel, folded per batch
// into the newest contents of each block, written as coalesced extents).
// Every CRC is checked; a damaged or missing object stops the restore with
// VTL_CDP_CORRUPT.
import { open, type FileHandle } from 'node:fs/promises';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { loadVolume } from './history.ts';
import { planRestore, type RestorePlan } from './resolve.ts';
import { replayJournals } from './replay.ts';
import { mapLimit } from './store-io.ts';
import type { RestoreTarget } from './types.ts';

const PART_BYTES = 8 << 20;

export interface RestoreOptions {
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
  /** Clock for IN_FUTURE (ms); default Date.now. */
  now?: () => number;
  /** fdatasync the image before resolving (default true). */
  sync?: boolean;
}

export interface RestoreResult {
  instant: Date;
  seq: bigint;
  bytes: number;
}

export async function restoreToFile(store: ObjectStore, prefix: string, volume: string, target: RestoreTarget, path: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const r = await restoreWithDetail(store, prefix, volume, target, path, opts);
  return { instant: r.instant, seq: r.seq, bytes: r.bytes };
}

/** restoreToFile, also telling which chunks journal entries changed after their base copy (for recover). */
export async function restoreWithDetail(
  store: ObjectStore,
  prefix: string,
  volume: string,
  target: RestoreTarget,
  path: string,
  opts: RestoreOptions = {},
): Promise<RestoreResult & { plan: RestorePlan; touched: Map<number, number> }> {
  const lv = await loadVolume(store, prefix, volume);
  const plan = await planRestore(store, lv, target, (opts.now ?? Date.now)());
  const { base } = plan;
  const fh = await open(path, 'w');
  const touched = new Map<number, number>();
  try {
    await fh.truncate(base.sizeBytes);
    const parts: { key: string; offset: number; length: number; at: number }[] = [];
    for (const [c, [b]] of base.chunks.entries()) {
      if (b < 0) continue;
      const start = c * base.chunkBytes;
      const len = Math.min(base.chunkBytes, base.sizeBytes - start);
      for (let off = 0; off < len; off += PART_BYTES) parts.push({ key: lv.keys.baseChunk(b, c), offset: off, length: Math.min(PART_BYTES, len - off), at: start + off });
    }
    const total = parts.reduce((n, p) => n + p.length, 0) + plan.journals.reduce((n, j) => n + j.bytes, 0);
    let done = 0;
    const progress = (n: number): void => {
      done += n;
      opts.onProgress?.(done, total);
    };
    await mapLimit(parts, opts.concurrency ?? 8, async (p) => {
      const buf = await store.get(p.key, { offset: p.offset, length: p.length });
      if (buf.length !== p.length) throw new Error(`base object ${p.key} is short`);
      await writeAll(fh, buf, p.at);
      progress(p.length);
    });
    await replayJournals(store, plan, fh, touched, progress, opts.concurrency ?? 8);
    if (opts.sync !== false) await fh.datasync();
  } finally {
    await fh.close();
  }
  return { instant: plan.instant, seq: BigInt(plan.seq), bytes: base.sizeBytes, plan, touched };
}

export async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
