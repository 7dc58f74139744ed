// applyVolumeThinning: carry out a volume's thinning plan against the store.
// First every base a kept point still lacks is built (base-build.ts) and
// checked complete; then the plan's deletions happen, except keys a reader
// holds. A base is deleted index first, so a half-deleted base is never read
// as one; its chunk objects follow. Every built base and every deleted
// object is written to the audit log before it happens. Idempotent: the
// store is read again on every run, building writes the same bytes under
// the same keys, deleting a missing key is no error; a run cut short
// anywhere and run again ends with the same objects.
import { listAll, type ObjectStore } from '../../tapes/object-store.ts';
import type { AuditEntry } from '../catalog/audit.ts';
import type { Logger } from '../log.ts';
import type { VolumeAction } from '../retention/types.ts';
import { buildPointBase } from './base-build.ts';
import { loadVolume, type LoadedVolume } from './history.ts';
import { parseBaseIndexKey } from './keys.ts';

const DELETE_BATCH = 1000;

export interface ApplyVolumeThinningDeps {
  store: ObjectStore;
  /** The store prefix of CDP volumes (as for restores). */
  prefix: string;
  action: VolumeAction;
  audit: (e: AuditEntry) => void;
  log: Logger;
}

export async function applyVolumeThinning(deps: ApplyVolumeThinningDeps): Promise<{ deleted: string[]; built: number[] }> {
  const { store, prefix, action, audit, log } = deps;
  const volume = action.volume;
  const lv = await loadVolume(store, prefix, volume);
  const built: number[] = [];
  for (const need of action.plan.basesNeeded) {
    if (need.exists) continue;
    const r = await buildPointBase(store, lv, need.seq, need.buildFrom, (ix) => {
      audit({
        actor: 'retention',
        action: 'build-base',
        subject: lv.keys.baseDir(ix.seq),
        detail: { volume, seq: ix.seq, from: need.buildFrom, reason: need.reason, chunks: ix.chunks.filter(([b]) => b === ix.seq).length },
      });
    });
    if (r.kind === 'built') built.push(need.seq);
    else if (r.kind === 'skipped') log.warn('cdp: thinning: a kept point stays on its journal for now', { volume, seq: need.seq, why: r.reason });
  }
  // The store as it is now: a base published since the plan was made may name chunks of a base the plan deletes.
  const now = built.length === 0 ? lv : await loadVolume(store, prefix, volume);
  const named = namedBases(now);
  const held = new Set(action.held.map((h) => h.key));
  const deleted: string[] = [];
  const plain: { key: string; reason: string; kind: string }[] = [];
  for (const d of action.plan.delete) {
    if (held.has(d.key)) continue;
    if (d.kind !== 'base') {
      plain.push(d);
      continue;
    }
    const seq = parseBaseIndexKey(`${d.key}index.json`);
    if (seq !== undefined && named.has(seq)) {
      log.warn('cdp: thinning: a base the plan deletes is named by a newer base; kept', { volume, base: d.key });
      continue;
    }
    deleted.push(...(await deleteBase(store, d.key, volume, d.reason, audit)));
  }
  for (let i = 0; i < plain.length; i += DELETE_BATCH) {
    const batch = plain.slice(i, i + DELETE_BATCH);
    for (const d of batch) audit({ actor: 'retention', action: 'delete-object', subject: d.key, detail: { volume, kind: d.kind, reason: d.reason } });
    await store.delete(batch.map((d) => d.key));
    deleted.push(...batch.map((d) => d.key));
  }
  // Chunk objects without an index below the volume's newest own base (so
  // not a base it is writing): a deletion cut short, or a build that gave way above.
  const newest = Math.max(-1, ...[...now.indexes.values()].filter((ix) => ix.builtFrom === undefined).map((ix) => ix.seq));
  for (const seq of now.chunkDirs) {
    if (now.indexes.has(seq) || seq >= newest || named.has(seq)) continue;
    deleted.push(...(await deleteBase(store, now.keys.baseDir(seq), volume, 'chunk objects of a base whose index is gone (a thinning cut short)', audit)));
  }
  return { deleted, built };
}

/** Base seqs whose chunk objects a kept index names (other than its own). */
function namedBases(lv: LoadedVolume): Set<number> {
  const out = new Set<number>();
  for (const ix of lv.indexes.values()) for (const [b] of ix.chunks) if (b >= 0 && b !== ix.seq) out.add(b);
  return out;
}

/** Index first (then it is no base any more), then its chunk objects. */
async function deleteBase(store: ObjectStore, dir: string, volume: string, reason: string, audit: (e: AuditEntry) => void): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listAll(store, dir)) keys.push(o.key);
  const index = keys.filter((k) => k.endsWith('/index.json'));
  const chunks = keys.filter((k) => !k.endsWith('/index.json'));
  for (const batch of [index, ...slices(chunks, DELETE_BATCH)]) {
    if (batch.length === 0) continue;
    for (const key of batch) audit({ actor: 'retention', action: 'delete-object', subject: key, detail: { volume, kind: 'base', reason } });
    await store.delete(batch);
  }
  return keys;
}

function slices<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
