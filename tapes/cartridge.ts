// A cartridge: the SequentialMedium a tape drive reads and writes, over a
// segment table in the object store plus the local staging area. Matches the
// shape of scsi/ssc/medium.ts structurally (tapes/ does not import scsi/).
//
// SSC-4 4.2.2: positions are logical object identifiers, blocks and filemarks
// both count, 0 is BOP. Reading a filemark moves past it; at EOD a read does
// not move. A write or WRITE FILEMARKS at a position before EOD makes the new
// object the last one before EOD (the rest is cut, no object is rewritten).
//
// Blocks pass through the pool's RecordCodec (compression, encryption) on the
// way in and out; positions, filemarks and lengths the drive sees are logical,
// while usedBytes and capacity count stored bytes (LTO-style: compressible
// data fits more).

import { defaultEarlyWarning } from './barcode.ts';
import { CartridgeError, CartridgeErrorCode, MediumIntegrityError, PartialWriteError } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { type CutAway, type ManifestSink, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, writeManifest, type Manifest } from './manifest.ts';
import type { ManifestAuth } from './manifest-auth.ts';
import { readManifest } from './manifest-read.ts';
import { lockFor, type LockPolicy, type ObjectStore } from './object-store.ts';
import { RecordCodec } from './record-codec.ts';
import { RECORD_HEADER_BYTES, RecordKind } from './record-format.ts';
import { restoreState } from './cartridge-recovery.ts';
import { SegmentPipeline, type PipelineOptions } from './segment-pipeline.ts';
import { SegmentReader } from './segment-reader.ts';
import { verifyRecord } from './segment-format.ts';
import { StagingJournal } from './staging-journal.ts';
import { lockStaging } from './staging-lock.ts';
import type { TapeModel } from './tape-model.ts';
import { SegmentUploader } from './uploader.ts';
import * as path from 'node:path';

// Structural copies of scsi/ssc/medium.ts types (checked for assignability in wiring).
export interface MediumPosition { readonly objectId: number; readonly fileNumber: number; readonly eodObjectId: number }
export type ReadOutcome = { readonly kind: 'block'; readonly data: Buffer } | { readonly kind: 'filemark' } | { readonly kind: 'end-of-data' };
export type SpaceStop = 'filemark' | 'end-of-data' | 'beginning-of-partition';
export interface SpaceOutcome { readonly spaced: number; readonly stoppedBy?: SpaceStop }
export interface MediumAttributes {
  readonly barcode: string; readonly mediaType: string; readonly worm: boolean; readonly writeProtected: boolean;
  readonly capacityBytes: number; readonly earlyWarningBytes: number;
}

/** What the catalog (or config) says about a cartridge; used to create blank media. */
export interface CartridgeMedium {
  readonly mediaType: string;
  readonly capacityBytes: number;
  readonly worm: boolean;
  readonly pool: string | null;
  readonly writeProtected?: boolean;
  readonly earlyWarningBytes?: number;
}

export interface CartridgeOptions extends PipelineOptions {
  readonly barcode: string;
  readonly store: ObjectStore;
  readonly keys: TapeKeys;
  /** Root of the staging area; this cartridge uses <stagingDir>/<barcode>/. */
  readonly stagingDir: string;
  readonly medium: CartridgeMedium;
  /** Write manifest version 1 (blank media) when the store has none (default false: VTL_CARTRIDGE_NOT_FOUND). */
  readonly create?: boolean;
  /** Shared across cartridges by CartridgePool; created per cartridge when absent. */
  readonly uploader?: SegmentUploader;
  readonly reader?: SegmentReader;
  readonly sink?: ManifestSink;
  /** Newest manifest version the caller knows of (the catalog's), to shorten the listing. */
  readonly manifestHint?: number;
  /** Background failures (uploads, commits, sink) are reported here as well as on the next flush/close. */
  readonly onError?: (e: unknown) => void;
  /** Called once after close() or abandon() released the cartridge. */
  readonly onRelease?: () => void;
  /** How blocks are stored (the pool's compression and encryption, every configured key for reading); default plain. */
  readonly codec?: RecordCodec;
  /** S3 Object Lock on every segment and manifest this cartridge uploads (its pool's objectLock, or WORM media). */
  readonly lock?: LockPolicy;
  /** Sign every manifest written and refuse those read without a valid MAC (config tapes.manifestKey). */
  readonly manifestAuth?: ManifestAuth;
}

const EOD: ReadOutcome = { kind: 'end-of-data' };
const FILEMARK: ReadOutcome = { kind: 'filemark' };
const NO_DATA = Buffer.alloc(0);

export class Cartridge {
  readonly attributes: MediumAttributes;
  readonly #model: TapeModel;
  readonly #pipeline: SegmentPipeline;
  readonly #attrs: Map<number, Buffer>;
  readonly #release: () => Promise<void>;
  readonly #codec: RecordCodec;
  #pos = 0;
  #closed = false;

