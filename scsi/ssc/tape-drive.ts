// TapeDrive: an SSC-4 sequential-access logical unit over a SequentialMedium.
// The command semantics live in the handler files beside this one (read-write,
// position, load-unload, attributes, density); this file holds the drive's
// state, the hooks the SPC base asks for (block descriptor, device-specific
// parameter, MODE SELECT header), and the bay a changer loads cartridges into.
//
// Commands run strictly one at a time in arrival order: execute() and the
// changer's insert()/remove() share one promise chain.
import type { CommandTable } from '../command-table.ts';
import { Status, type Nexus, type ResetKind, type ScsiCommand, type ScsiResult } from '../command.ts';
import { ScsiLogicalUnit, type BlockDescriptor, type ScsiLog } from '../logical-unit.ts';
import { formatSerial } from '../profiles/index.ts';
import type { MediaSupport, TapeDriveProfile } from '../profiles/types.ts';
import { ScsiError, Sense, invalidParameterField, type SenseCode, type SenseDetail } from '../sense.ts';
import { asciiField } from '../spc/vpd.ts';
import type { MediaSource } from './media-source.ts';
import type { SequentialMedium } from './medium.ts';
import { tapeCommands } from './commands.ts';
import { tapeDeviceIdentificationPage } from './identity.ts';
import { addTapeLogPages } from './log-pages.ts';
import { addTapeModePages } from './mode-pages.ts';
import { TapeAlertFlag, TapeSense } from './tape-sense.ts';

/** Where the cartridge is, from the drive's point of view. */
export type BayState =
  | { readonly kind: 'empty' }
  | { readonly kind: 'loading'; readonly barcode: string }
  | { readonly kind: 'ready'; readonly barcode: string; readonly medium: SequentialMedium; readonly support: MediaSupport }
  /** Unloaded with HOLD: in the drive, not threaded; a LOAD makes it ready (04/02 until then). */
  | { readonly kind: 'held'; readonly barcode: string }
  /** Unloaded and ejected: waiting for the picker (3A/00); a LOAD takes it back. */
  | { readonly kind: 'ejected'; readonly barcode: string };

/** A loaded, threaded cartridge. */
export interface Loaded {
  readonly barcode: string;
  readonly medium: SequentialMedium;
  readonly support: MediaSupport;
}

/** Byte counters for LOG SENSE 0Ch and MAM 0220h..0223h. */
export interface TapeCounters {
  hostBytesWritten: number;
  hostBytesRead: number;
  /** Since the cartridge was loaded (MAM 0222h/0223h). */
  loadBytesWritten: number;
  loadBytesRead: number;
  writeErrors: number;
  readErrors: number;
  loads: number;
}

export interface TapeDriveOptions {
  readonly profile: TapeDriveProfile;
  /** Unit serial number (VPD 80h); padded/trimmed to the profile's serial format. */
  readonly serial: string;
  readonly media: MediaSource;
  readonly log?: ScsiLog;
}

/** A cartridge the drive cannot take (generation not in the profile's media list). */
export class IncompatibleMediumError extends Error {
  readonly code = 'VTL_MEDIUM_INCOMPATIBLE';
  constructor(barcode: string, mediaType: string, drive: string) {
    super(`${drive} cannot take ${barcode} (${mediaType})`);
    this.name = 'IncompatibleMediumError';
  }
}

