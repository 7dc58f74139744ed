// The journal half of a restore: journal objects fetched by parallel GETs
// ahead of the replay; their entries folded, in seq order, into a map of
// the newest contents of every block (a later write replaces what it
// overlaps), and the map written out as sorted, coalesced extents by
// parallel large pwrites, every REPLAY_BATCH bytes of journal and at the end.
// Only the parts of an entry in chunks whose base copy predates it count.
import type { FileHandle } from 'node:fs/promises';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { inGap } from './errors.ts';
import { ExtentMap } from './extent-map.ts';
import { FLAG_ZERO } from './journal-format.ts';
import { readJournal, type RestorePlan } from './resolve.ts';
import { mapLimit } from './store-io.ts';

const REPLAY_BATCH = 64 << 20;
const WRITE_MAX = 4 << 20;
const ZEROS = Buffer.alloc(1 << 20);

interface Src {
  lba: number;
  data: Buffer | null;
}

export async function replayJournals(
  store: ObjectStore,
  plan: RestorePlan,
  fh: FileHandle,
  touched: Map<number, number>,
  progress: (n: number) => void,
  concurrency: number,
): Promise<void> {
  const { base, seq: X, volume } = plan;
  const bs = base.blockSize;
  const bpc = base.chunkBytes / bs;
  const fetches = plan.journals.map((j) => ({ j, p: undefined as ReturnType<typeof readJournal> | undefined }));
  let map = new ExtentMap<Src>();
  let held = 0;
  let pending: number[] = [];
  const flush = async (): Promise<void> => {
    await writeExtents(fh, map, bs);
    for (const n of pending) progress(n);
    map = new ExtentMap<Src>();
    held = 0;
    pending = [];
  };
  for (let i = 0; i < fetches.length; i++) {
    for (let k = i; k < Math.min(fetches.length, i + concurrency); k++) {
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
      const end = e.lba + e.blocks;
      const src: Src = { lba: e.lba, data: (e.flags & FLAG_ZERO) !== 0 ? null : d.data.subarray(e.dataOffset, e.dataOffset + e.blocks * bs) };
      for (let c = Math.floor(e.lba / bpc); c * bpc < end; c++) {
        if (e.seq <= (base.chunks[c]?.[1] ?? 0)) continue;
        touched.set(c, e.seq);
        map.insert(Math.max(e.lba, c * bpc), Math.min(end, (c + 1) * bpc), src);
      }
    }
    held += d.data.length;
    pending.push(f.j.bytes);
    if (held >= REPLAY_BATCH) await flush();
  }
  await flush();
}

/** The map's extents in block order, adjacent ones joined up to WRITE_MAX, written 8 at a time. */
async function writeExtents(fh: FileHandle, map: ExtentMap<Src>, bs: number): Promise<void> {
  const runs: { pos: number; parts: Buffer[]; bytes: number }[] = [];
  let last: (typeof runs)[number] | undefined;
  for (const x of map.cover(0, Number.MAX_SAFE_INTEGER)) {
    if (x.src === undefined) continue;
    const n = (x.end - x.start) * bs;
    if (x.src.data === null) {
      // Zeros: pieces of one shared buffer, never joined.
      for (let at = 0; at < n; at += ZEROS.length) runs.push({ pos: x.start * bs + at, parts: [ZEROS.subarray(0, Math.min(ZEROS.length, n - at))], bytes: Math.min(ZEROS.length, n - at) });
      last = undefined;
      continue;
    }
    const part = x.src.data.subarray((x.start - x.src.lba) * bs, (x.end - x.src.lba) * bs);
    if (last !== undefined && last.pos + last.bytes === x.start * bs && last.bytes + n <= WRITE_MAX) {
      last.parts.push(part);
      last.bytes += n;
    } else {
      last = { pos: x.start * bs, parts: [part], bytes: n };
      runs.push(last);
    }
  }
  await mapLimit(runs, 8, async (r) => {
    const buf = r.parts.length === 1 ? r.parts[0]! : Buffer.concat(r.parts, r.bytes);
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, r.pos + done);
      done += bytesWritten;
    }
  });
}