  private constructor(attributes: MediumAttributes, model: TapeModel, pipeline: SegmentPipeline, attrs: Map<number, Buffer>, release: () => Promise<void>, codec: RecordCodec) {
    this.attributes = attributes;
    this.#codec = codec;
    this.#model = model;
    this.#pipeline = pipeline;
    this.#attrs = attrs;
    this.#release = release;
  }

  /** Open (and with `create`, initialise) a cartridge; recovers staged data after a crash. Position is BOP. */
  static async open(o: CartridgeOptions): Promise<Cartridge> {
    const onError = o.onError ?? (() => undefined);
    const codec = o.codec ?? RecordCodec.PLAIN;
    const auth = o.manifestAuth;
    // The catalog's version is the floor: a newest manifest gone from the store is an error, not a rollback.
    const found = await readManifest(o.store, o.keys, o.barcode, { known: o.manifestHint ?? 0, ...(auth !== undefined && { auth }), ...(o.log !== undefined && { log: o.log }) });
    let manifest = found?.manifest;
    if (manifest === undefined) {
      if (o.create !== true) throw new CartridgeError(CartridgeErrorCode.NOT_FOUND, o.barcode, 'no manifest in the store');
      manifest = blankManifest(o.barcode, o.medium);
      const key = await writeManifest(o.store, o.keys, manifest, o.lock === undefined ? undefined : lockFor(o.lock), auth);
      await Promise.resolve(o.sink?.manifestCommitted(manifest, key)).catch(onError);
    } else if (manifest.version > (o.manifestHint ?? 0)) {
      // A crash between a manifest PUT and the sink (catalog) update leaves the
      // catalog one version behind the store; the sink is idempotent, so tell it.
      await Promise.resolve(o.sink?.manifestCommitted(manifest, o.keys.manifest(o.barcode, manifest.version))).catch(onError);
    }
    const unlock = await lockStaging(path.join(o.stagingDir, o.barcode), o.barcode);
    let journal: StagingJournal | undefined;
    let state;
    try {
      journal = await StagingJournal.open(path.join(o.stagingDir, o.barcode), o.journalCompactAfter);
      const batchBytes = Math.max(64 << 10, o.batchBytes ?? 1 << 20);
      state = await restoreState(o.barcode, manifest, journal.last, journal.dir, batchBytes, (f, s) => o.keys.segment(o.barcode, f, s), codec);
    } catch (e) {
      await journal?.close();
      await unlock();
      throw e;
    }
    const pipeline = new SegmentPipeline(
      {
        barcode: o.barcode, store: o.store, keys: o.keys, journal,
        uploader: o.uploader ?? new SegmentUploader(o.store), reader: o.reader ?? new SegmentReader(o.store),
        model: state.model, manifest, attributes: state.attributes, nextSeq: state.nextSeq, sink: o.sink, onError,
        // The manifest's list passed manifest-check.ts; the pipeline deletes only this cartridge's segment keys of either.
        cutAway: mergeCutAway(manifest.cutAway, journal.last?.cutAway),
        // Versions refused above stay in the store: the next commit goes past them.
        versionFloor: found?.newest ?? manifest.version,
        ...(auth !== undefined && { auth }),
        ...(codec.isPlain ? {} : { encoding: codec.encoding }),
        ...(o.lock !== undefined && { lock: o.lock }),
      },
      o,
    );
    const capacityBytes = manifest.medium.capacityBytes;
    const attributes: MediumAttributes = {
      barcode: o.barcode,
      mediaType: manifest.medium.mediaType,
      // WORM once, WORM always: a manifest (a forged one, without a manifest key) cannot lift what the catalog knows.
      worm: manifest.medium.worm || o.medium.worm,
      writeProtected: o.medium.writeProtected ?? false,
      capacityBytes,
      earlyWarningBytes: o.medium.earlyWarningBytes ?? defaultEarlyWarning(capacityBytes),
    };
    const release = async (): Promise<void> => {
      await unlock().catch(onError);
      o.onRelease?.();
    };
    return new Cartridge(attributes, state.model, pipeline, state.attributes, release, codec);
  }

