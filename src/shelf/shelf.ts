// The archive shelf: where a cartridge goes when the operator takes it out of
// an import/export slot, as a physical library's cartridges go to an offsite
// vault, and how it comes back.
//
//   export   -> shelved (dir store: nothing moves; state `exported`)
//            -> archiving -> archived (S3: segments to the pool's archiveClass,
//               or to a Glacier vault when the pool names one; state `archived`)
//   retrieve -> retrieving (restores asked, objects copied back to the pool's
//               storageClass) -> shelved (readable; state `exported`)
//            -> into a free import/export slot (state as before the export)
//
// Manifests and shelf records stay where they were written: only segments
// move, so `recover` and listing work on an archived cartridge. Every step is
// bounded in time and idempotent: the online (control socket) and offline
// paths call the same steps, and an interrupted export or retrieve resumes
// when the operator repeats the command.

import type { Tier } from '@aws-sdk/client-s3';
import { CartridgeState, type CartridgeRow } from '../catalog/cartridges.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { ShelfPhase, type ShelfMedium, type ShelfRow } from '../catalog/shelf.ts';
import { poolConfig, type Config } from '../config.ts';
import { UsageError, VtlError } from '../errors.ts';
import type { ShelfStatus } from '../control/protocol.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { writeShelfRecord, type RecordPhase } from './records.ts';
import { archivePass, retrievePass, type ArchiveProgress, type RetrieveProgress } from './storage-class.ts';
import type { VaultMover } from './vault.ts';

export interface ShelfOptions {
  readonly catalog: Catalog;
  readonly store: ObjectStore;
  readonly pools: Config['pools'];
  /** Store-wide key prefix of the cartridges ('' as the pool uses). */
  readonly prefix?: string;
  /**
   * Why a cartridge's objects must not move yet, or undefined: open in the
   * gateway (uploading after an unload; code VTL_SHELF_BUSY, wait and repeat)
   * or staged data no gateway is uploading (VTL_SHELF_STAGED, start serve).
   */
  readonly busy?: (barcode: string) => { readonly code: 'VTL_SHELF_BUSY' | 'VTL_SHELF_STAGED'; readonly message: string } | undefined;
  /** How long one step may copy before it answers (default 20 s; the CLI repeats steps). */
  readonly stepMs?: number;
  /** Glacier vaults for pools that name one (see vault.ts). */
  readonly vault?: (pool: string | null) => VaultMover | undefined;
}

export interface RetrieveRequest {
  readonly tier: Tier;
  readonly days: number;
}

const NO_PROGRESS = { objects: 0, bytes: 0, archived: 0, archivedBytes: 0, restored: 0, restoredBytes: 0, copied: 0, copiedBytes: 0, restoring: 0, requested: 0 };

export class Shelf {
  readonly #o: ShelfOptions;
  readonly #keys: TapeKeys;

  constructor(o: ShelfOptions) {
    this.#o = o;
    this.#keys = new TapeKeys(o.prefix ?? '');
  }

