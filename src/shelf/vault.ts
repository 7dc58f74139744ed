// The shelf as a Glacier vault (pools.<name>.vault): on export each segment
// becomes one vault archive (its archive id and tree hash recorded in the
// catalog as it lands, and in the shelf record once all are there); only then
// are the bucket's copies deleted. On retrieve each archive gets an
// archive-retrieval job (its id recorded, so a repeated command polls the same
// job), and a finished job's output, checked against the recorded tree hash,
// is written back under the segment's key. The vault archives are kept (an
// offsite copy; deleting them is the operator's call).

import type { Tier } from '@aws-sdk/client-s3';
import type { ShelfDetail, VaultArchive } from '../catalog/shelf.ts';
import { poolConfig, type Config } from '../config.ts';
import { VtlError } from '../errors.ts';
import type { ObjectInfo, ObjectStore } from '../../tapes/object-store.ts';
import { GlacierVault } from '../../tapes/stores/glacier-vault.ts';
import type { ArchiveProgress, RetrieveProgress } from './storage-class.ts';

export interface VaultMover {
  /** Upload the objects under `prefix` not yet in `detail.vault`; `save` records each archive id as it lands. */
  archivePass(prefix: string, detail: ShelfDetail, deadline: number, save: (d: ShelfDetail) => void): Promise<ArchiveProgress>;
  /** Every archive is in the vault and recorded in the bucket's shelf record: the bucket's copies go. */
  afterArchived(prefix: string, detail: ShelfDetail): Promise<void>;
  /** Start, poll and fetch retrieval jobs; objects land back in the bucket under their keys. */
  retrievePass(prefix: string, detail: ShelfDetail, req: { tier: Tier; days: number }, deadline: number, save: (d: ShelfDetail) => void): Promise<RetrieveProgress>;
}

async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, after === undefined ? {} : { startAfter: after });
    out.push(...page.objects);
    if (page.next === undefined) return out;
    after = page.next;
  }
}

export class VaultShelf implements VaultMover {
  readonly #vault: GlacierVault;
  readonly #store: ObjectStore;

  constructor(vault: GlacierVault, store: ObjectStore) {
    this.#vault = vault;
    this.#store = store;
  }

  async archivePass(prefix: string, detail: ShelfDetail, deadline: number, save: (d: ShelfDetail) => void): Promise<ArchiveProgress> {
    const archives: VaultArchive[] = [...(detail.vault?.archives ?? [])];
    const known = new Set(archives.map((a) => a.key));
    const objects = await listAll(this.#store, prefix);
    let uploads = 0;
    for (const o of objects) {
      if (known.has(o.key) || (uploads > 0 && Date.now() >= deadline)) continue;
      const data = await this.#store.get(o.key);
      const up = await this.#vault.upload(data, `s3vtl ${o.key}`);
      archives.push({ key: o.key, archiveId: up.archiveId, size: up.size, treeHash: up.treeHash });
      known.add(o.key);
      save({ ...detail, vault: { name: this.#vault.name, archives: [...archives] } });
      uploads++;
    }
    const pending = objects.filter((o) => !known.has(o.key));
    const bytes = archives.reduce((s, a) => s + a.size, 0) + pending.reduce((s, o) => s + o.size, 0);
    const doneBytes = archives.reduce((s, a) => s + a.size, 0);
    return { objects: archives.length + pending.length, bytes, done: archives.length, doneBytes, complete: pending.length === 0 };
  }

  async afterArchived(_prefix: string, detail: ShelfDetail): Promise<void> {
    const keys = (detail.vault?.archives ?? []).map((a) => a.key);
    if (keys.length > 0) await this.#store.delete(keys);
  }

  async retrievePass(_prefix: string, detail: ShelfDetail, req: { tier: Tier; days: number }, deadline: number, save: (d: ShelfDetail) => void): Promise<RetrieveProgress> {
    const archives = detail.vault?.archives ?? [];
    const jobs: Record<string, string> = { ...(detail.vault?.jobs ?? {}) };
    const record = (): void => save({ ...detail, vault: { name: detail.vault?.name ?? this.#vault.name, archives, jobs: { ...jobs } } });
    let restored = 0, restoredBytes = 0, restoring = 0, requested = 0, fetched = 0;
    for (const a of archives) {
      const here = await this.#store.head(a.key);
      if (here !== undefined && here.size === a.size) {
        restored++; restoredBytes += a.size;
        continue;
      }
      const job = jobs[a.key];
      if (job === undefined) {
        jobs[a.key] = await this.#vault.startRetrieval(a.archiveId, req.tier, `s3vtl ${a.key}`);
        record();
        restoring++; requested++;
        continue;
      }
      const st = await this.#vault.job(job);
      if (st.status === 'Failed') {
        delete jobs[a.key];
        record();
        throw new VtlError('VTL_VAULT_JOB_FAILED', `vault ${this.#vault.name}: retrieval of ${a.key} (archive ${a.archiveId}) failed: ${st.message}; run s3vtl tape retrieve again to start a new job`);
      }
      if (st.status === 'InProgress' || (fetched > 0 && Date.now() >= deadline)) {
        restoring++;
        continue;
      }
      const data = await this.#vault.output(job, a.treeHash);
      await this.#store.put(a.key, data);
      fetched++;
      delete jobs[a.key];
      record();
      restored++; restoredBytes += a.size;
    }
    const bytes = archives.reduce((s, a) => s + a.size, 0);
    return {
      objects: archives.length, bytes, restored, restoredBytes, copied: restored, copiedBytes: restoredBytes,
      restoring, requested, complete: restored === archives.length,
    };
  }
}

/** The vault mover of each pool that names a vault (one client per pool, made on first use). */
export function vaultsFor(pools: Config['pools'], store: ObjectStore): (pool: string | null) => VaultMover | undefined {
  const made = new Map<string, VaultMover>();
  return (pool) => {
    const name = pool ?? 'default';
    const v = poolConfig({ pools }, name).vault;
    if (v === undefined) return undefined;
    let m = made.get(name);
    if (m === undefined) {
      m = new VaultShelf(new GlacierVault({ name: v.name, ...(v.region !== undefined && { region: v.region }), ...(v.accountId !== undefined && { accountId: v.accountId }) }), store);
      made.set(name, m);
    }
    return m;
  };
}
