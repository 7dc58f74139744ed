// A SequentialMedium that notes what the backup application writes, for the
// catalog's restore points: the head of the first record of every tape file
// (after BOT or a filemark), the label records of Bacula blocks later in a
// file, the bytes of each file, and rewrites from an earlier position.
//
// Nothing here may slow or fail a WRITE: on the write path it only copies
// (at most HEAD_BYTES of a file's first record, a Bacula block's label
// records) and counts; recognition and the catalog run after the command,
// from a queue drained on setImmediate, and an exception there is logged.
import type { MediumAttributes, MediumPosition, ReadOutcome, SequentialMedium, SpaceOutcome } from '../../scsi/ssc/medium.ts';
import type { RestorePointQueries } from '../catalog/restore-points.ts';
import { scanBaculaBlock, type BaculaBlock } from './bacula-label.ts';
import { recognizeBaculaBlock, recognizeFileStart, type Recognized } from './recognize.ts';

/** The most of a file's first record kept for recognition. */
export const HEAD_BYTES = 64 * 1024;

export interface PointRecorderOptions {
  readonly points: Pick<RestorePointQueries, 'record' | 'dropFrom' | 'addFileBytes' | 'jobEnded'>;
  readonly log: { warn(msg: string, fields?: Record<string, unknown>): void };
  readonly now?: () => Date;
}

/** Work done after the commands that queued it, in order. */
class AfterQueue {
  readonly #tasks: (() => void)[] = [];
  #idle: (() => void)[] = [];
  #scheduled = false;
  constructor(readonly onError: (e: unknown) => void) {}

  push(task: () => void): void {
    this.#tasks.push(task);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    for (let t = this.#tasks.shift(); t !== undefined; t = this.#tasks.shift()) {
      try {
        t();
      } catch (e) {
        this.onError(e);
      }
    }
    this.#scheduled = false;
    const idle = this.#idle;
    this.#idle = [];
    idle.forEach((f) => f());
  }

  /** Resolves once everything queued so far has run. */
  drained(): Promise<void> {
    return this.#scheduled ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }
}

/** A tapes/ cartridge can tell whether a position starts a file (BOT or just after a filemark). */
type FileAware = SequentialMedium & { startsFile?: (objectId: number) => boolean };

/** Wraps every cartridge a drive loads; one per library's media source. */
export class PointRecorder {
  readonly #o: PointRecorderOptions;
  readonly queue: AfterQueue;

  constructor(o: PointRecorderOptions) {
    this.#o = o;
    this.queue = new AfterQueue((e) => o.log.warn('restore point not recorded', { error: e instanceof Error ? e.message : String(e) }));
  }

  wrap(medium: SequentialMedium): SequentialMedium {
    return new RecordingMedium(medium as FileAware, this.#o, this.queue);
  }
}

class RecordingMedium implements SequentialMedium {
  readonly #m: FileAware;
  readonly #o: PointRecorderOptions;
  readonly #q: AfterQueue;
  readonly #barcode: string;
  /** Position just after the last filemark this medium wrote or read (when the cartridge cannot tell). */
  #afterFilemark = -1;
  /** The file being written and its bytes not yet added to the catalog. */
  #file: { number: number; pending: number } | undefined;

  constructor(m: FileAware, o: PointRecorderOptions, q: AfterQueue) {
    this.#m = m;
    this.#o = o;
    this.#q = q;
    this.#barcode = m.attributes.barcode;
  }

  get attributes(): MediumAttributes {
    return this.#m.attributes;
  }

  position(): MediumPosition {
    return this.#m.position();
  }

  usedBytes(): number {
    return this.#m.usedBytes();
  }

  async read(): Promise<ReadOutcome> {
    const r = await this.#m.read();
    if (r.kind === 'filemark') this.#afterFilemark = this.#m.position().objectId;
    return r;
  }

  async write(data: Buffer, blockLength: number): Promise<void> {
    const p = this.#m.position();
    let noted: (() => void) | undefined;
    try {
      noted = this.#note(p, data, blockLength);
    } catch {
      noted = undefined;
    }
    try {
      await this.#m.write(data, blockLength);
    } catch (e) {
      // Blocks a refused write still appended (tapes/ PartialWriteError) are on the tape: note them too.
      if (typeof (e as { written?: unknown } | null)?.written === 'number' && (e as { written: number }).written > 0) this.#run(noted);
      throw e;
    }
    this.#run(noted);
  }

  /** Queue what a write noted; whatever goes wrong there is the recorder's, never the WRITE's. */
  #run(noted: (() => void) | undefined): void {
    try {
      noted?.();
    } catch (e) {
      this.#o.log.warn('restore point not recorded', { barcode: this.#barcode, error: e instanceof Error ? e.message : String(e) });
    }
  }

