// The operator's commands over a catalog and the libraries' changers. The
// running server answers them through the control socket with its live
// changers; without a server the CLI builds the same object over changers
// restored from the catalog (offline.ts), so both print the same thing.
//
// Every mutation of an element goes through MediaChanger (importCartridge,
// exportCartridge, addCartridge), which persists to the catalog and raises
// the unit attentions an initiator must see (28/01 for the mail slots).
import type { Catalog } from '../catalog/catalog.ts';
import { CartridgeState, type CartridgeRow } from '../catalog/cartridges.ts';
import { cartridgeBatchSchema, type LibraryConfig } from '../config.ts';
import { UsageError, VtlError } from '../errors.ts';
import type { Shelf } from '../shelf/shelf.ts';
import { batchBarcodes, createCartridges } from '../wiring/provision.ts';
import { ElementType, type Element } from '../../scsi/smc/elements.ts';
import type { MediaChanger } from '../../scsi/smc/media-changer.ts';
import {
  LibraryExportArgs, LibraryImportArgs, LibraryStatusArgs, TapeArchiveArgs, TapeCreateArgs, TapeListArgs, TapeProtectArgs, TapeRetrieveArgs,
  type TapeCommandName, type ElementKind, type LibraryExportResult, type LibraryImportResult, type LibraryStatus,
  type LibraryStatusResult, type Location, type ShelfStatus, type SlotStatus, type TapeCreateResult, type TapeInfo, type TapeListResult,
  type TapeProtectResult, type TapeRetrieveResult,
} from './protocol.ts';

/** One configured library and the changer that holds its element state. */
export interface LibraryHandle {
  readonly iqn: string;
  readonly config: LibraryConfig;
  readonly changer: MediaChanger;
  /** Write the library's state object if it changed (after a fact of one of its cartridges changed); never throws. */
  readonly publish?: () => Promise<boolean>;
}

/**
 * What a cartridge open in a drive holds now (the live cartridge pool); the
 * catalog learns it only when a manifest is committed, at the latest on unload.
 */
export type LiveCartridges = (barcode: string) => { readonly usedBytes: number; readonly eodObjectId: number } | undefined;

/** Writes a cartridge's operator-changed facts to the object store (src/catalog/cartridge-facts.ts). */
export type FactsPublisher = (row: CartridgeRow) => Promise<unknown>;

const KIND: Record<1 | 2 | 3 | 4, ElementKind | undefined> = { 1: undefined, 2: 'storage', 3: 'import-export', 4: 'data-transfer' };

/** Errors of the lower layers carry a stable `code` but are not VtlErrors; the operator sees them as such. */
export function asVtlError(e: unknown): VtlError | undefined {
  if (e instanceof VtlError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === 'string' && code.startsWith('VTL_')) return new VtlError(code, e.message, { cause: e });
  return undefined;
}

const range = (list: readonly Element[]): string =>
  list.length === 0 ? 'none' : list.length === 1 ? `${list[0]!.address}` : `${list[0]!.address}-${list[list.length - 1]!.address}`;

/** How an element is named in messages: "drive 0", "storage slot 1000", "import/export slot 10". */
function describe(e: Element): string {
  switch (e.type) {
    case ElementType.DATA_TRANSFER: return `drive ${e.index}`;
    case ElementType.STORAGE: return `storage slot ${e.address}`;
    case ElementType.IMPORT_EXPORT: return `import/export slot ${e.address}`;
    default: return `element ${e.address}`;
  }
}

export interface OperationsOptions {
  /** The pools the configuration defines, `default` included (config.ts poolNames). */
  readonly pools: readonly string[];
  /** Where exported cartridges go (src/shelf); without it export only empties the slot. */
  readonly shelf?: Shelf | undefined;
  /** Where a changed write-protect switch is published (without it, only the catalog and the library state object). */
  readonly publishFacts?: FactsPublisher | undefined;
  /** What loaded cartridges hold now (the running server's pool); without it, what the catalog says. */
  readonly live?: LiveCartridges | undefined;
}

export class Operations {
  readonly #catalog: Catalog;
  readonly #libraries: readonly LibraryHandle[];
  readonly #pools: readonly string[];
  readonly #shelf: Shelf | undefined;
  readonly #publishFacts: FactsPublisher | undefined;
  readonly #live: LiveCartridges | undefined;

