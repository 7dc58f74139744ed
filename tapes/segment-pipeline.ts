// The write and durability path of one cartridge:
//   append -> open staging segment (batched writes)
//   sync point -> fsync staging file + journal entry
//   seal (size target, flush if configured, close) -> footer + fsync + journal
//   -> background upload (shared SegmentUploader) -> manifest version
//   -> journal rebased on it -> staging file deleted -> ManifestSink told.
// Journal writes, cuts and manifest commits run one at a time (`#serial`), so
// a manifest never holds a state the journal has not recorded first.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { type Manifest, type ManifestSegment, type ManifestSink, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, writeManifest } from './manifest.ts';
import type { ObjectStore } from './object-store.ts';
import type { RecordIndex, RecordKind } from './record-format.ts';
import type { SegmentReader } from './segment-reader.ts';
import type { StagingJournal, JournalEntry } from './staging-journal.ts';
import { StagingSegment } from './staging-segment.ts';
import { type SegmentRef, type TapeModel, lowerBound } from './tape-model.ts';
import type { SegmentUploader } from './uploader.ts';

export interface PipelineOptions {
  /** Seal a segment once its staging file reaches this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Staging write batch (default 1 MiB). */
  readonly batchBytes?: number;
  /** Seal the open segment at every flush() (default false). */
  readonly sealOnFlush?: boolean;
  /** Sealed segments waiting for upload before appends wait (default 4). */
  readonly maxPendingSegments?: number;
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
}

export const segmentFileName = (seq: number): string => `${seq.toString(16).padStart(8, '0')}.seg`;

export class SegmentPipeline {
  readonly #c: PipelineContext;
  readonly #segmentBytes: number;
  readonly #batchBytes: number;
  readonly #sealOnFlush: boolean;
  readonly #maxPending: number;
  readonly #keepManifests: number;
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

  constructor(context: PipelineContext, options: PipelineOptions = {}) {
    this.#c = context;
    this.#manifest = context.manifest;
    this.#nextSeq = context.nextSeq;
    this.#segmentBytes = Math.max(64 << 10, options.segmentBytes ?? 64 << 20);
    this.#batchBytes = Math.max(64 << 10, options.batchBytes ?? 1 << 20);
    this.#sealOnFlush = options.sealOnFlush ?? false;
    this.#maxPending = Math.max(1, options.maxPendingSegments ?? 4);
    this.#keepManifests = Math.max(0, options.keepManifests ?? 8);
    const last = context.model.segments[context.model.segments.length - 1];
    this.#open = last?.state === 'open' ? last : undefined;
    for (const ref of context.model.segments) if (ref.state === 'sealed') this.#startUpload(ref);
    this.#scheduleCommit();
  }