  async writeFilemarks(count: number): Promise<void> {
    const p = this.#m.position();
    if (count > 0 && p.objectId < p.eodObjectId) this.#drop(p.objectId);
    await this.#m.writeFilemarks(count);
    if (count > 0) {
      this.#flushBytes();
      this.#file = undefined;
      this.#afterFilemark = this.#m.position().objectId;
    } else {
      this.#flushBytes();
    }
  }

  async erase(): Promise<void> {
    const p = this.#m.position();
    if (p.objectId < p.eodObjectId) this.#drop(p.objectId);
    await this.#m.erase();
  }

  spaceBlocks(count: number): Promise<SpaceOutcome> {
    return this.#m.spaceBlocks(count);
  }

  spaceFilemarks(count: number): Promise<SpaceOutcome> {
    return this.#m.spaceFilemarks(count);
  }

  spaceToEndOfData(): Promise<void> {
    return this.#m.spaceToEndOfData();
  }

  locate(objectId: number): Promise<boolean> {
    return this.#m.locate(objectId);
  }

  rewind(): Promise<void> {
    return this.#m.rewind();
  }

  async flush(): Promise<void> {
    await this.#m.flush();
    this.#flushBytes();
  }

  readAttribute(id: number): Buffer | undefined {
    return this.#m.readAttribute(id);
  }

  writeAttribute(id: number, value: Buffer): Promise<void> {
    return this.#m.writeAttribute(id, value);
  }

  listAttributes(): readonly number[] {
    return this.#m.listAttributes();
  }

  async close(): Promise<void> {
    this.#flushBytes();
    try {
      await this.#m.close();
    } finally {
      await this.#q.drained();
    }
  }

  #startsFile(p: MediumPosition): boolean {
    if (p.objectId === 0) return true;
    if (typeof this.#m.startsFile === 'function') return this.#m.startsFile(p.objectId);
    return p.objectId === this.#afterFilemark;
  }

  /**
   * On the write path, before the write: copy what recognition needs and
   * return what to queue once the write succeeded. Copies only; never parses
   * beyond Bacula's record headers.
   */
  #note(p: MediumPosition, data: Buffer, blockLength: number): () => void {
    const start = this.#startsFile(p);
    if (start || this.#file?.number !== p.fileNumber) {
      this.#flushBytes();
      this.#file = { number: p.fileNumber, pending: 0 };
    }
    const file = this.#file!;
    const head = start ? Buffer.from(data.subarray(0, Math.min(blockLength, HEAD_BYTES))) : undefined;
    const labelled: { objectId: number; block: BaculaBlock }[] = [];
    for (let i = start ? 1 : 0, off = i * blockLength; off < data.length; i++, off += blockLength) {
      // "BB0" at bytes 12-14: a Bacula block header; only then are its record headers walked.
      if (data[off + 12] !== 0x42 || data[off + 13] !== 0x42 || data[off + 14] !== 0x30) continue;
      const b = scanBaculaBlock(data.subarray(off, off + blockLength));
      if (b === undefined || b.labels.length === 0) continue;
      labelled.push({ objectId: p.objectId + i, block: { ...b, labels: b.labels.map((r) => ({ ...r, data: Buffer.from(r.data) })) } });
    }
    return () => {
      // The write replaced everything from its position on (SSC-4 4.2.6).
      if (p.objectId < p.eodObjectId) this.#drop(p.objectId);
      const writtenAt = (this.#o.now?.() ?? new Date()).toISOString();
      if (head !== undefined || labelled.length > 0) this.#flushBytes();
      file.pending += data.length;
      if (head !== undefined) this.#q.push(() => this.#record(p.objectId, p.fileNumber, recognizeFileStart(head, blockLength), writtenAt));
      for (const l of labelled) this.#q.push(() => this.#record(l.objectId, p.fileNumber, recognizeBaculaBlock(l.block), writtenAt));
    };
  }

  #record(objectId: number, fileNumber: number, r: Recognized, writtenAt: string): void {
    r.points.forEach((f, seq) => this.#o.points.record({ ...f, barcode: this.#barcode, objectId, fileNumber, seq, writtenAt }));
    for (const end of r.ends) this.#o.points.jobEnded(this.#barcode, end);
  }

  #drop(objectId: number): void {
    this.#flushBytes();
    this.#q.push(() => this.#o.points.dropFrom(this.#barcode, objectId));
  }

  #flushBytes(): void {
    const f = this.#file;
    if (f === undefined || f.pending === 0) return;
    const bytes = f.pending;
    f.pending = 0;
    this.#q.push(() => this.#o.points.addFileBytes(this.#barcode, f.number, bytes));
  }
}
