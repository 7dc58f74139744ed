// CartridgePool: what a tape drive's load() calls. Opens a cartridge by
// barcode (creating blank media in the store the first time, from what the
// directory — the catalog — says the cartridge is), shares one uploader, one
// staging budget (the upload buffer's size limit) and one read cache across
// cartridges, and lets a barcode be open only once.

import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Cartridge, type CartridgeMedium } from './cartridge.ts';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import { TapeKeys } from './keys.ts';
import type { ManifestSink } from './manifest.ts';
import type { ManifestAuth } from './manifest-auth.ts';
import type { LockPolicy, ObjectStore } from './object-store.ts';
import type { PipelineOptions } from './segment-pipeline.ts';
import type { RecordCodec } from './record-codec.ts';
import { type ReadCacheOptions, SegmentReader } from './segment-reader.ts';
import { StagingBudget, type StagingBudgetOptions } from './staging-budget.ts';
import { TRASH_DIR } from './staging-segment.ts';
import { SegmentUploader, type TapesLog, type UploaderOptions } from './uploader.ts';

/** A cartridge as the catalog knows it. */
export interface CartridgeSpec extends CartridgeMedium {
  readonly barcode: string;
  /** Newest manifest version the catalog has seen (a listing hint), 0 if none. */
  readonly manifestVersion?: number;
}

/** Where cartridges are described; the catalog implements it. Declared here so tapes/ never imports it. */
export interface CartridgeDirectory {
  describe(barcode: string): CartridgeSpec | undefined | Promise<CartridgeSpec | undefined>;
}

export interface CartridgePoolOptions {
  readonly store: ObjectStore;
  /** Store-wide key prefix ('' for none). */
  readonly prefix: string;
  /** Root of the local staging area (upload buffer). */
  readonly stagingDir: string;
  readonly directory: CartridgeDirectory;
  readonly sink?: ManifestSink;
  /** Per-cartridge pipeline options (segment size, syncToStore, ...); the budget is the pool's. */
  readonly segments?: Omit<PipelineOptions, 'budget'>;
  readonly readCache?: ReadCacheOptions;
  readonly upload?: UploaderOptions;
  /** The staging area's limit across all cartridges and how long a write waits for room (config tapes.staging). */
  readonly staging?: StagingBudgetOptions;
  /** Warnings of the write path: upload and commit retries, writes waiting for room. */
  readonly log?: TapesLog;
  readonly onError?: (e: unknown, barcode: string) => void;
  /** A cartridge's codec (compression, encryption) from its pool; absent: plain records. */
  readonly codecFor?: (pool: string | null) => RecordCodec;
  /** A cartridge's S3 Object Lock (its pool's objectLock, WORM media); undefined: not locked. */
  readonly lockPolicy?: (spec: CartridgeSpec) => LockPolicy | undefined;
  /** Manifests are signed and checked with this key (config tapes.manifestKey). */
  readonly manifestAuth?: ManifestAuth;
}

export class CartridgePool {
  readonly #o: CartridgePoolOptions;
  readonly #keys: TapeKeys;
  readonly #uploader: SegmentUploader;
  readonly #budget: StagingBudget;
  readonly #reader: SegmentReader;
  readonly #open = new Map<string, Promise<Cartridge>>();
  /** The opened ones (loaded in a drive), for what they hold now. */
  readonly #loaded = new Map<string, Cartridge>();

  constructor(options: CartridgePoolOptions) {
    this.#o = options;
    this.#keys = new TapeKeys(options.prefix);
    const log = options.log === undefined ? {} : { log: options.log };
    this.#uploader = new SegmentUploader(options.store, { ...log, ...options.upload });
    this.#budget = new StagingBudget({ ...log, ...options.staging });
    this.#reader = new SegmentReader(options.store, options.readCache);
    // Files a stopped gateway was still unlinking in the background.
    void rm(path.join(options.stagingDir, TRASH_DIR), { recursive: true, force: true }).catch(() => undefined);
  }

  get keys(): TapeKeys {
    return this.#keys;
  }

  /** The shared upload buffer: staged bytes across open cartridges, the limit, writers waiting. */
  get staging(): StagingBudget {
    return this.#budget;
  }

  /** Open a cartridge for a drive. Throws VTL_CARTRIDGE_NOT_FOUND (unknown barcode) or VTL_CARTRIDGE_BUSY (already loaded). */
  open(barcode: string): Promise<Cartridge> {
    if (this.#open.has(barcode)) {
      return Promise.reject(new CartridgeError(CartridgeErrorCode.BUSY, barcode, 'already open (loaded in another drive?)'));
    }
    const opening = this.#openNew(barcode);
    this.#open.set(barcode, opening);
    opening.then((c) => this.#loaded.set(barcode, c), () => this.#open.delete(barcode));
    return opening;
  }

  /**
   * What an open (loaded) cartridge holds now: written but not yet in a
   * committed manifest, so not yet in the catalog either. Undefined when it
   * is not open.
   */
  live(barcode: string): { readonly usedBytes: number; readonly eodObjectId: number } | undefined {
    const c = this.#loaded.get(barcode);
    return c === undefined ? undefined : { usedBytes: c.usedBytes(), eodObjectId: c.position().eodObjectId };
  }

  isOpen(barcode: string): boolean {
    return this.#open.has(barcode);
  }

  /** Close every open cartridge (shutdown): seals, uploads and commits what is staged. */
  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    const results = await Promise.allSettled(all.map(async (p) => (await p).close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async #openNew(barcode: string): Promise<Cartridge> {
    const spec = await this.#o.directory.describe(barcode);
    if (spec === undefined) throw new CartridgeError(CartridgeErrorCode.NOT_FOUND, barcode, 'not in the catalog');
    return Cartridge.open({
      ...this.#o.segments,
      budget: this.#budget,
      ...(this.#o.segments?.syncWaitMs === undefined && this.#o.staging?.waitMs !== undefined && { syncWaitMs: this.#o.staging.waitMs }),
      ...(this.#o.log !== undefined && { log: this.#o.log }),
      barcode,
      store: this.#o.store,
      keys: this.#keys,
      stagingDir: path.resolve(this.#o.stagingDir),
      medium: spec,
      create: true,
      uploader: this.#uploader,
      reader: this.#reader,
      ...(this.#o.sink === undefined ? {} : { sink: this.#o.sink }),
      ...(spec.manifestVersion === undefined ? {} : { manifestHint: spec.manifestVersion }),
      onError: (e) => this.#o.onError?.(e, barcode),
      onRelease: () => {
        this.#open.delete(barcode);
        this.#loaded.delete(barcode);
      },
      ...(this.#o.codecFor === undefined ? {} : { codec: this.#o.codecFor(spec.pool) }),
      ...lockOption(this.#o.lockPolicy?.(spec)),
      ...(this.#o.manifestAuth !== undefined && { manifestAuth: this.#o.manifestAuth }),
    });
  }
}

function lockOption(lock: LockPolicy | undefined): { lock?: LockPolicy } {
  return lock === undefined ? {} : { lock };
}
