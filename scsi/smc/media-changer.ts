// MediaChanger: an SMC-3 medium changer logical unit. It owns the element
// model and the library state store, moves cartridges between slots, mail
// slots and drives (DriveBay), and gives the operator import/export.
//
// Commands and operator actions run one at a time, in arrival order, on one
// promise chain; a move into or out of a drive also waits for that drive's
// own command queue (DriveBay.insert/remove).
import type { CommandTable } from '../command-table.ts';
import type { Nexus, ResetKind, ScsiCommand, ScsiResult } from '../command.ts';
import { ScsiLogicalUnit, type ScsiLog } from '../logical-unit.ts';
import { formatSerial } from '../profiles/index.ts';
import type { ChangerProfile } from '../profiles/types.ts';
import { ScsiError, Sense, SenseKey, type SenseCode } from '../sense.ts';
import { changerCommands, changerCommandsWithExchange } from './commands.ts';
import { BAY_MEDIUM_FORMAT_CODE, type DriveBay } from './drive-bay.ts';
import { ElementMap, ElementType, type Element } from './elements.ts';
import type { ElementChange, LibraryStateStore } from './library-state.ts';
import { addChangerModePages } from './mode-pages.ts';

/** ILLEGAL REQUEST, INCOMPATIBLE MEDIUM INSTALLED: the destination drive cannot take that cartridge. */
const incompatibleMedium: SenseCode = { key: SenseKey.ILLEGAL_REQUEST, asc: 0x30, ascq: 0x00 };

export interface MediaChangerOptions {
  readonly profile: ChangerProfile;
  readonly serial: string;
  /** Storage elements. */
  readonly slots: number;
  /** Import/export (mail) elements. */
  readonly mailslots: number;
  /** The drives, in data transfer element order; `lun` is the drive's LUN on this target. */
  readonly drives: ReadonlyArray<{ readonly bay: DriveBay; readonly lun?: number }>;
  readonly state: LibraryStateStore;
  readonly log?: ScsiLog;
}

/** An operator request the library cannot do (stable `code`, like VtlError). */
export class LibraryError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LibraryError';
    this.code = code;
  }
}

/** One element as the operator sees it. */
export interface InventoryEntry {
  readonly address: number;
  readonly type: 'transport' | 'storage' | 'import-export' | 'data-transfer';
  readonly index: number;
  readonly barcode: string | undefined;
  readonly source: number | undefined;
}

const typeName = { 1: 'transport', 2: 'storage', 3: 'import-export', 4: 'data-transfer' } as const;

export class MediaChanger extends ScsiLogicalUnit {
  readonly peripheralType = 0x08;
  readonly profile: ChangerProfile;
  readonly elements: ElementMap;
  readonly #state: LibraryStateStore;
  readonly #table: CommandTable<MediaChanger>;
  readonly #preventers = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: MediaChangerOptions) {
    const p = opts.profile;
    const serial = formatSerial(p.serial, opts.serial);
    super({
      identity: { vendor: p.identity.vendor, product: p.identity.product, revision: p.identity.revision, serial, versionDescriptors: [0x00a0, 0x0460], removable: true },
      serial: true,
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
    if (opts.slots < 1 || opts.slots > p.limits.storage) throw new RangeError(`${p.name}: slots must be 1..${p.limits.storage}`);
    if (opts.mailslots < 0 || opts.mailslots > p.limits.importExport) throw new RangeError(`${p.name}: mailslots must be 0..${p.limits.importExport}`);
    if (opts.drives.length > p.limits.dataTransfer) throw new RangeError(`${p.name}: at most ${p.limits.dataTransfer} drives`);
    this.profile = p;
    this.elements = new ElementMap(p.addressBases, { storage: opts.slots, importExport: opts.mailslots, drives: opts.drives });
    this.#state = opts.state;
    this.#table = p.capabilities.exchangeMedium ? changerCommandsWithExchange : changerCommands;
    addChangerModePages(this.modePages, this.elements, p.capabilities.exchangeMedium);
    for (const c of opts.state.load()) {
      const e = this.elements.byRef(c.element);
      if (e === undefined) {
        this.log.warn('library state names an element this configuration does not have; cartridge ignored', { element: c.element, barcode: c.barcode });
        continue;
      }
      e.barcode = c.barcode;
      e.source = c.source === undefined ? undefined : this.elements.byRef(c.source)?.address;
      e.imported = c.imported === true;
    }
  }

  protected override commandTable(): CommandTable<never> {
    return this.#table;
  }

  override execute(cmd: ScsiCommand): Promise<ScsiResult> {
    return this.#serialise(() => super.execute(cmd));
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(work);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Start-up: put the cartridges the state records in drives back into them,
   * each at its end of data. The initiator's idea of the position did not
   * survive the restart (it gets a unit attention), but a backup application
   * or st often writes before it repositions (st writes a filemark when the
   * device is closed after a write): at EOD that appends, where at BOP it would
   * have erased the whole cartridge. Reading or rewriting needs a positioning
   * command first, as after any load. One that cannot be loaded goes back to
   * its source slot (or the first empty one) and is reported through the log.
   */
  restore(): Promise<void> {
    return this.#serialise(async () => {
      for (const e of this.elements.ofType(ElementType.DATA_TRANSFER)) {
        const barcode = e.barcode;
        if (barcode === undefined || e.drive === undefined || e.drive.cartridge() === barcode) continue;
        try {
          await e.drive.insert(barcode, { atEndOfData: true });
        } catch (err) {
          const home = this.#homeFor(e);
          this.log.warn('cartridge recorded in a drive could not be loaded; returned to a slot', {
            barcode, drive: e.drive.serial, slot: home?.address, err: err instanceof Error ? err.message : String(err),
          });
          if (home === undefined) continue;
          this.#place(home, barcode, e.address, false);
          e.barcode = undefined;
          e.source = undefined;
          await this.#persist([e, home]);
        }
      }
    });
  }