  position(): MediumPosition {
    return { objectId: this.#pos, fileNumber: this.#model.fileNumber(this.#pos), eodObjectId: this.#model.eod };
  }

  /** Whether `objectId` is the first object of a file: BOT, or just after a filemark. */
  startsFile(objectId: number): boolean {
    return objectId === 0 || this.#model.isFilemark(objectId - 1);
  }

  /**
   * Stored bytes before EOD. The drive checks room with logical lengths (it
   * cannot know how a block will store), so the last write may store up to 28
   * bytes per block (encryption) past capacity; reported as full, not beyond.
   */
  usedBytes(): number {
    return Math.min(this.#model.usedBytes, this.attributes.capacityBytes);
  }

  /** The newest manifest committed to the store by this cartridge. */
  get manifest(): Manifest {
    return this.#pipeline.manifest;
  }

  async read(): Promise<ReadOutcome> {
    this.#checkOpen();
    const p = this.#pos;
    if (p >= this.#model.eod) return EOD;
    if (this.#model.isFilemark(p)) {
      this.#pos = p + 1;
      return FILEMARK;
    }
    const { ref, record } = this.#model.find(p);
    let data: Buffer;
    try {
      const index = await this.#pipeline.index(ref);
      const length = index.length(record);
      const image = await this.#pipeline.read(ref, index.offset(record), RECORD_HEADER_BYTES + length);
      // CRC32C first (it covers the stored bytes): a damaged record is a medium
      // error before any key is involved; then GCM authentication and inflate.
      const coding = verifyRecord(image, RecordKind.DATA, length, index.crc(record));
      if (typeof coding === 'string') throw new Error(coding);
      const stored = image.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + length);
      data = coding === 0 && ref.encoding?.encryption === undefined
        ? stored
        : this.#codec.decode(stored, coding, this.attributes.barcode, p, ref.encoding?.encryption?.keyId);
    } catch (e) {
      if (e instanceof CartridgeError) throw e;
      const where = ref.staging !== undefined ? `staging segment ${ref.seq}` : ref.key;
      throw new MediumIntegrityError(p, `${this.attributes.barcode}: object ${p} in ${where}: ${(e as Error).message}`);
    }
    this.#pos = p + 1;
    return { kind: 'block', data };
  }

  async write(data: Buffer, blockLength: number): Promise<void> {
    this.#checkWritable();
    if (!Number.isSafeInteger(blockLength) || blockLength <= 0 || data.length % blockLength !== 0) {
      throw new CartridgeError(CartridgeErrorCode.INVALID_ARGUMENT, this.attributes.barcode, `${data.length} bytes is not a multiple of block length ${blockLength}`);
    }
    if (data.length === 0) return;
    // Shared staging limit: wait (or fail) before anything of the write is on the tape.
    await this.#pipeline.admit();
    // Encoded before the capacity check, which counts stored bytes. Object ids
    // are known up front: the blocks go at the position, which becomes EOD.
    const encoded = this.#encode(data, blockLength, this.#pos);
    // The smaller of stored and logical: a write the drive found room for by
    // its logical length is not refused for the encryption overhead.
    await this.#truncateHere(Math.min(encoded?.bytes ?? data.length, data.length));
    let i = 0;
    try {
      for (let off = 0; off < data.length; off += blockLength, i++) {
        if (encoded === undefined) await this.#pipeline.append(RecordKind.DATA, data.subarray(off, off + blockLength), false);
        else await this.#pipeline.append(RecordKind.DATA, encoded.stored[i]!, false, encoded.codings[i]!);
      }
    } catch (e) {
      // The blocks appended before the failure stay on the tape, and the position follows them.
      this.#pos = this.#model.eod;
      if (i > 0 && e instanceof CartridgeError) throw new PartialWriteError(this.attributes.barcode, i, e);
      throw e;
    }
    this.#pos = this.#model.eod;
  }

  async writeFilemarks(count: number): Promise<void> {
    this.#checkWritable();
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new CartridgeError(CartridgeErrorCode.INVALID_ARGUMENT, this.attributes.barcode, `filemark count ${count}`);
    }
    if (count === 0) return this.flush();
    // A full staging disk refuses filemarks before any is appended, as it refuses writes.
    await this.#pipeline.resume();
    await this.#truncateHere(0);
    try {
      for (let i = 0; i < count; i++) await this.#pipeline.append(RecordKind.FILEMARK, NO_DATA, true);
    } finally {
      this.#pos = this.#model.eod;
    }
  }

  async erase(): Promise<void> {
    this.#checkWritable();
    await this.#truncateHere(0);
  }

  async spaceBlocks(count: number): Promise<SpaceOutcome> {
    this.#checkOpen();
    const r = this.#model.spaceBlocks(this.#pos, count);
    this.#pos = r.position;
    return r.stoppedBy === undefined ? { spaced: r.spaced } : { spaced: r.spaced, stoppedBy: r.stoppedBy };
  }

  async spaceFilemarks(count: number): Promise<SpaceOutcome> {
    this.#checkOpen();
    const r = this.#model.spaceFilemarks(this.#pos, count);
    this.#pos = r.position;
    return r.stoppedBy === undefined ? { spaced: r.spaced } : { spaced: r.spaced, stoppedBy: r.stoppedBy };
  }

  async spaceToEndOfData(): Promise<void> {
    this.#checkOpen();
    this.#pos = this.#model.eod;
  }

  async locate(objectId: number): Promise<boolean> {
    this.#checkOpen();
    if (!Number.isSafeInteger(objectId) || objectId < 0) {
      throw new CartridgeError(CartridgeErrorCode.INVALID_ARGUMENT, this.attributes.barcode, `locate ${objectId}`);
    }
    this.#pos = Math.min(objectId, this.#model.eod);
    return objectId <= this.#model.eod;
  }

  async rewind(): Promise<void> {
    this.#checkOpen();
    this.#pos = 0;
  }

  async flush(): Promise<void> {
    this.#checkOpen();
    await this.#pipeline.flush();
  }

  readAttribute(id: number): Buffer | undefined {
    const v = this.#attrs.get(id);
    return v === undefined ? undefined : Buffer.from(v);
  }

  async writeAttribute(id: number, value: Buffer): Promise<void> {
    this.#checkOpen();
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
      throw new CartridgeError(CartridgeErrorCode.INVALID_ARGUMENT, this.attributes.barcode, `attribute id ${id}`);
    }
    if (this.attributes.writeProtected) throw new CartridgeError(CartridgeErrorCode.WRITE_PROTECTED, this.attributes.barcode, 'write protected');
    await this.#pipeline.setAttribute(id, value);
  }

