// The write and durability path of one cartridge:
//   append -> open staging segment (batched writes)
//   sync point -> fsync staging file + journal entry
//   seal (size target, flush if configured, close) -> footer + fsync + journal
//   -> background upload (shared SegmentUploader) -> manifest version
//   -> journal rebased on it -> staging file deleted -> ManifestSink told.
// Journal writes, cuts and manifest commits run one at a time (`#serial`), so
// a manifest never holds a state the journal has not recorded first.
//
// Backpressure is gateway-wide (tapes/staging-budget.ts): a write asks
// admit() before it appends, and waits while the staging area is over its
// limit. While the store is unreachable uploads retry without end and a
// manifest commit that fails for the same reason is retried with backoff:
// an outage never poisons the cartridge, only a permanent failure does.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CartridgeError, CartridgeErrorCode, isNoSpace } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { type CutAway, type Manifest, type ManifestSegment, type ManifestSink, type SegmentEncoding, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, encodeManifest, writeManifest } from './manifest.ts';
import type { ManifestAuth } from './manifest-auth.ts';
import { CutAwayLedger } from './cut-away.ts';
import { lockFor, type LockPolicy, type ObjectStore } from './object-store.ts';
import type { RecordCoding, RecordIndex, RecordKind } from './record-format.ts';
import type { SegmentReader } from './segment-reader.ts';
import type { StagingJournal, JournalEntry } from './staging-journal.ts';
import { StagingBudget } from './staging-budget.ts';
import { flushBehindFor, StagingSegment, TRASH_DIR } from './staging-segment.ts';
import { SegmentStream } from './segment-stream.ts';
import { type SegmentRef, type TapeModel, lowerBound } from './tape-model.ts';
import { type SegmentUploader, type TapesLog, backoff, isRetryableStoreError, sleep } from './uploader.ts';

export interface PipelineOptions {
  /** Seal a segment once its staging file reaches this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /**
   * Upload a segment in parts of this size while it is still being written
   * (segment-stream.ts), where the store can (ObjectStore.beginUpload).
   * Default 0: a segment goes up whole once sealed.
   */
  readonly partBytes?: number;
  /** Staging write batch (default 1 MiB). */
  readonly batchBytes?: number;
  /** Seal the open segment at every flush() (default false). */
  readonly sealOnFlush?: boolean;
  /**
   * A sync point (flush) seals the open segment and returns once it is
   * uploaded and named by a committed manifest (config tapes.syncTo: store).
   * Default false: durable in staging.
   */
  readonly syncToStore?: boolean;
  /** How long a sync point to the store waits for the upload and commit (default 600 s). */
  readonly syncWaitMs?: number;
  /** The gateway-wide staging budget (CartridgePool shares one); absent: a private one of maxPendingSegments segments. */
  readonly budget?: StagingBudget;
  /** Without a shared budget: segments of staging this cartridge may hold before writes wait (default 4). */
  readonly maxPendingSegments?: number;
  /** First delay before a manifest commit that failed on an unreachable store is retried (default 500 ms, capped at 30 s). */
  readonly commitBackoffMs?: number;
  /** Warnings (commit retries); upload retries are logged by the uploader. */
  readonly log?: TapesLog;
  /** Manifest versions kept in the store; older ones are deleted (default 8, 0 keeps all). */
  readonly keepManifests?: number;
  /** Staging journal lines before it is rewritten as one (default 512). */
  readonly journalCompactAfter?: number;
}

export interface PipelineContext {
  readonly barcode: string;
  readonly store: ObjectStore;
  readonly keys: TapeKeys;
  readonly journal: StagingJournal;
  readonly uploader: SegmentUploader;
  readonly reader: SegmentReader;
  readonly model: TapeModel;
  readonly manifest: Manifest;
  readonly attributes: Map<number, Buffer>;
  readonly nextSeq: number;
  readonly sink: ManifestSink | undefined;
  readonly onError: (e: unknown) => void;
  /** Stamped on every segment this pipeline opens (record-codec.ts); absent: plain records. */
  readonly encoding?: SegmentEncoding;
  /** S3 Object Lock on every segment and manifest uploaded, retained `days` from each upload. */
  readonly lock?: LockPolicy;
  /** Cut-away segments still to delete: the manifest's and the journal's, merged. */
  readonly cutAway?: readonly CutAway[];
  /** The newest manifest version in the store (newer than `manifest` when those were refused): the next commit is above it. */
  readonly versionFloor?: number;
  /** Sign every manifest (manifest-auth.ts). */
  readonly auth?: ManifestAuth;
}