  get manifest(): Manifest {
    return this.#manifest;
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
  async append(kind: RecordKind, payload: Buffer, isFilemark: boolean): Promise<void> {
    this.throwIfFailed();
    const ref = this.#open ?? (await this.#openSegment());
    const pending = ref.staging!.append(kind, payload);
    if (pending !== undefined) await pending;
    this.#c.model.appendRecord(isFilemark, payload.length);
    if (ref.staging!.length >= this.#segmentBytes) await this.#seal();
  }

  /** Cut the tape at `p` (< EOD) and make the cut durable before returning. */
  cut(p: number): Promise<void> {
    return this.#serial(async () => {
      const model = this.#c.model;
      const { ref, record } = model.find(p);
      const prefixBytes = record > 0 ? (await this.index(ref)).dataBytes(record) : 0;
      const dropped = model.cut(p, () => prefixBytes);
      if (!ref.dropped && ref.state === 'open') {
        await ref.staging!.truncate(record);
        ref.records = record;
      }
      if (this.#open?.dropped === true) this.#open = undefined;
      await this.#writeJournal();
      for (const d of dropped) this.#discard(d);
    }).finally(() => this.#scheduleCommit());
  }

  setAttribute(id: number, value: Buffer): Promise<void> {
    this.#c.attributes.set(id, Buffer.from(value));
    return this.#serial(() => this.#writeJournal()).finally(() => this.#scheduleCommit());
  }

  /** Sync point: staged records durable, journal entry written. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.#open !== undefined) {
      if (this.#sealOnFlush && !this.#open.staging!.isEmpty) {
        await this.#seal();
        return;
      }
      await this.#open.staging!.sync();
    }
    await this.#serial(() => this.#writeJournal());
  }

  /** Seal, upload, commit; then the staging area of this cartridge is empty. */
  async close(): Promise<void> {
    if (this.#open !== undefined) await this.#seal();
    await this.#serial(() => this.#writeJournal());
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads.values()]);
    this.throwIfFailed();
    this.#scheduleCommit();
    await this.#commitTail;
    this.throwIfFailed();
    if (this.#c.model.segments.some((r) => r.state !== 'committed')) {
      throw new CartridgeError(CartridgeErrorCode.STAGING, this.#c.barcode, 'segments still staged after close');
    }
    await this.#c.journal.remove();
    await fs.rmdir(this.#c.journal.dir).catch(() => undefined);
  }

  /** Release file handles; nothing more is committed (crash simulation, after close, error paths). */
  async abandon(): Promise<void> {
    this.#abandoned = true;
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
    const staging = await StagingSegment.create(file, seq, model.eod, this.#batchBytes);
    const ref: SegmentRef = {
      seq, first: model.eod, key: '', records: 0, count: 0, dataBytes: 0, size: 0, indexOffset: 0,
      state: 'open', staging, dropped: false,
    };
    model.addSegment(ref, []);
    this.#open = ref;
    this.#newFile = true;
    return ref;
  }

  async #seal(): Promise<void> {
    const ref = this.#open;
    if (ref === undefined) return;
    this.#open = undefined;
    const model = this.#c.model;
    if (ref.records === 0) {
      model.segments.splice(model.segments.indexOf(ref), 1);
      await ref.staging!.remove();
      return;
    }
    const { size, indexOffset } = await ref.staging!.seal();
    ref.key = this.#c.keys.segment(this.#c.barcode, ref.first, ref.first + ref.records - 1, ref.seq);
    ref.size = size;
    ref.indexOffset = indexOffset;
    ref.state = 'sealed';
    await this.#serial(() => this.#writeJournal());
    this.#startUpload(ref);
    // Backpressure: the staging area holds at most maxPendingSegments sealed segments.
    while (this.#uploads.size > this.#maxPending) await Promise.race(this.#uploads.values());
    this.throwIfFailed();
  }

  #startUpload(ref: SegmentRef): void {
    ref.state = 'uploading';
    const job = { key: ref.key, path: ref.staging!.path, size: ref.size };
    const p = this.#c.uploader.upload(job).then(
      () => {
        if (ref.dropped) return this.#c.store.delete([ref.key]).catch(() => undefined);
        ref.state = 'uploaded';
        this.#scheduleCommit();
      },
      (e: unknown) => {
        if (ref.dropped) return;
        ref.state = 'sealed';
        this.#fail(e);
      },
    );
    this.#uploads.set(ref.seq, p);
    void p.finally(() => this.#uploads.delete(ref.seq));
  }

  #discard(ref: SegmentRef): void {
    if (ref.state === 'uploaded') void this.#c.store.delete([ref.key]).catch(this.#c.onError);
    const staging = ref.staging;
    ref.staging = undefined;
    if (staging === undefined) return;
    void (this.#uploads.get(ref.seq) ?? Promise.resolve()).finally(() => staging.remove().catch(this.#c.onError));
  }

  #scheduleCommit(): void {
    this.#commitTail = this.#commitTail.then(() => this.#serial(() => this.#commit())).catch((e: unknown) => this.#fail(e));
  }

  async #commit(): Promise<void> {
    if (this.#abandoned) return;
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
      dataBytes: r.dataBytes, size: r.size, indexOffset: r.indexOffset,
    }));
    const filemarks = model.filemarks.slice(0, lowerBound(model.filemarks, eod));
    const attributes = this.#attributeRecord();
    const old = this.#manifest;
    const same = JSON.stringify([old.segments, old.filemarks, old.attributes]) === JSON.stringify([segments, filemarks, attributes]);
    if (same) return;
    const m: Manifest = {
      format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode: this.#c.barcode,
      version: old.version + 1, createdAt: new Date().toISOString(), medium: old.medium,
      segments, filemarks, eodObjectId: eod, usedBytes: segments.reduce((s, r) => s + r.dataBytes, 0),
      attributes, nextSeq: this.#nextSeq,
    };
    const key = await writeManifest(this.#c.store, this.#c.keys, m);
    this.#manifest = m;
    const freed: SegmentRef[] = [];
    for (const ref of ready) {
      if (ref.state === 'uploaded') freed.push(ref);
      ref.state = 'committed';
    }
    await this.#writeJournal();
    for (const ref of freed) {
      const staging = ref.staging;
      ref.staging = undefined;
      await staging?.remove();
    }
    if (this.#keepManifests > 0 && m.version > this.#keepManifests) {
      await this.#c.store.delete([this.#c.keys.manifest(m.barcode, m.version - this.#keepManifests)]).catch(this.#c.onError);
    }
    try {
      await this.#c.sink?.manifestCommitted(m, key);
    } catch (e) {
      this.#c.onError(e);
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
