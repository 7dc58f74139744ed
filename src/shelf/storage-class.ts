// The shelf as storage classes of the same bucket: a cartridge's segments are
// rewritten onto the pool's archive class (CopyObject onto itself) when it is
// exported, and restored then rewritten onto the pool's storage class when it
// is retrieved. Each pass lists the segments with their class (one
// ListObjectsV2 page per 1000 objects), so a pass is idempotent: objects
// already where they belong are skipped, and an interrupted pass resumes
// where it stopped. A pass stops starting copies at its deadline (the control
// socket answers within a bounded time; the CLI calls again), after at least
// one copy so that every pass moves something.

import type { Tier } from '@aws-sdk/client-s3';
import { archiveStatus, listWithClass, NEEDS_RESTORE, restore, setStorageClass, type ClassedObject } from '../../tapes/stores/s3-archive.ts';
import type { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import type { ShelfStatus } from '../control/protocol.ts';

export interface ArchiveProgress {
  readonly objects: number;
  readonly bytes: number;
  /** Objects (bytes) in the archive class. */
  readonly done: number;
  readonly doneBytes: number;
  readonly complete: boolean;
}

/** What one retrieve pass reports: the retrieve counters of a shelf status (documented there). */
export type RetrieveProgress = Pick<ShelfStatus, 'objects' | 'bytes' | 'restored' | 'restoredBytes' | 'copied' | 'copiedBytes' | 'restoring' | 'requested' | 'complete'>;

export interface RetrieveOptions {
  /** The class objects go back to (the pool's storageClass, else STANDARD). */
  readonly storageClass: string;
  readonly tier: Tier;
  readonly days: number;
}

async function listAll(store: S3ObjectStore, prefix: string): Promise<ClassedObject[]> {
  const out: ClassedObject[] = [];
  for await (const o of listWithClass(store, prefix)) out.push(o);
  return out;
}

const sum = (list: readonly ClassedObject[]): number => list.reduce((s, o) => s + o.size, 0);

/** Move every object under `prefix` to `archiveClass`, skipping those already there, until `deadline` (ms since epoch). */
export async function archivePass(store: S3ObjectStore, prefix: string, archiveClass: string, deadline: number): Promise<ArchiveProgress> {
  const all = await listAll(store, prefix);
  let done = 0;
  let doneBytes = 0;
  let copies = 0;
  for (const o of all) {
    if (o.storageClass !== archiveClass) {
      if (copies > 0 && Date.now() >= deadline) continue;
      await setStorageClass(store, o.key, archiveClass);
      copies++;
    }
    done++;
    doneBytes += o.size;
  }
  return { objects: all.length, bytes: sum(all), done, doneBytes, complete: done === all.length };
}

/** Whether an object can be read now; asks for a restore when it cannot and none is under way. */
async function readable(store: S3ObjectStore, o: ClassedObject, opts: RetrieveOptions): Promise<'readable' | 'restoring' | 'requested'> {
  if (!NEEDS_RESTORE.has(o.storageClass)) return 'readable';
  const st = await archiveStatus(store, o.key);
  if (st === undefined) return 'readable'; // deleted meanwhile: nothing to bring back
  if (!NEEDS_RESTORE.has(st.storageClass)) return 'readable';
  if (st.restore !== undefined) return st.restore.ongoing ? 'restoring' : 'readable';
  switch (await restore(store, o.key, opts.days, opts.tier)) {
    case 'started': return 'requested';
    case 'in-progress': return 'restoring';
    case 'not-archived':
    case 'unsupported': return 'readable';
  }
}

/**
 * One retrieve pass: restore what is archived, copy back what is readable,
 * until `deadline`. Complete once every object is in `opts.storageClass`.
 */
export async function retrievePass(store: S3ObjectStore, prefix: string, opts: RetrieveOptions, deadline: number): Promise<RetrieveProgress> {
  const all = await listAll(store, prefix);
  let restored = 0, restoredBytes = 0, copied = 0, copiedBytes = 0, restoring = 0, requested = 0, copies = 0;
  for (const o of all) {
    if (o.storageClass === opts.storageClass) {
      restored++; restoredBytes += o.size; copied++; copiedBytes += o.size;
      continue;
    }
    const r = await readable(store, o, opts);
    if (r !== 'readable') {
      restoring++;
      if (r === 'requested') requested++;
      continue;
    }
    restored++;
    restoredBytes += o.size;
    if (copies > 0 && Date.now() >= deadline) continue;
    await setStorageClass(store, o.key, opts.storageClass);
    copies++;
    copied++;
    copiedBytes += o.size;
  }
  return { objects: all.length, bytes: sum(all), restored, restoredBytes, copied, copiedBytes, restoring, requested, complete: copied === all.length };
}