export const segmentFileName = (seq: number): string => `${seq.toString(16).padStart(8, '0')}.seg`;

export class SegmentPipeline {
  readonly #c: PipelineContext;
  readonly #segmentBytes: number;
  readonly #batchBytes: number;
  readonly #partBytes: number;
  readonly #sealOnFlush: boolean;
  readonly #syncToStore: boolean;
  readonly #syncWaitMs: number;
  readonly #budget: StagingBudget;
  readonly #unregister: () => void;
  readonly #commitBackoffMs: number;
  readonly #log: TapesLog | undefined;
  #manifest: Manifest;
  #nextSeq: number;
  #open: SegmentRef | undefined;
  readonly #uploads = new Map<number, Promise<void>>();
  #serialTail: Promise<unknown> = Promise.resolve();
  #commitTail: Promise<void> = Promise.resolve();
  #failure: unknown;
  #lastJournal = '';
  #newFile = false;
  #abandoned = false;
  /** Aborts retries (uploads, commit backoff) when the cartridge is abandoned. */
  readonly #stop = new AbortController();
  readonly #uploadAborts = new Map<number, AbortController>();
  /** Committed segments an overwrite cut away, deleted with the last kept manifest that names them (cut-away.ts). */
  readonly #cutAway: CutAwayLedger;
  /** Seals running behind the writes (#sealBehind). */
  readonly #sealing = new Set<Promise<void>>();
  /** Uploads in parts of open (and just sealed) segments, by seq. */
  readonly #streams = new Map<number, SegmentStream>();
  /** Manifest commits in a row that failed on an unreachable store. */
  #commitFailures = 0;
  #commitRetry: Promise<void> | undefined;
  /** A manifest whose PUT failed on an unreachable store: retried byte for byte while the tape is unchanged. */
  #unconfirmed: { readonly m: Manifest; readonly ready: SegmentRef[] } | undefined;
  /** Woken after every commit attempt (sync points to the store wait on it). */
  #commitWaiters: (() => void)[] = [];
  /** Segments whose seal (or its journal entry) met a full staging disk: sealed again, in order, by resume(). */
  readonly #stalled: SegmentRef[] = [];
  /** Since when the staging disk has been found full (0: it is not): writes are refused until resume() gets through. */
  #fullSince = 0;

