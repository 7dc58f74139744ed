// An ObjectStore that tells the catalog what it wrote and deleted: every
// completed put or part upload is registered in `store_objects`, every delete
// marks its keys deleted. The gateway hands this store to everything that
// writes (cartridges, library state, facts, CDP volumes), so neither tapes/
// nor src/cdp knows the catalog.
//
// With an `actor`, every deleted object also gets an audit row: the
// pipeline's own deletions (older manifest versions, cut-away segments,
// pruned versions of small documents) are accounted for like retention's.
// A caller that audits its deletions itself (the retention executor) takes a
// store without an actor.
import type { ByteRange, GetOptions, ListOptions, ObjectBody, ObjectInfo, ObjectPage, ObjectStore, PartUpload, PutOptions } from '../../tapes/object-store.ts';
import type { AuditEntry } from './audit.ts';
import { classifyKey, ObjectKind } from './object-kinds.ts';
import type { StoreObjects } from './store-objects.ts';

export interface ObjectRegistry {
  readonly objects: Pick<StoreObjects, 'register' | 'markDeleted' | 'get'> & Partial<Pick<StoreObjects, 'keepDocument'>>;
  readonly audit: { record(e: AuditEntry): void };
  /** False once the catalog is closed: late background writes are not recorded (reconcile finds them). */
  readonly isOpen: boolean;
}

const WHY: Partial<Record<ObjectKind, string>> = {
  [ObjectKind.TAPE_MANIFEST]: 'older manifest version beyond the kept ones',
  [ObjectKind.TAPE_SEGMENT]: 'segment no kept manifest names (overwritten or cut away)',
  [ObjectKind.TAPE_FACTS]: 'older version beyond the kept ones',
  [ObjectKind.TAPE_SHELF]: 'older version beyond the kept ones',
  [ObjectKind.LIBRARY_STATE]: 'older version beyond the kept ones',
  [ObjectKind.CATALOG_BACKUP]: 'older catalog backup beyond the kept ones',
};

export class RecordingStore implements ObjectStore {
  readonly kind: string;
  readonly beginUpload?: (key: string, options?: { readonly contentType?: string; readonly signal?: AbortSignal }) => Promise<PartUpload>;
  readonly #inner: ObjectStore;
  readonly #registry: ObjectRegistry;
  readonly #actor: string | undefined;

  constructor(inner: ObjectStore, registry: ObjectRegistry, options: { readonly actor?: string } = {}) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#registry = registry;
    this.#actor = options.actor;
    // Present only when the inner store has it: writers test for it to choose part uploads.
    if (inner.beginUpload !== undefined) {
      const begin = inner.beginUpload.bind(inner);
      this.beginUpload = async (key, options) => this.#wrapUpload(await begin(key, options));
    }
  }

  /** The store this one records for. */
  get inner(): ObjectStore {
    return this.#inner;
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    const info = await this.#inner.put(key, body, options);
    this.#written(key, info);
    if (Buffer.isBuffer(body) && this.#registry.isOpen) this.#registry.objects.keepDocument?.(key, body);
    return info;
  }

  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    return this.#inner.get(key, range, options);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.#inner.head(key);
  }

  list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    return this.#inner.list(prefix, options);
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.#inner.delete(keys);
    const r = this.#registry;
    if (!r.isOpen || keys.length === 0) return;
    const at = new Date().toISOString();
    const actor = this.#actor;
    if (actor !== undefined) {
      for (const key of keys) {
        const known = r.objects.get(key);
        if (known?.deletedAt != null) continue;
        const o = classifyKey(key);
        r.audit.record({
          at, actor, action: 'delete-object', subject: key,
          detail: { owner: o.owner, kind: o.kind, reason: WHY[o.kind] ?? 'deleted by the gateway', ...(known !== undefined && { bytes: known.sizeBytes }) },
        });
      }
    }
    r.objects.markDeleted(keys, at);
  }

  #written(key: string, info: ObjectInfo): void {
    if (this.#registry.isOpen) this.#registry.objects.register(key, info.size, (info.lastModified ?? new Date()).toISOString());
  }

  #wrapUpload(u: PartUpload): PartUpload {
    return {
      key: u.key,
      part: (n, body, signal) => u.part(n, body, signal),
      complete: async (count, size, options) => {
        const info = await u.complete(count, size, options);
        this.#written(u.key, info);
        return info;
      },
      abort: () => u.abort(),
    };
  }
}
