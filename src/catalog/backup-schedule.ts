// When the catalog is copied to the store: at most once per interval, only if
// it changed since the last copy, and once more at a clean stop. "Changed" is
// SQLite's count of rows changed through the gateway's one connection, less
// the rows the backups themselves change (registering their own object,
// auditing the copies they prune), so an idle gateway does not copy forever.
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { AuditEntry } from './audit.ts';
import type { Catalog } from './catalog.ts';
import { writeCatalogBackup, type WrittenBackup } from './catalog-backup.ts';
import { RecordingStore, type ObjectRegistry } from './recording-store.ts';

export interface BackupScheduleOptions {
  readonly catalog: Catalog;
  /** The store itself (not a recording wrapper: the schedule records its own objects). */
  readonly store: ObjectStore;
  /** Where the uncompressed copy is made (the data dir). */
  readonly tmpDir: string;
  readonly everyMs: number;
  readonly keep: number;
  readonly log: { info(msg: string, f?: object): void; warn(msg: string, f?: object): void };
}

export class CatalogBackupSchedule {
  readonly #o: BackupScheduleOptions;
  readonly #store: RecordingStore;
  /** changeCount when the last copy started (-1: none made by this run yet). */
  #baseline = -1;
  /** Rows the backups changed themselves since then. */
  #own = 0;
  #newest: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<WrittenBackup | undefined> | undefined;

  constructor(o: BackupScheduleOptions) {
    this.#o = o;
    const c = o.catalog;
    const counted = <A extends unknown[]>(fn: (...a: A) => unknown) => (...a: A): void => {
      const before = c.changeCount;
      fn(...a);
      this.#own += c.changeCount - before;
    };
    const registry: ObjectRegistry = {
      objects: {
        register: counted((key: string, size: number, at?: string) => c.objects.register(key, size, at)),
        markDeleted: (keys, at) => {
          const before = c.changeCount;
          const n = c.objects.markDeleted(keys, at);
          this.#own += c.changeCount - before;
          return n;
        },
        get: (key) => c.objects.get(key),
      },
      audit: { record: counted((e: AuditEntry) => c.audit.record(e)) },
      get isOpen() {
        return c.isOpen;
      },
    };
    this.#store = new RecordingStore(o.store, registry, { actor: 'pipeline' });
  }

  /** True when rows changed since the last copy (or none was made yet by this run). */
  get due(): boolean {
    return this.#baseline < 0 || this.#o.catalog.changeCount - this.#own > this.#baseline;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.backupIfDue().catch((e: unknown) => {
      this.#o.log.warn('catalog backup to the store failed; the next interval tries again', { error: (e as Error).message });
    }), this.#o.everyMs);
    this.#timer.unref();
  }

  /** Copy the catalog now if it changed; resolves to what was written (undefined: nothing due, or one already running). */
  async backupIfDue(): Promise<WrittenBackup | undefined> {
    if (this.#running !== undefined || !this.due || !this.#o.catalog.isOpen) return undefined;
    this.#running = this.#backup();
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  /** Stop the timer, let a running copy finish, then make a last one if anything changed. */
  async stop(): Promise<WrittenBackup | undefined> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    return this.backupIfDue();
  }

  async #backup(): Promise<WrittenBackup> {
    const c = this.#o.catalog;
    const baseline = c.changeCount;
    const own = this.#own;
    const written = await writeCatalogBackup(c, {
      store: this.#store, tmpDir: this.#o.tmpDir, keep: this.#o.keep, ...(this.#newest !== undefined && { newest: this.#newest }),
    });
    // Rows changed during the copy by others are in `changeCount - baseline` beyond the backup's own.
    this.#baseline = baseline - own;
    this.#newest = written.version;
    this.#o.log.info('catalog copied to the store', { key: written.key, bytes: written.bytes, pruned: written.pruned.length });
    return written;
  }
}