export class TapeDrive extends ScsiLogicalUnit {
  readonly peripheralType = 0x01;
  readonly profile: TapeDriveProfile;
  readonly serial: string;
  readonly counters: TapeCounters = { hostBytesWritten: 0, hostBytesRead: 0, loadBytesWritten: 0, loadBytesRead: 0, writeErrors: 0, readErrors: 0, loads: 0 };
  /** TapeAlert flags set since the last LOG SENSE 2Eh (1..64). */
  readonly tapeAlerts = new Set<number>();
  /** MODE block descriptor BLOCK LENGTH: 0 = variable-block mode. */
  blockLength = 0;
  /** Density code selected by MODE SELECT (0: the medium's own). */
  selectedDensity = 0;
  /** BUFFERED MODE field (0: report GOOD only once data is durable; 1: once the medium accepted it). */
  bufferedMode = 1;
  /** Data compression enabled (mode page 0Fh DCE, 10h SELECT DATA COMPRESSION ALGORITHM). */
  compression: boolean;
  /** Device Configuration REW: report early warning on read (accepted, kept). */
  reportEarlyWarningOnRead = false;
  readonly #media: MediaSource;
  #bay: BayState = { kind: 'empty' };
  /** Initiator ports that sent PREVENT ALLOW MEDIUM REMOVAL with PREVENT=1 (SPC-4: per I_T nexus). */
  readonly #preventers = new Set<string>();
  /** Objects written since the last sync point. */
  #dirty = false;
  /** Given back at start (at EOD): READ/WRITE/WRITE FILEMARKS/ERASE/VERIFY wait for a positioning command. */
  #positionUnconfirmed = false;
  #chain: Promise<unknown> = Promise.resolve();
  /**
   * Data-in that goes with a CHECK CONDITION (READ with ILI/FM/EOD returns the
   * blocks it did read): the dispatcher turns a thrown ScsiError into sense
   * only, so execute() puts the data back.
   */
  readonly #partialData = new WeakMap<ScsiCommand, Buffer>();

