// The three things retention does to a cartridge, each as a task that begins
// with one catalog transaction (the task row, the action's audit entry and
// one `delete-object` entry per object it will delete) and then runs steps
// that can each be repeated: a crash anywhere leaves a task row, and the
// next pass runs the task again from its first step to the same end.
//
//   recycle: staging erased, a blank manifest above every version (from then
//            on the tape reads as blank: first READ is BLANK CHECK / EOD, and
//            `recover` sees an empty tape), catalog row reset to scratch,
//            old segments and manifests deleted;
//   delete:  the same blank manifest first (a crash then leaves an empty
//            tape, never a half-deleted one, for `recover`), out of its
//            library, catalog row removed, every object under its prefix
//            deleted, the blank manifest last;
//   archive: out of its library onto the shelf, its objects moved to the
//            pool's archive class (src/shelf, the path `library export` takes).

import { lockFor, type LockPolicy, type ObjectStore } from '../../tapes/object-store.ts';
import { blankManifest, cartridgeObjects, eraseStaging, writeBlankManifest } from '../../tapes/erase.ts';
import type { ManifestAuth } from '../../tapes/manifest-auth.ts';
import type { TapeKeys } from '../../tapes/keys.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { CartridgeRow } from '../catalog/cartridges.ts';
import type { RetentionTask, RetentionTaskAction } from '../catalog/retention-tasks.ts';
import type { Shelf } from '../shelf/shelf.ts';

export const ACTOR = 'retention';

/** The libraries as retention needs them: where a cartridge is, taking it out, publishing the state objects. */
export interface RetentionLibraries {
  /** The library holding the cartridge (any element), or null. */
  libraryOf(barcode: string): string | null;
  /** Take it out of its library's storage or import/export slot (initiators see the change); nothing when in none. */
  remove(barcode: string): Promise<void>;
  /** Write the libraries' state objects that changed (recover reads them); never throws. */
  publish(): Promise<void>;
}

export interface TaskDeps {
  readonly catalog: Catalog;
  readonly store: ObjectStore;
  readonly keys: TapeKeys;
  readonly stagingDir: string;
  readonly libraries: RetentionLibraries;
  readonly shelf?: Shelf | undefined;
  /** The Object Lock a cartridge's objects get (its pool's objectLock, WORM media). */
  readonly lockPolicy?: ((c: { readonly pool: string | null; readonly worm: boolean }) => LockPolicy | undefined) | undefined;
  readonly manifestAuth?: ManifestAuth | undefined;
  /** The wall clock (audit times, lock checks). */
  readonly clock: () => Date;
}

export interface Intent {
  readonly kind: RetentionTaskAction;
  readonly barcode: string;
  readonly pool: string;
  readonly bytes: number;
  readonly reason: string;
}

/** Objects deleted per store request. */
const DELETE_BATCH = 500;

const AUDIT_ACTION: Record<RetentionTaskAction, string> = { recycle: 'recycle', archive: 'archive', delete: 'delete-cartridge' };

/**
 * Begin a task: what it will delete is listed now and written to the audit
 * log with the task, before anything is touched. Returns a reason instead
 * when the objects are still under Object Lock (the store's own listing
 * says when they were written; the pool says for how long).
 */
export async function beginTask(d: TaskDeps, intent: Intent, c: CartridgeRow): Promise<RetentionTask | { held: string }> {
  const now = d.clock();
  let keys: string[] = [];
  let blankVersion: number | undefined;
  let nextSeq: number | undefined;
  if (intent.kind !== 'archive') {
    const listed = await cartridgeObjects(d.store, d.keys, intent.barcode, intent.kind === 'delete' ? 'all' : 'contents');
    const policy = d.lockPolicy?.(c);
    if (policy !== undefined) {
      const newest = Math.max(0, ...listed.objects.map((o) => o.lastModified?.getTime() ?? now.getTime()));
      const until = new Date(newest + policy.days * 86_400_000);
      if (listed.objects.length > 0 && until > now) return { held: `held: object lock (${policy.mode}) until ${until.toISOString()}` };
    }
    blankVersion = Math.max(listed.newestManifest, c.manifestVersion) + 1;
    nextSeq = listed.nextSeq;
    keys = listed.objects.map((o) => o.key);
    // A deleted cartridge's blank manifest goes too, last.
    if (intent.kind === 'delete') keys.push(d.keys.manifest(intent.barcode, blankVersion));
  }
  const task: RetentionTask = {
    barcode: intent.barcode, action: intent.kind, startedAt: now.toISOString(),
    detail: {
      reason: intent.reason, pool: intent.pool, bytes: intent.bytes, keys,
      ...(blankVersion !== undefined && { blankVersion, nextSeq }),
      library: d.libraries.libraryOf(intent.barcode),
    },
  };
  const at = now.toISOString();
  d.catalog.transaction(() => {
    d.catalog.retentionTasks.begin(task);
    d.catalog.audit.record({
      at, actor: ACTOR, action: AUDIT_ACTION[intent.kind], subject: intent.barcode,
      detail: { reason: intent.reason, pool: intent.pool, bytes: intent.bytes, objects: keys.length, ...(task.detail.library != null && { library: task.detail.library }) },
    });
    for (const key of keys) d.catalog.audit.record({ at, actor: ACTOR, action: 'delete-object', subject: key, detail: { barcode: intent.barcode, for: intent.kind } });
  });
  return task;
}

