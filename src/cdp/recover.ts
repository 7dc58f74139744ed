// recoverVolume: rebuild a volume's local directory from the store alone.
// The image is the newest instant in the store; the state goes on from its
// seq (the next write takes the next one), with the newest base index and
// the chunks changed after their copy in it marked dirty for the next base.
import { mkdir, rm } from 'node:fs/promises';
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import { CdpKeys, parseBaseChunkKey, parseBaseIndexKey, parseJournalKey, parseMarkKey } from './keys.ts';
import { restoreWithDetail } from './restore.ts';
import { imagePath, StateWriter, type VolumeState } from './volume-state.ts';
import { join } from 'node:path';

export async function recoverVolume(store: ObjectStore, prefix: string, volume: string, dir: string): Promise<{ newest: Date | null; seq: bigint }> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, 'journal'), { recursive: true, force: true });
  const r = await restoreWithDetail(store, prefix, volume, { newest: true }, imagePath(dir));
  const { base } = r.plan;
  const last = r.plan.journals.at(-1);
  const seq = Number(r.seq);
  const lastUs = last === undefined ? base.timeUs : Math.max(last.lastUs, base.timeUs);
  // Seqs the lost gateway may have used beyond the newest journal (a base it
  // began names its objects after the seq it began at, which can be that of
  // the newest journal) are never reused: up to one past the highest seq any
  // key names becomes an empty gap the volume ships first.
  const used = Math.max(seq, await highestSeqInStore(store, prefix, volume)) + 1;
  const gap = { firstSeq: seq + 1, lastSeq: used, firstUs: lastUs, lastUs, chunks: [] };
  const state: VolumeState = {
    format: 1,
    volume,
    sizeBytes: base.sizeBytes,
    blockSize: base.blockSize,
    chunkBytes: base.chunkBytes,
    lastSeq: Math.max(seq, used),
    lastUs,
    shippedSeq: seq,
    shippedUs: lastUs,
    bytesSinceBase: r.plan.journals.reduce((n, j) => n + j.bytes, 0),
    lastBaseUs: base.timeUs,
    metaInStore: true,
    dirty: [...r.touched.entries()],
    gap,
    clean: true,
  };
  const w = new StateWriter(dir);
  await w.saveBaseIndex(base);
  await w.save(state);
  return { newest: last === undefined ? null : new Date(last.lastUs / 1000), seq: BigInt(seq) };
}


/** The highest seq any key of the volume names (journals, bases, even unfinished ones, bookmarks). */
async function highestSeqInStore(store: ObjectStore, prefix: string, volume: string): Promise<number> {
  const keys = new CdpKeys(prefix, volume);
  let max = 0;
  for await (const o of listAll(store, keys.root)) {
    const s = parseJournalKey(o.key)?.lastSeq ?? parseBaseChunkKey(o.key)?.seq ?? parseBaseIndexKey(o.key) ?? parseMarkKey(o.key)?.seq ?? 0;
    if (s > max) max = s;
  }
  return max;
}