  constructor(catalog: Catalog, libraries: readonly LibraryHandle[], o: OperationsOptions) {
    this.#catalog = catalog;
    this.#libraries = libraries;
    this.#pools = o.pools;
    this.#shelf = o.shelf;
    this.#publishFacts = o.publishFacts;
    this.#live = o.live;
  }

  /** The control server's table: command name -> handler over unvalidated arguments. */
  handlers(): Record<TapeCommandName, (args: unknown) => Promise<unknown>> {
    return {
      'tape.create': (a) => this.tapeCreate(TapeCreateArgs.parse(a)),
      'tape.list': async (a) => this.tapeList(TapeListArgs.parse(a)),
      'tape.protect': (a) => this.tapeProtect(TapeProtectArgs.parse(a)),
      'library.status': async (a) => this.libraryStatus(LibraryStatusArgs.parse(a)),
      'library.import': (a) => this.libraryImport(LibraryImportArgs.parse(a)),
      'library.export': (a) => this.libraryExport(LibraryExportArgs.parse(a)),
      'tape.archive': (a) => this.tapeArchive(TapeArchiveArgs.parse(a)),
      'tape.retrieve': (a) => this.tapeRetrieve(TapeRetrieveArgs.parse(a)),
    };
  }

  // ---- tape create ------------------------------------------------------------------