/** Run a begun task to its end (again, after a crash); returns the objects it deleted. */
export async function runTask(d: TaskDeps, t: RetentionTask): Promise<number> {
  switch (t.action) {
    case 'recycle': await recycle(d, t); break;
    case 'delete': await remove(d, t); break;
    case 'archive': await archive(d, t); break;
  }
  await deleteObjects(d.store, t.detail.keys);
  d.catalog.transaction(() => {
    d.catalog.objectsDeleted(t.detail.keys, d.clock().toISOString());
    d.catalog.retentionTasks.finish(t.barcode);
    d.catalog.audit.record({ actor: ACTOR, action: `${AUDIT_ACTION[t.action]}-done`, subject: t.barcode, detail: { objects: t.detail.keys.length } });
  });
  return t.detail.keys.length;
}

async function writeBlank(d: TaskDeps, t: RetentionTask, c: CartridgeRow): Promise<{ manifest: ReturnType<typeof blankManifest>; key: string }> {
  const policy = d.lockPolicy?.(c);
  return writeBlankManifest({
    store: d.store, keys: d.keys, barcode: t.barcode, medium: c, version: t.detail.blankVersion!, nextSeq: t.detail.nextSeq ?? 1,
    ...(policy !== undefined && { lock: lockFor(policy, d.clock()) }),
    ...(d.manifestAuth !== undefined && { auth: d.manifestAuth }),
  });
}

async function recycle(d: TaskDeps, t: RetentionTask): Promise<void> {
  const c = d.catalog.cartridges.require(t.barcode);
  await eraseStaging(d.stagingDir, t.barcode);
  const blank = await writeBlank(d, t, c);
  d.catalog.transaction(() => {
    d.catalog.forgetContents(t.barcode);
    d.catalog.manifestCommitted(blank.manifest, blank.key);
    d.catalog.cartridges.resetBlank(t.barcode, blank.manifest.version);
    d.catalog.shelf.remove(t.barcode);
  });
  await d.libraries.publish();
}

async function remove(d: TaskDeps, t: RetentionTask): Promise<void> {
  await eraseStaging(d.stagingDir, t.barcode);
  const c = d.catalog.cartridges.get(t.barcode);
  if (c !== undefined) {
    await writeBlank(d, t, c);
    await d.libraries.remove(t.barcode);
    d.catalog.transaction(() => {
      d.catalog.forgetContents(t.barcode);
      d.catalog.cartridges.remove(t.barcode);
    });
  }
  await d.libraries.publish();
}

async function archive(d: TaskDeps, t: RetentionTask): Promise<void> {
  const shelf = d.shelf;
  if (shelf === undefined) throw new Error('no archive shelf in this gateway (the store is not open)');
  if (d.libraries.libraryOf(t.barcode) !== null) await d.libraries.remove(t.barcode);
  if (shelf.row(t.barcode) === undefined) await shelf.shelve(t.barcode, t.detail.library ?? null);
  // Each step is bounded; an archive class that takes longer resumes at the next pass.
  for (let step = 0; step < 100; step++) {
    if ((await shelf.archiveStep(t.barcode)).complete) return;
  }
  throw new Error(`${t.barcode}: archive not complete after 100 steps; the next pass goes on with it`);
}

/** Delete in batches; a key already gone is not an error (a task run again). */
async function deleteObjects(store: ObjectStore, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) await store.delete(keys.slice(i, i + DELETE_BATCH));
}