  listAttributes(): readonly number[] {
    return [...this.#attrs.keys()].sort((a, b) => a - b);
  }

  /** Unload: seal, upload and commit everything, then release. Unusable afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pipeline.close();
    } catch (e) {
      // A full staging disk: nothing is dropped, the cartridge stays open, and a close once space is back finishes.
      if (e instanceof CartridgeError && e.code === CartridgeErrorCode.NO_SPACE) throw e;
      this.#closed = true;
      await this.#pipeline.abandon();
      await this.#release();
      throw e;
    }
    this.#closed = true;
    await this.#pipeline.abandon();
    await this.#release();
  }

  /**
   * Release without sealing or committing (what a crash leaves behind: the
   * staging area as of the last sync point). For tests and fatal error paths.
   */
  async abandon(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pipeline.abandon();
    await this.#release();
  }

  /** The blocks of `data` as stored from object `first` on; undefined when the codec stores them as given. */
  #encode(data: Buffer, blockLength: number, first: number): { stored: Buffer[]; codings: Uint32Array; bytes: number } | undefined {
    if (this.#codec.isPlain) return undefined;
    const n = data.length / blockLength;
    const stored: Buffer[] = new Array<Buffer>(n);
    const codings = new Uint32Array(n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const e = this.#codec.encode(data.subarray(i * blockLength, (i + 1) * blockLength), this.attributes.barcode, first + i);
      stored[i] = e.stored;
      codings[i] = e.coding;
      bytes += e.stored.length;
    }
    return { stored, codings, bytes };
  }

  /** Cut at the position when it is before EOD, after the WORM, protection and capacity checks. */
  async #truncateHere(adding: number): Promise<void> {
    const p = this.#pos;
    const cutting = p < this.#model.eod;
    if (cutting && this.attributes.worm) {
      throw new CartridgeError(CartridgeErrorCode.WORM, this.attributes.barcode, `WORM: cannot overwrite at ${p} before EOD ${this.#model.eod}`);
    }
    if (cutting) await this.#pipeline.cut(p);
    if (this.#model.usedBytes + adding > this.attributes.capacityBytes) {
      throw new CartridgeError(CartridgeErrorCode.FULL, this.attributes.barcode, `capacity ${this.attributes.capacityBytes} bytes reached`);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new CartridgeError(CartridgeErrorCode.CLOSED, this.attributes.barcode, 'cartridge is closed');
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.attributes.writeProtected) throw new CartridgeError(CartridgeErrorCode.WRITE_PROTECTED, this.attributes.barcode, 'write protected');
  }
}

function blankManifest(barcode: string, medium: CartridgeMedium): Manifest {
  return {
    format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode, version: 1,
    createdAt: new Date().toISOString(),
    medium: { mediaType: medium.mediaType, capacityBytes: medium.capacityBytes, worm: medium.worm, pool: medium.pool },
    segments: [], filemarks: [], eodObjectId: 0, usedBytes: 0, attributes: {}, nextSeq: 1,
  };
}

/**
 * The cut-away segments of the manifest and of the journal together (either
 * may be the newer after a crash between them). Deleting a key twice is
 * harmless; forgetting one leaves it in the bucket for good.
 */
function mergeCutAway(...lists: (readonly CutAway[] | undefined)[]): CutAway[] {
  const until = new Map<string, number>();
  for (const c of lists.flatMap((l) => l ?? [])) until.set(c.key, Math.max(c.until, until.get(c.key) ?? 0));
  return [...until].map(([key, v]) => ({ key, until: v }));
}