  async tapeCreate(input: TapeCreateArgs): Promise<TapeCreateResult> {
    const a = TapeCreateArgs.parse(input);
    const barcodes = this.#barcodesToCreate(a);
    const lib = a.shelf ? undefined : this.#libraryFor(a.library);
    if (a.shelf && a.library !== undefined) throw new UsageError('give --library or --shelf, not both');
    // A cartridge in a pool the configuration does not define would be written with the defaults: in clear text.
    if (!this.#pools.includes(a.pool)) throw new UsageError(`no pool ${a.pool}; the configuration defines ${this.#pools.join(', ')} (pools: in the config file)`);
    for (const b of barcodes) {
      if (this.#catalog.cartridges.get(b) === undefined) continue;
      const at = this.#locate(b);
      throw new UsageError(`cartridge ${b} exists already (${at === undefined ? 'on the shelf' : `in ${at.lib.config.name} ${describe(at.element)}`}); choose other barcodes${a.prefix !== undefined ? ' or another --first' : ''}`);
    }
    const empty = lib?.changer.elements.ofType(ElementType.STORAGE).filter((s) => s.barcode === undefined) ?? [];
    if (lib !== undefined && empty.length < barcodes.length) {
      throw new UsageError(`${lib.config.name} has ${empty.length} empty storage slot${empty.length === 1 ? '' : 's'} for ${barcodes.length} cartridge${barcodes.length === 1 ? '' : 's'}: create fewer, use --shelf, or export some first`);
    }
    const spec = { pool: a.pool, ...(a.capacityBytes !== undefined && { capacityBytes: a.capacityBytes }), worm: a.worm };
    createCartridges(this.#catalog, barcodes, spec);
    if (lib !== undefined) {
      const placed: string[] = [];
      try {
        for (const [i, barcode] of barcodes.entries()) {
          await lib.changer.addCartridge(barcode, empty[i]!.address);
          placed.push(barcode);
        }
      } catch (e) {
        for (const b of placed) await lib.changer.removeCartridge(b).catch(() => undefined);
        this.#catalog.transaction(() => barcodes.forEach((b) => this.#catalog.cartridges.remove(b)));
        throw e;
      }
    }
    return { created: barcodes.map((b) => this.#info(this.#catalog.cartridges.require(b))) };
  }

  #barcodesToCreate(a: ReturnType<typeof TapeCreateArgs.parse>): string[] {
    const batch = a.prefix !== undefined || a.count !== undefined || a.media !== undefined || a.first !== undefined;
    if (batch && a.barcodes.length > 0) throw new UsageError('give barcodes or --prefix/--count/--media, not both');
    if (!batch) {
      if (a.barcodes.length === 0) throw new UsageError('name the cartridges: BARCODE... (e.g. S3V011L6) or --prefix P --count N --media L6');
      const dup = a.barcodes.find((b, i) => a.barcodes.indexOf(b) !== i);
      if (dup !== undefined) throw new UsageError(`barcode ${dup} is given twice`);
      return a.barcodes;
    }
    if (a.prefix === undefined || a.count === undefined || a.media === undefined) throw new UsageError('--prefix, --count and --media go together (e.g. --prefix S3V --count 10 --media L6)');
    const r = cartridgeBatchSchema.safeParse({ prefix: a.prefix, count: a.count, media: a.media, ...(a.first !== undefined && { first: a.first }), pool: a.pool });
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const key = issue.path.length > 0 ? `--${String(issue.path[0])}: ` : '';
      throw new UsageError(`${key}${issue.message}`);
    }
    return batchBarcodes(r.data);
  }

  /** The named library, or the only one when there is only one. */
  #libraryFor(name: string | undefined): LibraryHandle {
    if (name !== undefined) return this.#library(name);
    if (this.#libraries.length === 1) return this.#libraries[0]!;
    if (this.#libraries.length === 0) throw new UsageError('the configuration has no library: use --shelf');
    throw new UsageError(`name the library with --library (${this.#names()}) or use --shelf`);
  }

  #library(name: string): LibraryHandle {
    const lib = this.#libraries.find((l) => l.config.name === name);
    if (lib === undefined) throw new UsageError(`no library ${name}; the configuration has ${this.#libraries.length === 0 ? 'none' : this.#names()}`);
    return lib;
  }

  #names(): string {
    return this.#libraries.map((l) => l.config.name).join(', ');
  }

  // ---- tape list --------------------------------------------------------------------

  tapeList(input: TapeListArgs = {}): TapeListResult {
    const a = TapeListArgs.parse(input);
    if (a.library !== undefined) this.#library(a.library);
    if (a.pool !== undefined) {
      // Pools that exist: configured ones, and those cartridges still name (listing them helps the operator find them).
      const known = [...new Set([...this.#pools, ...this.#catalog.cartridges.list().map((r) => r.pool ?? 'default')])];
      if (!known.includes(a.pool)) throw new UsageError(`no pool ${a.pool}; pools: ${known.join(', ')}`);
    }
    const tapes = this.#catalog.cartridges.list(a.pool).map((r) => this.#info(r));
    return { tapes: a.library === undefined ? tapes : tapes.filter((t) => t.location?.library === a.library) };
  }

  // ---- tape protect / unprotect -----------------------------------------------------

  /**
   * The write-protect switch (a cartridge's tab). A cartridge in a drive is
   * refused, as a tab cannot be moved inside a drive: the drive reads the
   * switch when it loads the cartridge (MODE SENSE WP, DATA PROTECT 27/00 on
   * writes), so the new position holds from the next load. All or nothing:
   * every barcode is checked before any switch moves. The change is published
   * to the object store (the cartridge's facts object, and the state object
   * of the library that holds it) so `s3vtl recover` keeps it.
   */
  async tapeProtect(input: TapeProtectArgs): Promise<TapeProtectResult> {
    const a = TapeProtectArgs.parse(input);
    const verb = a.protect ? 'protect' : 'unprotect';
    if (a.barcodes.length === 0) throw new UsageError(`name the cartridges: s3vtl tape ${verb} BARCODE... (s3vtl tape list shows them)`);
    const dup = a.barcodes.find((b, i) => a.barcodes.indexOf(b) !== i);
    if (dup !== undefined) throw new UsageError(`barcode ${dup} is given twice`);
    for (const b of a.barcodes) {
      if (this.#catalog.cartridges.get(b) === undefined) throw this.#unknownCartridge(b);
      const at = this.#locate(b);
      if (at?.element.type === ElementType.DATA_TRANSFER) {
        throw new UsageError(`${b} is loaded in ${at.lib.config.name} ${describe(at.element)}: its write-protect switch cannot be moved inside a drive; unload it first (mtx unload), then run s3vtl tape ${verb} ${b} again`);
      }
    }
    const changed = a.barcodes.filter((b) => this.#catalog.cartridges.require(b).writeProtected !== a.protect);
    this.#catalog.transaction(() => changed.forEach((b) => this.#catalog.cartridges.setWriteProtected(b, a.protect)));
    // Every named cartridge, not only the changed ones: repeating a command whose publishing failed publishes it.
    const failed: string[] = [];
    for (const b of a.barcodes) {
      try {
        await this.#publishFacts?.(this.#catalog.cartridges.require(b));
      } catch (e) {
        failed.push(`${b} (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const libs = new Set(changed.map((b) => this.#locate(b)?.lib).filter((l): l is LibraryHandle => l !== undefined));
    for (const lib of libs) await lib.publish?.();
    return {
      tapes: a.barcodes.map((b) => this.#info(this.#catalog.cartridges.require(b))),
      changed,
      warning: failed.length === 0 ? null
        : `the switch moved but was not written to the object store for ${failed.join(', ')}; run the command again to publish it (recover would not see it)`,
    };
  }

  #info(r: CartridgeRow): TapeInfo {
    const at = this.#locate(r.barcode);
    const kind = at === undefined ? undefined : KIND[at.element.type];
    const location: Location | null = at === undefined || kind === undefined ? null
      : { library: at.lib.config.name, kind, address: at.element.address, index: at.element.index };
    // A loaded cartridge: what the drive holds, not the catalog's last committed manifest
    // (a scratch cartridge written since it was loaded is in use, as the catalog will say).
    const live = this.#live?.(r.barcode);
    const bytesWritten = live?.usedBytes ?? r.bytesWritten;
    const state = live !== undefined && live.eodObjectId > 0 && r.state === CartridgeState.SCRATCH ? CartridgeState.IN_USE : r.state;
    return {
      barcode: r.barcode, media: r.mediaType, pool: r.pool, state, bytesWritten,
      capacityBytes: r.capacityBytes, worm: r.worm, writeProtected: r.writeProtected, location,
    };
  }

  #locate(barcode: string): { lib: LibraryHandle; element: Element } | undefined {
    for (const lib of this.#libraries) {
      const element = lib.changer.elements.findBarcode(barcode);
      if (element !== undefined) return { lib, element };
    }
    return undefined;
  }

  // ---- library status ---------------------------------------------------------------

  libraryStatus(input: LibraryStatusArgs = {}): LibraryStatusResult {
    const a = LibraryStatusArgs.parse(input);
    const libs = a.library === undefined ? this.#libraries : [this.#library(a.library)];
    return { libraries: libs.map((l) => this.#status(l)) };
  }

  #status(lib: LibraryHandle): LibraryStatus {
    const els = lib.changer.elements;
    const slot = (e: Element): SlotStatus => ({ address: e.address, index: e.index, barcode: e.barcode ?? null });
    const id = lib.changer.profile.identity;
    return {
      name: lib.config.name,
      iqn: lib.iqn,
      changer: { personality: lib.changer.profile.name, vendor: id.vendor, product: id.product, serial: lib.changer.identity.serial },
      drive: { personality: lib.config.drive },
      drives: els.ofType(ElementType.DATA_TRANSFER).map((e) => ({ ...slot(e), lun: e.driveLun ?? e.index + 1, serial: e.drive?.serial ?? '' })),
      slots: els.ofType(ElementType.STORAGE).map(slot),
      importExport: els.ofType(ElementType.IMPORT_EXPORT).map(slot),
    };
  }

  // ---- import / export --------------------------------------------------------------

  async libraryImport(input: LibraryImportArgs): Promise<LibraryImportResult> {
    const a = LibraryImportArgs.parse(input);
    const lib = this.#library(a.library);
    const name = lib.config.name;
    if (this.#catalog.cartridges.get(a.barcode) === undefined) {
      throw new UsageError(`no cartridge ${a.barcode} in the catalog; create it first: s3vtl tape create ${a.barcode} --shelf`);
    }
    const at = this.#locate(a.barcode);
    if (at !== undefined) {
      const where = `${at.lib.config.name} ${describe(at.element)}`;
      throw new UsageError(at.element.type === ElementType.DATA_TRANSFER
        ? `${a.barcode} is loaded in ${where}: it is not on the shelf (unload it and export it first)`
        : `${a.barcode} is in ${where}, not on the shelf${at.element.type === ElementType.IMPORT_EXPORT ? `: export it first (s3vtl library export --library ${at.lib.config.name} --slot ${at.element.address})` : ''}`);
    }
    const mail = lib.changer.elements.ofType(ElementType.IMPORT_EXPORT);
    if (mail.length === 0) throw new UsageError(`${name} has no import/export slots (mailslots: 0 in its configuration)`);
    if (a.slot !== undefined) {
      const e = mail.find((m) => m.address === a.slot);
      if (e === undefined) throw new UsageError(`slot ${a.slot} is not an import/export slot of ${name}; import/export slots are ${range(mail)}`);
      if (e.barcode !== undefined) {
        const free = mail.filter((m) => m.barcode === undefined).map((m) => m.address);
        throw new UsageError(`import/export slot ${a.slot} of ${name} holds ${e.barcode}; ${free.length > 0 ? `empty ones: ${free.join(', ')}` : `export it first (s3vtl library export --library ${name} --slot ${a.slot})`}`);
      }
    } else if (mail.every((m) => m.barcode !== undefined)) {
      throw new UsageError(`every import/export slot of ${name} (${range(mail)}) is full; export one first (s3vtl library export --library ${name} --slot ${mail[0]!.address})`);
    }
    this.#shelf?.checkImportable(a.barcode);
    const address = await lib.changer.importCartridge(a.barcode, a.slot);
    await this.#shelf?.returned(a.barcode);
    return { library: name, barcode: a.barcode, address };
  }

  async libraryExport(input: LibraryExportArgs): Promise<LibraryExportResult> {
    const a = LibraryExportArgs.parse(input);
    const lib = this.#libraryFor(a.library);
    const name = lib.config.name;
    const mail = lib.changer.elements.ofType(ElementType.IMPORT_EXPORT);
    const slot = typeof a.slot === 'string' && /^(\d+|0x[0-9a-f]+)$/i.test(a.slot) ? Number(a.slot) : a.slot;
    const resumed = typeof slot === 'string' ? await this.#resumeArchive(slot) : undefined;
    if (resumed !== undefined) return resumed;
    let e: Element | undefined;
    if (typeof slot === 'number') {
      e = mail.find((m) => m.address === slot);
      if (e === undefined) throw new UsageError(`slot ${slot} is not an import/export slot of ${name}; import/export slots are ${range(mail)}`);
      if (e.barcode === undefined) throw new UsageError(`import/export slot ${slot} of ${name} is empty`);
    } else {
      e = lib.changer.elements.findBarcode(slot);
      if (e === undefined) {
        const known = this.#catalog.cartridges.get(slot) !== undefined;
        throw new UsageError(known ? `${slot} is not in ${name}` : `${slot} is neither a cartridge nor an import/export slot address of ${name} (${range(mail)})`);
      }
      if (e.type === ElementType.DATA_TRANSFER) throw new UsageError(`${slot} is loaded in drive ${e.index} of ${name}: unload it first (mtx unload), then move it to an import/export slot`);
      if (e.type !== ElementType.IMPORT_EXPORT) {
        const free = mail.find((m) => m.barcode === undefined);
        throw new UsageError(`${slot} is in ${describe(e)} of ${name}, not in an import/export slot: move it there first${free === undefined ? '' : ` (mtx transfer ${e.index + 1} ${lib.config.slots + free.index + 1})`}`);
      }
    }
    const address = e.address;
    const barcode = await lib.changer.exportCartridge(address);
    if (this.#shelf === undefined) return { library: name, barcode, address };
    const shelved = await this.#shelf.shelve(barcode, name);
    try {
      return { library: name, barcode, address, shelf: await this.#shelf.archiveStep(barcode) };
    } catch (e) {
      // Not yet uploaded: the slot is empty all the same, and the archive follows (tape.archive).
      const code = (e as { code?: unknown }).code;
      if (code === 'VTL_SHELF_BUSY' || code === 'VTL_SHELF_STAGED') return { library: name, barcode, address, shelf: shelved };
      throw e;
    }
  }

  /** `library export BARCODE` of a cartridge already on the shelf whose archive did not finish: go on with it. */
  async #resumeArchive(barcode: string): Promise<LibraryExportResult | undefined> {
    const row = this.#shelf?.row(barcode);
    if (row === undefined || this.#locate(barcode) !== undefined) return undefined;
    if (row.phase !== 'archiving') {
      throw new UsageError(`${barcode} is on the shelf already (${row.phase === 'archived' ? `archived${row.archiveClass === null ? '' : ` in ${row.archiveClass}`}` : row.phase}); bring it back with s3vtl tape retrieve ${barcode}`);
    }
    return { library: row.library ?? '', barcode, address: null, shelf: await this.#shelf!.archiveStep(barcode) };
  }

  /** A barcode the catalog lacks: refused with the barcodes it has (the first 20, then a count). */
  #unknownCartridge(barcode: string): UsageError {
    const known = this.#catalog.cartridges.list().map((r) => r.barcode).sort();
    const shown = known.length === 0 ? 'none (s3vtl tape create makes them)'
      : `${known.slice(0, 20).join(', ')}${known.length > 20 ? ` and ${known.length - 20} more (s3vtl tape list shows them all)` : ''}`;
    return new UsageError(`no cartridge ${barcode} in the catalog; known: ${shown}`);
  }

  // ---- archive shelf ----------------------------------------------------------------

  /** One bounded step of an export's archive (the CLI repeats it until complete). */
  async tapeArchive(input: TapeArchiveArgs): Promise<ShelfStatus> {
    const a = TapeArchiveArgs.parse(input);
    const shelf = this.#needShelf();
    if (this.#catalog.cartridges.get(a.barcode) === undefined) throw this.#unknownCartridge(a.barcode);
    return shelf.archiveStep(a.barcode);
  }

  /**
   * One bounded step of a retrieve: restores, copies back, and once readable
   * the cartridge goes into a free import/export slot as `library import`
   * puts it there (UNIT ATTENTION 28/01).
   */
  async tapeRetrieve(input: TapeRetrieveArgs): Promise<TapeRetrieveResult> {
    const a = TapeRetrieveArgs.parse(input);
    const shelf = this.#needShelf();
    if (this.#catalog.cartridges.get(a.barcode) === undefined) throw this.#unknownCartridge(a.barcode);
    const at = this.#locate(a.barcode);
    if (at !== undefined) throw new UsageError(`${a.barcode} is in ${at.lib.config.name} ${describe(at.element)}: it is not on the shelf, nothing to retrieve`);
    const row = shelf.row(a.barcode);
    const status = row === undefined ? shelf.status(a.barcode) : await shelf.retrieveStep(a.barcode, { tier: a.tier, days: a.days });
    if (!status.complete) return { ...status, location: null, message: null };
    const lib = this.#libraryFor(a.library ?? row?.library ?? undefined);
    const name = lib.config.name;
    const mail = lib.changer.elements.ofType(ElementType.IMPORT_EXPORT);
    const free = a.slot === undefined ? mail.find((m) => m.barcode === undefined) : mail.find((m) => m.address === a.slot && m.barcode === undefined);
    if (free === undefined) {
      const why = mail.length === 0 ? `${name} has no import/export slots`
        : a.slot === undefined ? `every import/export slot of ${name} (${range(mail)}) is full` : `import/export slot ${a.slot} of ${name} is not an empty import/export slot`;
      return {
        ...status, location: null,
        message: `${a.barcode} is readable again but stays on the shelf: ${why}. Empty one (s3vtl library export --library ${name} --slot ADDR), then run s3vtl tape retrieve ${a.barcode} again`,
      };
    }
    const placed = await this.libraryImport({ library: name, barcode: a.barcode, slot: free.address });
    return {
      ...shelf.status(a.barcode), restored: status.restored, restoredBytes: status.restoredBytes, copied: status.copied,
      copiedBytes: status.copiedBytes, objects: status.objects, bytes: status.bytes, complete: true,
      location: { library: name, kind: 'import-export', address: placed.address, index: free.index }, message: null,
    };
  }

  #needShelf(): Shelf {
    if (this.#shelf === undefined) throw new UsageError('this gateway has no archive shelf (no object store is open)');
    return this.#shelf;
  }
}