  constructor(opts: TapeDriveOptions) {
    const serial = formatSerial(opts.profile.serial, opts.serial);
    const id = opts.profile.identity;
    super({
      identity: { vendor: id.vendor, product: id.product, revision: id.revision, serial, versionDescriptors: [0x00a0, 0x0460], removable: true },
      serial: true,
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
    this.profile = opts.profile;
    this.serial = serial;
    this.#media = opts.media;
    this.compression = opts.profile.compression.capable && opts.profile.compression.enabledByDefault;
    this.vpdPages.add(tapeDeviceIdentificationPage(this.identity, () => this.t10VendorId()));
    // VPD B0h SEQUENTIAL-ACCESS DEVICE CAPABILITIES (SSC-4 8.4.2): byte 4 TSMC(1) WORM(0).
    this.vpdPages.add({ page: 0xb0, name: 'Sequential-Access Device Capabilities', build: () => Buffer.from([opts.profile.capabilities.worm ? 0x01 : 0x00, 0]) });
    addTapeModePages(this);
    addTapeLogPages(this);
  }

  protected override commandTable(): CommandTable<never> {
    return tapeCommands;
  }

  override execute(cmd: ScsiCommand): Promise<ScsiResult> {
    return this.#serialise(async () => {
      const r = await super.execute(cmd);
      const data = this.#partialData.get(cmd);
      return data !== undefined && r.status === Status.CHECK_CONDITION ? { ...r, dataIn: data } : r;
    });
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(work);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** End the command with CHECK CONDITION and still return `data` (SSC-4: READ transfers the blocks before the condition). */
  failWithData(cmd: ScsiCommand, data: Buffer, sense: SenseCode, detail: SenseDetail): never {
    if (data.length > 0) this.#partialData.set(cmd, data);
    throw new ScsiError(sense, detail);
  }

  // ---- state the handlers use ------------------------------------------------

  get bay(): BayState {
    return this.#bay;
  }

  override mediumPresent(): boolean {
    const k = this.#bay.kind;
    return k === 'ready' || k === 'loading' || k === 'held';
  }

  /** REQUEST SENSE without a pending unit attention reports why the drive is not ready. */
  override standingSense(): SenseCode | undefined {
    try {
      this.ready();
      return undefined;
    } catch (err) {
      return err instanceof ScsiError ? err.sense : undefined;
    }
  }

  /** The threaded cartridge, or the NOT READY reason. */
  /**
   * The loaded cartridge, for a command that moves data at the position:
   * refused after the start-up restore until the initiator positions.
   */
  atPosition(): Loaded {
    const l = this.ready();
    if (this.#positionUnconfirmed) throw new ScsiError(TapeSense.positionUnconfirmed);
    return l;
  }

  /** A positioning command (REWIND, SPACE, LOCATE, LOAD) gave the initiator the position. */
  positionConfirmed(): void {
    this.#positionUnconfirmed = false;
  }

  ready(): Loaded {
    const b = this.#bay;
    switch (b.kind) {
      case 'ready':
        return b;
      case 'loading':
        throw new ScsiError(Sense.becomingReady);
      case 'held':
        throw new ScsiError(TapeSense.loadRequired);
      case 'empty':
      case 'ejected':
        throw new ScsiError(Sense.mediumNotPresent);
    }
  }

  /** The loaded cartridge if any, without failing (LOG SENSE, MODE SENSE). */
  loaded(): Loaded | undefined {
    return this.#bay.kind === 'ready' ? this.#bay : undefined;
  }

  /** WRITE, WRITE FILEMARKS, ERASE, WRITE ATTRIBUTE: DATA PROTECT when the cartridge may not be written. */
  checkWritable(l: Loaded): void {
    if (l.medium.attributes.writeProtected) {
      this.tapeAlerts.add(TapeAlertFlag.writeProtect);
      throw new ScsiError(Sense.writeProtected);
    }
    if (l.support.access === 'read-only') throw new ScsiError(Sense.cannotWriteMediumIncompatibleFormat);
  }

  /**
   * WORM: "a WORM cartridge shall not be overwritten" (SSC-4 4.2.21): writing
   * is allowed only at EOD (append), anything else is DATA PROTECT 30/0C.
   */
  checkAppendOnly(l: Loaded): void {
    if (!l.medium.attributes.worm) return;
    const p = l.medium.position();
    if (p.objectId !== p.eodObjectId) throw new ScsiError(Sense.worm);
  }

  /** Write protect as MODE SENSE reports it (WP bit). */
  writeProtectedNow(): boolean {
    const l = this.loaded();
    return l !== undefined && (l.medium.attributes.writeProtected || l.support.access === 'read-only');
  }

  countWritten(bytes: number): void {
    this.counters.hostBytesWritten += bytes;
    this.counters.loadBytesWritten += bytes;
  }

  countRead(bytes: number): void {
    this.counters.hostBytesRead += bytes;
    this.counters.loadBytesRead += bytes;
  }

  /** Something was written that is not yet behind a sync point. */
  markDirty(): void {
    this.#dirty = true;
  }

  /** BUFFERED MODE 0: GOOD only once the data is durable. */
  async syncIfUnbuffered(l: Loaded): Promise<void> {
    if (this.bufferedMode === 0) await this.sync(l);
  }

  /** A sync point (WRITE FILEMARKS IMMED=0, REWIND, UNLOAD, SPACE/LOCATE after writes). */
  async sync(l: Loaded): Promise<void> {
    if (!this.#dirty) return;
    await this.flush(l);
  }

  /**
   * Force a flush (WRITE FILEMARKS 0 with IMMED=0 is the SSC "synchronize"
   * idiom). A medium that cannot make its buffered data durable (a full
   * staging disk) keeps it and says so: MEDIUM ERROR, WRITE ERROR 03/0C/00,
   * and the same command succeeds once it can.
   */
  async flush(l: Loaded): Promise<void> {
    try {
      await l.medium.flush();
    } catch (err) {
      if (err instanceof ScsiError) throw err;
      this.counters.writeErrors++;
      this.tapeAlerts.add(TapeAlertFlag.writeFailure);
      const code = (err as { code?: unknown }).code;
      this.log.error('tape sync point failed: buffered data kept, not yet durable', {
        serial: this.serial, barcode: l.barcode, objectId: l.medium.position().objectId, code: typeof code === 'string' ? code : undefined,
        err: err instanceof Error ? err.message : String(err),
      });
      throw new ScsiError(Sense.writeError);
    }
    this.#dirty = false;
  }

  /** Early-warning and capacity points of the loaded cartridge, in bytes. */
  limits(l: Loaded): { readonly earlyWarning: number; readonly capacity: number } {
    const a = l.medium.attributes;
    return { capacity: a.capacityBytes, earlyWarning: Math.max(0, a.capacityBytes - a.earlyWarningBytes) };
  }

  /** Density code of the loaded cartridge (or the selected/default one when none is loaded). */
  densityCode(): number {
    const l = this.loaded();
    if (l !== undefined) return l.support.density;
    return this.selectedDensity !== 0 ? this.selectedDensity : (this.profile.densities[0]?.code ?? 0);
  }

  /** Does any initiator prevent medium removal? */
  removalPrevented(): boolean {
    return this.#preventers.size > 0;
  }

  setPrevent(port: string, prevent: boolean): void {
    if (prevent) this.#preventers.add(port);
    else this.#preventers.delete(port);
  }

  // ---- SPC base hooks -------------------------------------------------------------

  override modeBlockDescriptor(): BlockDescriptor {
    return { density: this.densityCode(), blocks: 0n, blockLength: this.blockLength };
  }

  /** SSC-4 8.3.3: WP(7) BUFFERED MODE(6-4) SPEED(3-0). */
  override modeDeviceSpecific(): number {
    return (this.writeProtectedNow() ? 0x80 : 0) | ((this.bufferedMode & 7) << 4);
  }

  /**
   * MODE SELECT header and block descriptor (SSC-4 8.3.3): BUFFERED MODE 0..2;
   * DENSITY CODE 0 or 7Fh (no change) or one the drive knows; BLOCK LENGTH 0
   * (variable) or within READ BLOCK LIMITS. WP and SPEED are ignored.
   */
  override modeSelectHeader(deviceSpecific: number, descriptor: BlockDescriptor | undefined, at: number): void {
    const buffered = (deviceSpecific >> 4) & 7;
    if (buffered > 2) throw invalidParameterField(at - 2, 6);
    if (descriptor !== undefined) {
      const d = descriptor.density;
      if (d !== 0 && d !== 0x7f && !this.profile.densities.some((x) => x.code === d)) throw invalidParameterField(at);
      const len = descriptor.blockLength;
      const { min, max } = this.profile.blockLimits;
      if (len !== 0 && (len < min || len > max)) throw invalidParameterField(at + 5);
      if (d !== 0 && d !== 0x7f) this.selectedDensity = d;
      this.blockLength = len;
    }
    this.bufferedMode = buffered;
  }

  protected override onReset(_kind: ResetKind, _by: Nexus | undefined): void {
    this.#preventers.clear();
  }

  protected override onNexusLost(nexus: Nexus): void {
    this.#preventers.delete(nexus.initiatorPort);
  }

  override async close(): Promise<void> {
    await this.#serialise(async () => {
      const b = this.#bay;
      if (b.kind === 'ready') {
        await this.#waitingForSpace(b, () => b.medium.flush());
        await this.#waitingForSpace(b, () => b.medium.close());
        this.#bay = { kind: 'held', barcode: b.barcode };
      }
    });
    await super.close();
  }

  /**
   * Stopping: acknowledged records the medium holds in memory because its
   * staging disk is full have nowhere else to go, so the stop waits for
   * space (as it waits for an unreachable store), logging every minute.
   */
  async #waitingForSpace(l: Loaded, op: () => Promise<void>): Promise<void> {
    for (let waited = 0; ; waited++) {
      try {
        await op();
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'VTL_CARTRIDGE_NO_SPACE') throw err;
        if (waited % 60 === 0) {
          this.log.error('stopping: waiting for space in the staging area to write what the drive holds', {
            serial: this.serial, barcode: l.barcode, objectId: l.medium.position().objectId, waitedSeconds: waited, err: (err as Error).message,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  // ---- loading and unloading -----------------------------------------------------

  /** Open the cartridge and thread it: BOP, ready, UNIT ATTENTION 28/00 for every other nexus. */
  async thread(barcode: string, except?: string): Promise<void> {
    this.#bay = { kind: 'loading', barcode };
    let opened: Loaded;
    try {
      opened = await this.#openCompatible(barcode);
    } catch (err) {
      this.#bay = { kind: 'held', barcode };
      throw err;
    }
    this.#becomeReady(opened, except);
  }

  /** Open through the MediaSource and check the drive can take that generation. */
  async #openCompatible(barcode: string): Promise<Loaded> {
    const medium = await this.#media.open(barcode);
    const support = this.profile.media.find((m) => m.mediaType === medium.attributes.mediaType);
    if (support === undefined || (medium.attributes.worm && !this.profile.capabilities.worm)) {
      await medium.close();
      this.tapeAlerts.add(TapeAlertFlag.unsupportedFormat);
      throw new IncompatibleMediumError(barcode, medium.attributes.mediaType, this.profile.name);
    }
    return { barcode, medium, support };
  }

  #becomeReady(l: Loaded, except?: string): void {
    this.#bay = { kind: 'ready', barcode: l.barcode, medium: l.medium, support: l.support };
    this.#positionUnconfirmed = false;
    this.#dirty = false;
    this.counters.loads++;
    this.counters.loadBytesWritten = 0;
    this.counters.loadBytesRead = 0;
    this.unitAttentions.establishAll(Sense.notReadyToReadyChange, except);
  }

  /** Flush, rewind and close the cartridge; it stays in the drive (`held`) or is ejected. */
  async unthread(eject: boolean): Promise<void> {
    const b = this.#bay;
    if (b.kind === 'ready') {
      await this.flush(b);
      await b.medium.rewind();
      try {
        await b.medium.close();
      } catch (err) {
        // The cartridge stays threaded: an UNLOAD (or MOVE MEDIUM) once the cause is gone finishes it.
        if (err instanceof ScsiError || (err as { code?: unknown }).code !== 'VTL_CARTRIDGE_NO_SPACE') throw err;
        this.log.error('unload failed: staging disk full, the cartridge stays loaded', { serial: this.serial, barcode: b.barcode, err: (err as Error).message });
        throw new ScsiError(Sense.writeError);
      }
    }
    if (b.kind !== 'empty') this.#bay = eject ? { kind: 'ejected', barcode: b.barcode } : { kind: 'held', barcode: b.barcode };
  }

  // ---- the bay a changer sees (scsi/smc DriveBay) -----------------------------------

  /** Barcode of the cartridge in the drive, threaded or not. */
  cartridge(): string | undefined {
    return this.#bay.kind === 'empty' ? undefined : this.#bay.barcode;
  }

  /**
   * The changer put a cartridge in: the drive loads it at once (library drives
   * auto-load). Rejects with IncompatibleMediumError or the MediaSource's error;
   * the cartridge then stays out of the drive. `atEndOfData` leaves it at EOD
   * (the changer's start-up restore), else it is at BOP.
   */
  async insert(barcode: string, options: { readonly atEndOfData?: boolean } = {}): Promise<void> {
    // The drive is "loading" while the cartridge opens (an object store may
    // take a while): commands in between are answered NOT READY 04/01
    // BECOMING READY instead of waiting behind the load.
    await this.#serialise(async () => {
      if (this.#bay.kind !== 'empty') throw new Error(`drive ${this.serial} already holds ${this.cartridge() ?? ''}`);
      this.#bay = { kind: 'loading', barcode };
    });
    let opened: Loaded;
    try {
      opened = await this.#openCompatible(barcode);
      if (options.atEndOfData === true) await opened.medium.spaceToEndOfData().catch(async (e: unknown) => { await opened.medium.close(); throw e; });
    } catch (err) {
      await this.#serialise(async () => {
        this.#bay = { kind: 'empty' };
      });
      throw err;
    }
    await this.#serialise(async () => {
      const b = this.#bay;
      if (b.kind !== 'loading' || b.barcode !== barcode) {
        await opened.medium.close();
        throw new Error(`drive ${this.serial}: cartridge ${barcode} was taken out while loading`);
      }
      this.#becomeReady(opened);
      this.#positionUnconfirmed = options.atEndOfData === true;
    });
  }

  /** The changer takes the cartridge out: unload first if it is still threaded. Returns its barcode. */
  remove(): Promise<string> {
    return this.#serialise(async () => {
      const b = this.#bay;
      if (b.kind === 'empty') throw new Error(`drive ${this.serial} is empty`);
      await this.unthread(true);
      this.#bay = { kind: 'empty' };
      return b.barcode;
    });
  }

  /**
   * DVCID / VPD 83h T10 vendor identification: VENDOR (8) PRODUCT (16) SERIAL,
   * the layout IBM and StorageTek libraries report for their drives.
   */
  t10VendorId(): Buffer {
    const id = this.profile.identity;
    return Buffer.concat([asciiField(id.vendor, 8), asciiField(id.product, 16), Buffer.from(this.serial, 'ascii')]);
  }
}