  get #catalog(): Catalog {
    return this.#o.catalog;
  }

  /** The shelf row of a cartridge, if it is on the shelf through an export. */
  row(barcode: string): ShelfRow | undefined {
    return this.#catalog.shelf.get(barcode);
  }

  #medium(c: CartridgeRow): ShelfMedium {
    if (poolConfig(this.#o, c.pool).vault !== undefined) return 'vault';
    return this.#o.store instanceof S3ObjectStore ? 'storage-class' : 'none';
  }

  /** The changer let `barcode` out of `library`: put it on the shelf (its objects move on archiveStep). */
  async shelve(barcode: string, library: string | null): Promise<ShelfStatus> {
    const c = this.#catalog.cartridges.require(barcode);
    const medium = this.#medium(c);
    const earlier = this.row(barcode);
    const row: ShelfRow = {
      barcode, medium, library,
      phase: medium === 'none' ? ShelfPhase.SHELVED : ShelfPhase.ARCHIVING,
      archiveClass: medium === 'storage-class' ? poolConfig(this.#o, c.pool).archiveClass : null,
      previousState: earlier?.previousState ?? (c.state === CartridgeState.ARCHIVED || c.state === CartridgeState.EXPORTED ? CartridgeState.IN_USE : c.state),
      since: new Date().toISOString(),
      detail: earlier?.detail ?? {},
    };
    this.#catalog.transaction(() => {
      this.#catalog.shelf.put(row);
      this.#catalog.cartridges.setState(barcode, CartridgeState.EXPORTED);
    });
    await this.#publish(barcode, row.phase);
    return this.#status(barcode, undefined);
  }

  /** One bounded step of moving the objects to the archive; complete once all are there (state `archived`). */
  async archiveStep(barcode: string): Promise<ShelfStatus> {
    const row = this.#require(barcode);
    if (row.phase !== ShelfPhase.ARCHIVING) return this.#status(barcode, undefined);
    this.#checkIdle(barcode);
    const deadline = Date.now() + (this.#o.stepMs ?? 20_000);
    const segments = this.#keys.segmentPrefix(barcode);
    let p: ArchiveProgress;
    if (row.medium === 'vault') {
      p = await this.#vault(barcode, row).archivePass(segments, row.detail, deadline, (detail) => this.#catalog.shelf.setDetail(barcode, detail));
    } else {
      p = await archivePass(this.#s3(), segments, row.archiveClass!, deadline);
    }
    if (p.complete) {
      this.#catalog.transaction(() => {
        this.#catalog.shelf.setPhase(barcode, ShelfPhase.ARCHIVED);
        this.#catalog.cartridges.setState(barcode, CartridgeState.ARCHIVED);
      });
      await this.#publish(barcode, ShelfPhase.ARCHIVED);
      if (row.medium === 'vault') await this.#vault(barcode, row).afterArchived(segments, this.row(barcode)!.detail);
    }
    return this.#status(barcode, { ...NO_PROGRESS, objects: p.objects, bytes: p.bytes, archived: p.done, archivedBytes: p.doneBytes, complete: p.complete });
  }

  /**
   * One bounded step of bringing the objects back: restores asked (or polled),
   * readable objects copied back to the pool's storage class. Complete once
   * every object is readable for good: the cartridge is `shelved`, ready for
   * an import/export slot (the caller places it, then calls returned()).
   */
  async retrieveStep(barcode: string, req: RetrieveRequest): Promise<ShelfStatus> {
    const row = this.#require(barcode);
    if (row.phase === ShelfPhase.SHELVED) return this.#status(barcode, { ...NO_PROGRESS, complete: true });
    this.#checkIdle(barcode);
    if (row.phase !== ShelfPhase.RETRIEVING) {
      this.#catalog.shelf.setPhase(barcode, ShelfPhase.RETRIEVING);
      this.#catalog.shelf.setDetail(barcode, { ...row.detail, tier: req.tier });
    }
    const deadline = Date.now() + (this.#o.stepMs ?? 20_000);
    const segments = this.#keys.segmentPrefix(barcode);
    const c = this.#catalog.cartridges.require(barcode);
    let p: RetrieveProgress;
    if (row.medium === 'vault') {
      p = await this.#vault(barcode, row).retrievePass(segments, this.row(barcode)!.detail, req, deadline, (detail) => this.#catalog.shelf.setDetail(barcode, detail));
    } else {
      p = await retrievePass(this.#s3(), segments, { storageClass: this.storageClassOf(c), tier: req.tier, days: req.days }, deadline);
    }
    if (p.complete) {
      this.#catalog.transaction(() => {
        this.#catalog.shelf.setPhase(barcode, ShelfPhase.SHELVED);
        this.#catalog.cartridges.setState(barcode, CartridgeState.EXPORTED);
      });
      await this.#publish(barcode, ShelfPhase.SHELVED);
    }
    return this.#status(barcode, { ...NO_PROGRESS, ...p });
  }

  /** The class a pool's objects live in inside the library. */
  storageClassOf(c: CartridgeRow): string {
    const store = this.#o.store;
    return poolConfig(this.#o, c.pool).storageClass ?? (store instanceof S3ObjectStore ? store.options.storageClass : undefined) ?? 'STANDARD';
  }

  /** Whether the cartridge may go into an import/export slot (readable); throws saying what to do otherwise. */
  checkImportable(barcode: string): void {
    const row = this.row(barcode);
    if (row === undefined || row.phase === ShelfPhase.SHELVED) return;
    const where = row.medium === 'vault' ? 'in a Glacier vault' : `in ${row.archiveClass ?? 'the archive'}`;
    throw new UsageError(row.phase === ShelfPhase.ARCHIVING
      ? `${barcode} is being archived (${where}); finish with s3vtl library export ${barcode}, or bring it back with s3vtl tape retrieve ${barcode}`
      : `${barcode} is archived (${where}): bring it back with s3vtl tape retrieve ${barcode}`);
  }

  /** The cartridge went into a library: off the shelf, its state as before the export. */
  async returned(barcode: string): Promise<void> {
    const row = this.row(barcode);
    if (row === undefined) return;
    this.#catalog.transaction(() => {
      this.#catalog.cartridges.setState(barcode, row.previousState);
      this.#catalog.shelf.remove(barcode);
    });
    await this.#publish(barcode, 'returned', row);
  }

  status(barcode: string): ShelfStatus {
    return this.#status(barcode, undefined);
  }

  #status(barcode: string, p: (typeof NO_PROGRESS & { complete: boolean }) | undefined): ShelfStatus {
    const c = this.#catalog.cartridges.require(barcode);
    const row = this.row(barcode);
    const settled = row === undefined || row.phase === ShelfPhase.ARCHIVED || row.phase === ShelfPhase.SHELVED;
    return {
      barcode, phase: row?.phase ?? 'in-library', state: c.state, medium: row?.medium ?? this.#medium(c),
      archiveClass: row?.archiveClass ?? null, ...NO_PROGRESS, complete: settled, ...p,
    };
  }

  #require(barcode: string): ShelfRow {
    const row = this.row(barcode);
    if (row === undefined) {
      if (this.#catalog.cartridges.get(barcode) === undefined) throw new UsageError(`no cartridge ${barcode} in the catalog`);
      throw new UsageError(`${barcode} is not on the archive shelf (it was not exported through an import/export slot)`);
    }
    return row;
  }

  #checkIdle(barcode: string): void {
    const why = this.#o.busy?.(barcode);
    if (why !== undefined) throw new VtlError(why.code, why.message);
  }

  #s3(): S3ObjectStore {
    const s = this.#o.store;
    if (!(s instanceof S3ObjectStore)) throw new VtlError('VTL_SHELF_NO_ARCHIVE', 'the store has no storage classes (file:// store): nothing to archive');
    return s;
  }

  #vault(barcode: string, row: ShelfRow): VaultMover {
    const c = this.#catalog.cartridges.require(barcode);
    const v = this.#o.vault?.(c.pool);
    if (v === undefined) {
      const was = row.detail.vault?.name === undefined ? '' : ` (it went to vault ${row.detail.vault.name})`;
      throw new VtlError('VTL_SHELF_NO_VAULT', `${barcode} is kept in a Glacier vault${was} but this configuration names none for pool ${c.pool ?? 'default'}: set pools.${c.pool ?? 'default'}.vault`);
    }
    return v;
  }

  /** Write the shelf record (a failure reaches the operator, whose repeated command writes it again). */
  async #publish(barcode: string, phase: RecordPhase, gone?: ShelfRow): Promise<void> {
    const c = this.#catalog.cartridges.require(barcode);
    const row = gone ?? this.row(barcode)!;
    await writeShelfRecord(this.#o.store, this.#keys, c, {
      phase, medium: row.medium, archiveClass: row.archiveClass, state: c.state, previousState: row.previousState,
      library: row.library, detail: row.detail,
    });
  }
}
