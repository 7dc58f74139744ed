// restoreToFile: the image of a volume at an instant, from the store alone.
// Base chunks come first, in parallel ranged GETs written where they belong
// (chunks that are zeros are never written: the file stays sparse there);
// then the journal entries in seq order, each applied to the chunks whose
// copy is older than it. Every CRC is checked; a damaged or missing object
// stops the restore with VTL_CDP_CORRUPT.
import { open, type FileHandle } from 'node:fs/promises';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { inGap } from './errors.ts';
import { FLAG_ZERO, type JournalEntry } from './journal-format.ts';
import { loadVolume } from './history.ts';
import { planRestore, readJournal, type RestorePlan } from './resolve.ts';
import { mapLimit } from './store-io.ts';
import type { RestoreTarget } from './types.ts';

const PART_BYTES = 8 << 20;
const ZEROS = Buffer.alloc(1 << 20);

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
    await applyJournals(store, plan, fh, touched, progress);
    if (opts.sync !== false) await fh.datasync();
  } finally {
    await fh.close();
  }
  return { instant: plan.instant, seq: BigInt(plan.seq), bytes: base.sizeBytes, plan, touched };
}

async function applyJournals(store: ObjectStore, plan: RestorePlan, fh: FileHandle, touched: Map<number, number>, progress: (n: number) => void): Promise<void> {
  const { base, seq: X, volume } = plan;
  const bs = base.blockSize;
  const bpc = base.chunkBytes / bs;
  // Prefetch a few objects ahead; apply strictly in order.
  const fetches = plan.journals.map((j) => ({ j, p: undefined as ReturnType<typeof readJournal> | undefined }));
  const AHEAD = 3;
  for (let i = 0; i < fetches.length; i++) {
    for (let k = i; k < Math.min(fetches.length, i + AHEAD); k++) {
      const f = fetches[k]!;
      f.p ??= readJournal(store, volume, f.j.key, f.j.firstUs);
      f.p.catch(() => {});
    }
    const f = fetches[i]!;
    const d = await f.p!;
    f.p = undefined;
    for (const g of d.header.gaps) {
      if (g.firstSeq > X) continue;
      for (const c of g.chunks) {
        if ((base.chunks[c]?.[1] ?? 0) < g.lastSeq) throw inGap(volume, plan.instant, new Date(g.firstUs / 1000), new Date(g.lastUs / 1000));
      }
    }
    for (const e of d.entries) {
      if (e.seq > X) break;
      await applyEntry(fh, e, d.data, bs, bpc, base.chunks, touched);
    }
    progress(f.j.bytes);
  }
}

/** Write the parts of an entry that fall in chunks whose copy predates it. */
async function applyEntry(fh: FileHandle, e: JournalEntry, data: Buffer, bs: number, bpc: number, refs: readonly [number, number][], touched: Map<number, number>): Promise<void> {
  const end = e.lba + e.blocks;
  for (let c = Math.floor(e.lba / bpc); c * bpc < end; c++) {
    if (e.seq <= (refs[c]?.[1] ?? 0)) continue;
    touched.set(c, e.seq);
    const s = Math.max(e.lba, c * bpc);
    const t = Math.min(end, (c + 1) * bpc);
    if ((e.flags & FLAG_ZERO) !== 0) {
      for (let at = s * bs; at < t * bs; at += ZEROS.length) await writeAll(fh, ZEROS.subarray(0, Math.min(ZEROS.length, t * bs - at)), at);
    } else {
      const from = e.dataOffset + (s - e.lba) * bs;
      await writeAll(fh, data.subarray(from, from + (t - s) * bs), s * bs);
    }
  }
}

export async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