  constructor(context: PipelineContext, options: PipelineOptions = {}) {
    this.#c = context;
    this.#manifest = context.manifest;
    this.#nextSeq = context.nextSeq;
    this.#segmentBytes = Math.max(64 << 10, options.segmentBytes ?? 64 << 20);
    this.#batchBytes = Math.max(64 << 10, options.batchBytes ?? 1 << 20);
    this.#partBytes = context.store.beginUpload === undefined ? 0 : Math.max(0, options.partBytes ?? 0);
    this.#sealOnFlush = options.sealOnFlush ?? false;
    this.#syncToStore = options.syncToStore ?? false;
    this.#syncWaitMs = Math.max(0, options.syncWaitMs ?? 600_000);
    this.#budget = options.budget ?? new StagingBudget({ limitBytes: Math.max(1, options.maxPendingSegments ?? 4) * this.#segmentBytes });
    this.#unregister = this.#budget.register({ barcode: context.barcode, stagedBytes: () => this.stagedBytes() });
    this.#commitBackoffMs = Math.max(1, options.commitBackoffMs ?? 500);
    this.#log = options.log;
    this.#cutAway = new CutAwayLedger({ store: context.store, keys: context.keys, barcode: context.barcode, keep: Math.max(0, options.keepManifests ?? 8), ...(context.cutAway !== undefined && { initial: context.cutAway }) });
    const last = context.model.segments[context.model.segments.length - 1];
    this.#open = last?.state === 'open' ? last : undefined;
    // Parts sent before a restart are lost with their upload id: send the open segment's again.
    if (this.#open !== undefined) this.#stream(this.#open);
    for (const ref of context.model.segments) if (ref.state === 'sealed') this.#startUpload(ref);
    this.#scheduleCommit();
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  /** Bytes of staging files not yet committed to the store (open, sealed, uploading, uploaded). */
  stagedBytes(): number {
    let sum = 0;
    for (const ref of this.#c.model.segments) {
      const staging = ref.staging;
      if (staging === undefined || ref.state === 'committed') continue;
      sum += staging.sealed?.size ?? staging.length;
    }
    return sum;
  }

  /**
   * Backpressure before a write appends anything: waits while the shared
   * staging area is over its limit; VTL_CARTRIDGE_STAGING_FULL after the
   * configured wait (nothing of the write is on the tape then).
   */
  async admit(): Promise<void> {
    this.throwIfFailed();
    await this.resume();
    // An open segment leaves staging only once sealed: when the buffer is full and this
    // cartridge's open segment holds a fair share of it (half of an even split), seal it,
    // so drives never wait for room that only their own open segments could free.
    // The size test comes first: `full` sums every cartridge's staged bytes.
    const open = this.#open;
    if (open !== undefined && open.staging!.length >= this.#budget.limitBytes / (2 * Math.max(1, this.#budget.members)) && this.#budget.full) await this.#seal();
    await this.#budget.admit(this.#c.barcode);
    this.throwIfFailed();
  }

  /** The record index of a segment: in memory while staged, else the store footer (cached). */
  index(ref: SegmentRef): RecordIndex | Promise<RecordIndex> {
    return ref.staging?.index ?? this.#c.reader.index(ref);
  }

  /** Bytes of a record image, from staging when the segment is still there, else the store. */
  async read(ref: SegmentRef, offset: number, length: number): Promise<Buffer> {
    const staging = ref.staging;
    if (staging !== undefined) {
      try {
        return await staging.read(offset, length);
      } catch (e) {
        if (ref.state !== 'committed') throw e;
      }
    }
    return this.#c.reader.read(ref, offset, length);
  }

  /** Append one record at EOD (the caller has cut the tape to the position first). */
  async append(kind: RecordKind, payload: Buffer, isFilemark: boolean, coding?: RecordCoding): Promise<void> {
    this.throwIfFailed();
    let ref = this.#open;
    // A full segment is sealed when the next block comes (filemarks still join it, so a
    // file's closing filemark does not make a segment of its own), and in the background:
    // the footer and its fsync overlap the next writes instead of holding this one.
    if (ref !== undefined && !isFilemark && ref.staging!.length >= this.#segmentBytes) {
      this.#sealBehind(ref);
      ref = undefined;
    }
    try {
      ref ??= await this.#openSegment();
      const pending = ref.staging!.append(kind, payload, coding);
      if (pending !== undefined) await pending;
    } catch (e) {
      throw isNoSpace(e) ? this.#noSpace(e, 'write') : e;
    }
    this.#c.model.appendRecord(isFilemark, payload.length);
    this.#streams.get(ref.seq)?.grown(ref.staging!.written);
  }

  /** Seal `ref` (the open segment) without waiting; sync points, cuts and close wait for it. */
  #sealBehind(ref: SegmentRef): void {
    this.#open = undefined;
    const sealing = this.#sealRef(ref).catch((e: unknown) => {
      if (this.#abandoned) return;
      if (!isNoSpace(e)) return this.#fail(e);
      this.#stalled.push(ref);
      this.#noSpace(e, 'seal');
    });
    this.#sealing.add(sealing);
    void sealing.finally(() => this.#sealing.delete(sealing));
  }

  /** Wait for segments sealing behind the writes. */
  async #sealed(): Promise<void> {
    while (this.#sealing.size > 0) await Promise.all([...this.#sealing]);
    this.throwIfFailed();
  }

  /**
   * Cut the tape at `p` (< EOD) and make the cut durable before returning.
   * While a manifest PUT is in doubt (the store went away mid-request) the
   * cut waits for it: the journal's cut must be relative to a manifest the
   * store is known to hold or not to hold.
   */
  async cut(p: number): Promise<void> {
    const deadline = Date.now() + this.#syncWaitMs;
    await this.#sealed();
    await this.resume();
    try {
      for (;;) {
        await this.#waitConfirmed(deadline);
        if (await this.#serial(() => this.#cut(p))) return;
      }
    } finally {
      this.#scheduleCommit();
    }
  }

  async #cut(p: number): Promise<boolean> {
    if (this.#unconfirmed !== undefined) return false;
    const model = this.#c.model;
    const { ref, record } = model.find(p);
    const prefixBytes = record > 0 ? (await this.index(ref)).dataBytes(record) : 0;
    const dropped = model.cut(p, () => prefixBytes);
    if (!ref.dropped && ref.state === 'open') {
      await ref.staging!.truncate(record);
      ref.records = record;
      // Parts already sent may hold records cut away: start over.
      this.#streams.get(ref.seq)?.abort();
      this.#streams.delete(ref.seq);
      this.#stream(ref);
    }
    if (this.#open?.dropped === true) this.#open = undefined;
    await this.#writeJournal();
    for (const d of dropped) this.#discard(d);
    this.#budget.released();
    return true;
  }

  setAttribute(id: number, value: Buffer): Promise<void> {
    this.#c.attributes.set(id, Buffer.from(value));
    return this.#serial(() => this.#writeJournal()).finally(() => this.#scheduleCommit());
  }

  /**
   * Sync point: staged records durable, journal entry written. With
   * syncToStore the open segment is sealed and this returns once the store
   * holds it and a committed manifest names it (VTL_CARTRIDGE_STAGING after
   * syncWaitMs without that).
   */
  async flush(): Promise<void> {
    await this.#sealed();
    await this.resume();
    const open = this.#open;
    try {
      if (open !== undefined && (this.#sealOnFlush || this.#syncToStore) && !open.staging!.isEmpty) {
        await this.#seal();
      } else {
        await open?.staging!.sync();
        await this.#serial(() => this.#writeJournal());
      }
    } catch (e) {
      throw isNoSpace(e) ? this.#noSpace(e, 'sync point') : e;
    }
    if (this.#syncToStore) await this.#waitCommitted();
  }

  /**
   * After the staging disk was found full: seal the segments whose seal it
   * refused and write out the records held in memory (acknowledged, not yet
   * in the file). Throws VTL_CARTRIDGE_NO_SPACE while the disk is still
   * full; then nothing new may be appended (writes, filemarks), and nothing
   * held is dropped. Cheap when the disk was never full.
   */
  async resume(): Promise<void> {
    this.throwIfFailed();
    if (this.#fullSince === 0 && this.#stalled.length === 0) return;
    try {
      while (this.#stalled.length > 0) {
        await this.#sealRef(this.#stalled[0]!);
        this.#stalled.shift();
      }
      await this.#open?.staging!.drain();
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      throw this.#noSpace(e, 'staging');
    }
    if (this.#fullSince !== 0) {
      this.#log?.warn('staging: space is back, records held in memory are written', {
        barcode: this.#c.barcode, eod: this.#c.model.eod, fullSeconds: Math.round((Date.now() - this.#fullSince) / 1000),
      });
      this.#fullSince = 0;
    }
  }

  /** Bytes of acknowledged records held in memory only (the open segment's batch that the disk refused). */
  get heldBytes(): number {
    let sum = 0;
    for (const ref of this.#c.model.segments) sum += ref.staging?.held ?? 0;
    return sum;
  }

  /** The staging disk refused `what`: VTL_CARTRIDGE_NO_SPACE, logged when the disk is first found full. */
  #noSpace(e: unknown, what: string): CartridgeError {
    if (e instanceof CartridgeError && e.code === CartridgeErrorCode.NO_SPACE) return e;
    const held = this.heldBytes;
    const eod = this.#c.model.eod;
    const where = path.dirname(this.#c.journal.dir);
    const err = new CartridgeError(
      CartridgeErrorCode.NO_SPACE, this.#c.barcode,
      `${what}: no space left in the staging area ${where} (${(e as Error).message}); ` +
        `${held} bytes of acknowledged records up to object ${eod} are held in memory until space returns`,
      { cause: e },
    );
    if (this.#fullSince === 0) {
      this.#fullSince = Date.now();
      this.#log?.error('staging disk full: writes refused, acknowledged records held in memory until space returns', {
        barcode: this.#c.barcode, eod, heldBytes: held, stalledSeals: this.#stalled.length, staging: where, during: what, error: (e as Error).message,
      });
    }
    return err;
  }

  /** Resolve once every sealed segment is uploaded and the newest manifest describes the tape. */
  async #waitCommitted(waitMs = this.#syncWaitMs): Promise<void> {
    const deadline = Date.now() + waitMs;
    this.#scheduleCommit();
    for (;;) {
      this.throwIfFailed();
      const pending = this.#c.model.segments.some((r) => r.state !== 'committed' && r.state !== 'open');
      if (!pending && this.#nextManifest().same) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CartridgeError(CartridgeErrorCode.STAGING, this.#c.barcode, `sync to store: not uploaded and committed after ${waitMs / 1000} s (is the store reachable?)`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#commitWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Seal, upload, commit; then the staging area of this cartridge is empty. */
  async close(): Promise<void> {
    await this.resume();
    if (this.#open !== undefined) await this.#seal();
    await this.#serial(() => this.#writeJournal()).catch((e: unknown) => {
      throw isNoSpace(e) ? this.#noSpace(e, 'unload') : e;
    });
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads.values()]);
    this.throwIfFailed();
    // Like the uploads, a manifest commit waits out an outage.
    await this.#waitCommitted(Number.POSITIVE_INFINITY);
    await this.#commitTail;
    this.throwIfFailed();
    if (this.#c.model.segments.some((r) => r.state !== 'committed')) {
      throw new CartridgeError(CartridgeErrorCode.STAGING, this.#c.barcode, 'segments still staged after close');
    }
    await this.#c.journal.remove();
    await fs.rmdir(this.#c.journal.dir).catch(() => undefined);
  }

  /** Where staged files go to be unlinked in the background: <staging>/.trash (TRASH_DIR). */
  get #trash(): string {
    return path.join(path.dirname(this.#c.journal.dir), TRASH_DIR);
  }

  /** Release file handles; nothing more is committed (crash simulation, after close, error paths). */
  async abandon(): Promise<void> {
    this.#abandoned = true;
    await Promise.allSettled([...this.#sealing]);
    this.#stop.abort();
    for (const a of this.#uploadAborts.values()) a.abort();
    for (const s of this.#streams.values()) s.abort();
    this.#unregister();
    this.#wakeCommitWaiters();
    await this.#c.journal.close();
    for (const ref of this.#c.model.segments) await ref.staging?.close();
  }

  throwIfFailed(): void {
    if (this.#failure !== undefined) {
      throw new CartridgeError(CartridgeErrorCode.STAGING, this.#c.barcode, `background upload or commit failed: ${(this.#failure as Error).message}`, { cause: this.#failure });
    }
  }

  async #openSegment(): Promise<SegmentRef> {
    const model = this.#c.model;
    const seq = this.#nextSeq++;
    const file = path.join(this.#c.journal.dir, segmentFileName(seq));
    const staging = await StagingSegment.create(file, seq, model.eod, this.#batchBytes, flushBehindFor(this.#segmentBytes));
    const ref: SegmentRef = {
      seq, first: model.eod, key: this.#c.keys.segment(this.#c.barcode, model.eod, seq), records: 0, count: 0, dataBytes: 0, size: 0, indexOffset: 0,
      state: 'open', staging, dropped: false, ...(this.#c.encoding === undefined ? {} : { encoding: this.#c.encoding }),
    };
    model.addSegment(ref, []);
    this.#open = ref;
    this.#newFile = true;
    this.#stream(ref);
    return ref;
  }

  /** Start uploading an open segment in parts, where that is configured and the store can. */
  #stream(ref: SegmentRef): void {
    const begin = this.#c.store.beginUpload?.bind(this.#c.store);
    if (this.#partBytes === 0 || begin === undefined) return;
    this.#streams.set(ref.seq, new SegmentStream({ begin, uploader: this.#c.uploader, key: ref.key, path: ref.staging!.path, partBytes: this.#partBytes }));
  }

  /** Seal the open segment (and wait for any sealing behind the writes). */
  async #seal(): Promise<void> {
    const ref = this.#open;
    this.#open = undefined;
    if (ref !== undefined) {
      try {
        await this.#sealRef(ref);
      } catch (e) {
        if (!isNoSpace(e)) throw e;
        this.#stalled.push(ref);
        throw this.#noSpace(e, 'seal');
      }
    }
    await this.#sealed();
  }

  async #sealRef(ref: SegmentRef): Promise<void> {
    const model = this.#c.model;
    if (ref.records === 0) {
      model.segments.splice(model.segments.indexOf(ref), 1);
      await ref.staging!.remove(this.#trash);
      return;
    }
    const { size, indexOffset } = await ref.staging!.seal();
    ref.size = size;
    ref.indexOffset = indexOffset;
    ref.state = 'sealed';
    await this.#serial(() => this.#writeJournal());
    // Abandoned meanwhile (a simulated crash): the journal did not record the seal, so nothing may go up.
    if (this.#abandoned) return;
    this.#startUpload(ref);
    this.throwIfFailed();
  }

  #startUpload(ref: SegmentRef): void {
    ref.state = 'uploading';
    const abort = new AbortController();
    this.#uploadAborts.set(ref.seq, abort);
    const lock = this.#c.lock === undefined ? undefined : lockFor(this.#c.lock);
    const job = { key: ref.key, path: ref.staging!.path, size: ref.size, signal: abort.signal, ...(lock !== undefined && { lock }) };
    const stream = this.#streams.get(ref.seq);
    this.#streams.delete(ref.seq);
    const whole = (): Promise<void> => this.#c.uploader.upload(job);
    let upload: Promise<void>;
    if (stream?.started === true) {
      abort.signal.addEventListener('abort', () => stream.abort(), { once: true });
      upload = stream.finish(ref.size, lock).catch((e: unknown) => {
        stream.abort();
        if (abort.signal.aborted) throw e;
        this.#log?.warn('segment upload in parts failed, uploading it whole', { key: ref.key, error: (e as Error).message });
        return whole();
      });
    } else {
      stream?.abort(); // smaller than a part: nothing was sent
      upload = whole();
    }
    const p = upload.then(
      () => {
        if (ref.dropped) return this.#c.store.delete([ref.key]).catch(() => undefined);
        ref.state = 'uploaded';
        this.#scheduleCommit();
      },
      (e: unknown) => {
        // Cut away while uploading: a put that landed after all must not stay behind.
        if (ref.dropped) return this.#c.store.delete([ref.key]).catch(() => undefined);
        ref.state = 'sealed';
        if (!this.#abandoned) this.#fail(e);
      },
    );
    this.#uploads.set(ref.seq, p);
    void p.finally(() => {
      this.#uploads.delete(ref.seq);
      this.#uploadAborts.delete(ref.seq);
    });
  }

  #discard(ref: SegmentRef): void {
    this.#streams.get(ref.seq)?.abort();
    this.#streams.delete(ref.seq);
    if (ref.state === 'uploaded') void this.#c.store.delete([ref.key]).catch(this.#c.onError);
    // Committed: the manifests kept in the store still name it, up to the newest one.
    if (ref.state === 'committed') this.#cutAway.add(ref.key, this.#manifest.version);
    // An upload retrying through an outage would hold the file until the store returns.
    this.#uploadAborts.get(ref.seq)?.abort();
    const staging = ref.staging;
    ref.staging = undefined;
    if (staging === undefined) return;
    void (this.#uploads.get(ref.seq) ?? Promise.resolve()).finally(() => staging.remove(this.#trash).catch(this.#c.onError));
  }

  #scheduleCommit(): void {
    this.#commitTail = this.#commitTail
      .then(() => this.#commit())
      .then(
        () => {
          this.#commitFailures = 0;
        },
        (e: unknown) => this.#commitFailed(e),
      )
      .finally(() => this.#wakeCommitWaiters());
  }

  /** An unreachable store delays the manifest (retried with capped backoff); anything else fails the cartridge. */
  #commitFailed(e: unknown): void {
    if (this.#abandoned) return;
    // A full staging disk refused the journal entry that rebases on the new manifest: retried like an outage.
    if (!isRetryableStoreError(e) && !isNoSpace(e)) {
      this.#fail(e);
      return;
    }
    this.#commitFailures++;
    if (this.#commitFailures === 1 || this.#commitFailures % 10 === 0) {
      this.#log?.warn('manifest commit failed, retrying', { barcode: this.#c.barcode, failures: this.#commitFailures, error: (e as Error).message });
    }
    if (this.#commitRetry !== undefined) return;
    this.#commitRetry = sleep(backoff(this.#commitFailures, this.#commitBackoffMs, 30_000), this.#stop.signal).then(
      () => {
        this.#commitRetry = undefined;
        this.#scheduleCommit();
      },
      () => {
        this.#commitRetry = undefined;
      },
    );
  }

  #wakeCommitWaiters(): void {
    const waiters = this.#commitWaiters;
    this.#commitWaiters = [];
    for (const w of waiters) w();
  }

  /** What the next manifest would hold: the committed or uploaded prefix of the tape; `same` when that is the newest manifest. */
  #nextManifest(): { ready: SegmentRef[]; segments: ManifestSegment[]; filemarks: number[]; attributes: Record<string, string>; eod: number; same: boolean } {
    const model = this.#c.model;
    const ready: SegmentRef[] = [];
    for (const ref of model.segments) {
      if (ref.state !== 'committed' && ref.state !== 'uploaded') break;
      ready.push(ref);
    }
    const last = ready[ready.length - 1];
    const eod = last === undefined ? 0 : last.first + last.count;
    const segments: ManifestSegment[] = ready.map((r) => ({
      seq: r.seq, key: r.key, first: r.first, records: r.records, count: r.count,
      dataBytes: r.dataBytes, size: r.size, indexOffset: r.indexOffset, ...(r.encoding === undefined ? {} : { encoding: r.encoding }),
    }));
    const filemarks = model.filemarks.slice(0, lowerBound(model.filemarks, eod));
    const attributes = this.#attributeRecord();
    const old = this.#manifest;
    const same = JSON.stringify([old.segments, old.filemarks, old.attributes]) === JSON.stringify([segments, filemarks, attributes]);
    return { ready, segments, filemarks, attributes, eod, same };
  }

  /**
   * One manifest commit. The state is taken inside #serial (after the journal
   * recorded it) but the PUT runs outside it: an outage, with the store's own
   * request retries, must not hold seals and sync points behind it. A PUT in
   * flight or in doubt is `#unconfirmed`; cuts wait for it (#waitConfirmed),
   * seals and attribute changes only add to what the journal holds beyond it.
   */
  async #commit(): Promise<void> {
    if (this.#abandoned) return;
    // A manifest whose PUT may have landed is retried as it was, byte for
    // byte, before any newer state: the store never holds a version the
    // pipeline does not know.
    const retrying = this.#unconfirmed !== undefined;
    if (!retrying && this.#needsRebase()) await this.#serial(() => this.#rebase());
    const pending = this.#unconfirmed ?? (await this.#serial(async () => this.#prepareManifest()));
    if (pending === undefined) return;
    const key = await this.#putManifest(pending);
    await this.#serial(() => this.#committed(pending, key));
    // The tape may have grown while the store was away.
    if (retrying) this.#scheduleCommit();
  }

  #prepareManifest(): { readonly m: Manifest; readonly ready: SegmentRef[] } | undefined {
    if (this.#abandoned) return undefined;
    const { ready, segments, filemarks, attributes, eod, same } = this.#nextManifest();
    if (same) return undefined;
    const old = this.#manifest;
    const version = Math.max(old.version, this.#c.versionFloor ?? 0) + 1;
    const m: Manifest = {
      format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode: this.#c.barcode,
      version, createdAt: new Date().toISOString(), medium: old.medium,
      segments, filemarks, eodObjectId: eod, usedBytes: segments.reduce((s, r) => s + r.dataBytes, 0),
      attributes, nextSeq: this.#nextSeq, ...(version !== old.version + 1 && { base: old.version }),
    };
    const cutAway = this.#cutAway.carriedBy(m.version);
    return { m: cutAway.length > 0 ? { ...m, cutAway } : m, ready };
  }

  /** After the PUT (inside #serial): rebase the journal on the new manifest, free the staged files it names, tell the sink. */
  async #committed(pending: { readonly m: Manifest; readonly ready: SegmentRef[] }, key: string): Promise<void> {
    if (this.#abandoned) return;
    const { m, ready } = pending;
    this.#manifest = m;
    for (const ref of ready) ref.state = 'committed';
    this.#cutAway.prune(m.version, this.#c.onError);
    try {
      await this.#c.sink?.manifestCommitted(m, key);
    } catch (e) {
      this.#c.onError(e);
    }
    await this.#rebase();
  }

  /** The journal is behind the newest manifest, or staged files it names are still there. */
  #needsRebase(): boolean {
    const base = this.#c.journal.last?.base;
    return (base !== undefined && base !== this.#manifest.version) || this.#c.model.segments.some((r) => r.state === 'committed' && r.staging !== undefined);
  }

  /**
   * Rebase the journal on the newest manifest, then free the staged files
   * that manifest names (inside #serial; again after a failure). When a full
   * disk refuses the entry and the journal is one version behind, the files
   * go anyway: recovery from a journal one version behind the store does not
   * open the segments that version names (cartridge-recovery.ts), and their
   * space is what lets the entry be written next time. No newer manifest is
   * prepared until the journal is rebased (#commit), so it is never further
   * behind than that.
   */
  async #rebase(): Promise<void> {
    const freed = this.#c.model.segments.filter((r) => r.state === 'committed' && r.staging !== undefined);
    let failure: unknown;
    try {
      await this.#writeJournal();
    } catch (e) {
      if (!isNoSpace(e) || this.#c.journal.last?.base !== this.#manifest.version - 1) throw e;
      failure = e;
    }
    for (const ref of freed) {
      const staging = ref.staging;
      ref.staging = undefined;
      await staging?.remove(this.#trash);
    }
    if (freed.length > 0) this.#budget.released();
    if (failure !== undefined) throw failure;
  }

  /**
   * Create-only PUT of a manifest. When the store dropped the response of a
   * PUT that landed (an outage mid-request, then the store's own retry), the
   * retry meets the object: it is ours if the bytes are the same.
   */
  async #putManifest(pending: { readonly m: Manifest; readonly ready: SegmentRef[] }): Promise<string> {
    const m = pending.m;
    this.#unconfirmed = pending;
    let key: string;
    try {
      key = await writeManifest(this.#c.store, this.#c.keys, m, this.#c.lock === undefined ? undefined : lockFor(this.#c.lock), this.#c.auth);
    } catch (e) {
      if (!(e instanceof CartridgeError) || e.code !== CartridgeErrorCode.CONFLICT) throw e;
      key = this.#c.keys.manifest(m.barcode, m.version);
      const there = await this.#c.store.get(key);
      if (!there.equals(encodeManifest(m, this.#c.auth))) throw e;
    }
    this.#unconfirmed = undefined;
    return key;
  }

  /** Wait (outside #serial) until no manifest PUT is in doubt; VTL_CARTRIDGE_STAGING at `deadline`. */
  async #waitConfirmed(deadline: number): Promise<void> {
    while (this.#unconfirmed !== undefined) {
      this.throwIfFailed();
      const left = deadline - Date.now();
      if (left <= 0) throw new CartridgeError(CartridgeErrorCode.STAGING, this.#c.barcode, 'overwrite: a manifest is still waiting for the store (is the store reachable?)');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#commitWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Write the journal entry describing the current state (call inside #serial). */
  async #writeJournal(): Promise<void> {
    if (this.#abandoned) return;
    const segments = this.#c.model.segments;
    let keep = 0;
    while (keep < segments.length && segments[keep]!.state === 'committed') keep++;
    const lastKept = segments[keep - 1];
    const entry: JournalEntry = {
      base: this.#manifest.version,
      keep,
      ...(lastKept === undefined ? {} : { trimmed: { seq: lastKept.seq, count: lastKept.count, dataBytes: lastKept.dataBytes } }),
      pending: segments.slice(keep).map((r) => ({
        seq: r.seq, first: r.first,
        count: r.state === 'open' ? Math.min(r.count, r.staging!.synced.records) : r.count,
        bytes: r.state === 'open' ? r.staging!.synced.bytes : r.size,
        sealed: r.state !== 'open',
      })),
      attributes: this.#attributeRecord(),
      nextSeq: this.#nextSeq,
      ...(this.#cutAway.entries.length > 0 && { cutAway: [...this.#cutAway.entries] }),
    };
    const text = JSON.stringify(entry);
    if (text === this.#lastJournal) return;
    await this.#c.journal.append(entry, this.#newFile);
    this.#newFile = false;
    this.#lastJournal = text;
  }

  #attributeRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of [...this.#c.attributes.keys()].sort((a, b) => a - b)) {
      out[`0x${id.toString(16).padStart(4, '0')}`] = this.#c.attributes.get(id)!.toString('base64');
    }
    return out;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serialTail.then(fn, fn);
    this.#serialTail = run.catch(() => undefined);
    return run;
  }

  #fail(e: unknown): void {
    this.#failure ??= e;
    this.#c.onError(e);
  }
}