  #homeFor(e: Element): Element | undefined {
    const src = e.source === undefined ? undefined : this.elements.get(e.source);
    if (src !== undefined && src.type === ElementType.STORAGE && src.barcode === undefined) return src;
    return this.elements.ofType(ElementType.STORAGE).find((s) => s.barcode === undefined);
  }

  #place(e: Element, barcode: string, source: number | undefined, imported: boolean): void {
    e.barcode = barcode;
    e.source = source;
    e.imported = imported;
  }

  #empty(e: Element): void {
    e.barcode = undefined;
    e.source = undefined;
    e.imported = false;
  }

  async #persist(changed: readonly Element[]): Promise<void> {
    const changes: ElementChange[] = [];
    for (const e of changed) {
      const element = this.elements.ref(e);
      if (element === undefined) continue;
      const source = e.source === undefined ? undefined : this.elements.get(e.source);
      const sourceRef = source === undefined ? undefined : this.elements.ref(source);
      changes.push({
        element,
        occupant: e.barcode === undefined ? undefined : { barcode: e.barcode, ...(sourceRef === undefined ? {} : { source: sourceRef }), ...(e.imported ? { imported: true } : {}) },
      });
    }
    await this.#state.save(changes);
  }

  /** Take a cartridge out of a drive element (unloading it) or just off a shelf. */
  async #take(e: Element): Promise<string> {
    const barcode = e.barcode;
    if (barcode === undefined) throw new ScsiError(Sense.mediumSourceElementEmpty);
    if (e.drive !== undefined && e.drive.cartridge() !== undefined) {
      const got = await e.drive.remove();
      if (got !== barcode) this.log.warn('drive held another cartridge than the library recorded', { drive: e.drive.serial, recorded: barcode, found: got });
    }
    return barcode;
  }

  /** Put a cartridge into a drive element (the drive loads it); other elements just hold it. */
  async #give(e: Element, barcode: string): Promise<void> {
    if (e.drive === undefined) return;
    try {
      await e.drive.insert(barcode);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'VTL_MEDIUM_INCOMPATIBLE') throw new ScsiError(incompatibleMedium);
      if (code === BAY_MEDIUM_FORMAT_CODE) {
        this.log.error('cartridge cannot be loaded: its description in the store failed its checks', { barcode, drive: e.drive.serial, err: (err as Error).message });
        throw new ScsiError(Sense.mediumFormatCorrupted);
      }
      throw err;
    }
  }

  /** MOVE MEDIUM's effect (the handler checked the rules). */
  async move(src: Element, dst: Element): Promise<void> {
    const barcode = await this.#take(src);
    try {
      await this.#give(dst, barcode);
    } catch (err) {
      await this.#giveBack(src, barcode);
      throw err;
    }
    this.#place(dst, barcode, src.address, false);
    this.#empty(src);
    await this.#persist([src, dst]);
  }

  /** EXCHANGE MEDIUM's effect: src -> dst1, dst1's cartridge -> dst2. */
  async exchange(src: Element, dst1: Element, dst2: Element): Promise<void> {
    const a = await this.#take(src);
    let b: string;
    try {
      b = await this.#take(dst1);
    } catch (err) {
      await this.#giveBack(src, a);
      throw err;
    }
    try {
      await this.#give(dst1, a);
      await this.#give(dst2, b);
    } catch (err) {
      this.log.error('EXCHANGE MEDIUM failed halfway; cartridges may need an operator', { a, b, err: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    const fromSrc = src.address;
    const fromDst1 = dst1.address;
    if (dst2 !== src) this.#empty(src);
    this.#place(dst1, a, fromSrc, false);
    this.#place(dst2, b, fromDst1, false);
    await this.#persist(dst2 === src ? [src, dst1] : [src, dst1, dst2]);
  }

  async #giveBack(e: Element, barcode: string): Promise<void> {
    if (e.drive === undefined) return;
    try {
      await e.drive.insert(barcode);
    } catch (err) {
      this.log.error('could not put a cartridge back into its drive after a failed move', { barcode, drive: e.drive.serial, err: err instanceof Error ? err.message : String(err) });
    }
  }

  // ---- PREVENT ALLOW (import/export access) ----------------------------------------

  setPrevent(port: string, prevent: boolean): void {
    if (prevent) this.#preventers.add(port);
    else this.#preventers.delete(port);
  }

  /** An initiator locked the import/export elements against the operator. */
  mailslotsLocked(): boolean {
    return this.#preventers.size > 0;
  }

  protected override onReset(_kind: ResetKind, _by: Nexus | undefined): void {
    this.#preventers.clear();
  }

  protected override onNexusLost(nexus: Nexus): void {
    this.#preventers.delete(nexus.initiatorPort);
  }

  // ---- the operator's side ----------------------------------------------------------

  /** The whole inventory, in address order. */
  inventory(): InventoryEntry[] {
    return this.elements.all().map((e) => ({ address: e.address, type: typeName[e.type], index: e.index, barcode: e.barcode, source: e.source }));
  }

  /**
   * The operator puts a cartridge into a mail slot (the first empty one, or
   * `address`): UNIT ATTENTION 28/01 IMPORT OR EXPORT ELEMENT ACCESSED for
   * every initiator, so backup software rescans.
   */
  importCartridge(barcode: string, address?: number): Promise<number> {
    return this.#serialise(async () => {
      this.#checkOperatorAccess();
      this.#checkNew(barcode);
      const e = this.#mailslot(address, (m) => m.barcode === undefined, 'VTL_LIBRARY_MAILSLOT_FULL', 'no empty import/export element');
      this.#place(e, barcode, undefined, true);
      await this.#persist([e]);
      this.unitAttentions.establishAll(Sense.importExportElementAccessed);
      return e.address;
    });
  }

  /** The operator takes a cartridge out of a mail slot: 28/01 for every initiator. */
  exportCartridge(address: number): Promise<string> {
    return this.#serialise(async () => {
      this.#checkOperatorAccess();
      const e = this.#mailslot(address, (m) => m.barcode !== undefined, 'VTL_LIBRARY_MAILSLOT_EMPTY', 'that import/export element is empty');
      const barcode = e.barcode ?? '';
      this.#empty(e);
      await this.#persist([e]);
      this.unitAttentions.establishAll(Sense.importExportElementAccessed);
      return barcode;
    });
  }

  /**
   * Administration with the library door open: put a new cartridge straight
   * into a storage slot (the first empty one, or `address`), or take one out
   * of storage. 28/00 NOT READY TO READY CHANGE for every initiator, as a
   * library reports after its door closes.
   */
  addCartridge(barcode: string, address?: number): Promise<number> {
    return this.#serialise(async () => {
      this.#checkNew(barcode);
      const slots = this.elements.ofType(ElementType.STORAGE);
      const e = address === undefined ? slots.find((s) => s.barcode === undefined) : slots.find((s) => s.address === address);
      if (e === undefined || e.barcode !== undefined) throw new LibraryError('VTL_LIBRARY_SLOT_UNAVAILABLE', address === undefined ? 'no empty storage slot' : `storage slot ${address} is not an empty slot`);
      this.#place(e, barcode, undefined, false);
      await this.#persist([e]);
      this.unitAttentions.establishAll(Sense.notReadyToReadyChange);
      return e.address;
    });
  }

  removeCartridge(barcode: string): Promise<void> {
    return this.#serialise(async () => {
      const e = this.elements.findBarcode(barcode);
      if (e === undefined) throw new LibraryError('VTL_LIBRARY_NO_SUCH_CARTRIDGE', `${barcode} is not in the library`);
      if (e.type === ElementType.DATA_TRANSFER) throw new LibraryError('VTL_LIBRARY_CARTRIDGE_IN_DRIVE', `${barcode} is in a drive; move it to a slot first`);
      this.#empty(e);
      await this.#persist([e]);
      this.unitAttentions.establishAll(Sense.notReadyToReadyChange);
    });
  }

  #checkOperatorAccess(): void {
    if (this.mailslotsLocked()) throw new LibraryError('VTL_LIBRARY_PREVENTED', 'an initiator prevents medium removal (PREVENT ALLOW MEDIUM REMOVAL); the mail slots are locked');
  }

  #checkNew(barcode: string): void {
    if (!/^[\x21-\x7e]{1,32}$/.test(barcode)) throw new LibraryError('VTL_LIBRARY_BAD_BARCODE', `barcode ${JSON.stringify(barcode)} must be 1-32 printable characters`);
    if (this.elements.findBarcode(barcode) !== undefined) throw new LibraryError('VTL_LIBRARY_DUPLICATE_BARCODE', `${barcode} is already in the library`);
  }

  #mailslot(address: number | undefined, ok: (e: Element) => boolean, code: string, message: string): Element {
    const slots = this.elements.ofType(ElementType.IMPORT_EXPORT);
    const e = address === undefined ? slots.find(ok) : slots.find((s) => s.address === address);
    if (e === undefined || !ok(e)) throw new LibraryError(code, address === undefined ? message : `${message} (${address})`);
    return e;
  }
}
