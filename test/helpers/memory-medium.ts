// An in-memory SequentialMedium for tests: a partition is an array of
// objects (blocks and filemarks); EOD is the array's end. Knobs let a test
// make it WORM, write-protected, small (early warning, overflow) or corrupt.
import {
  MediumIntegrityError,
  type MediumAttributes,
  type MediumPosition,
  type ReadOutcome,
  type SequentialMedium,
  type SpaceOutcome,
} from '../../scsi/ssc/medium.ts';

type TapeObject = { readonly kind: 'block'; readonly data: Buffer } | { readonly kind: 'filemark' };

export interface MemoryMediumOptions {
  readonly barcode?: string;
  readonly mediaType?: string;
  readonly worm?: boolean;
  readonly writeProtected?: boolean;
  readonly capacityBytes?: number;
  readonly earlyWarningBytes?: number;
}

export class MemoryMedium implements SequentialMedium {
  readonly attributes: MediumAttributes;
  readonly objects: TapeObject[] = [];
  readonly mam = new Map<number, Buffer>();
  /** Object ids whose read fails the CRC check. */
  readonly corrupt = new Set<number>();
  flushes = 0;
  closed = false;
  #pos = 0;

  constructor(o: MemoryMediumOptions = {}) {
    this.attributes = {
      barcode: o.barcode ?? 'A00001L6',
      mediaType: o.mediaType ?? 'LTO-6',
      worm: o.worm ?? false,
      writeProtected: o.writeProtected ?? false,
      capacityBytes: o.capacityBytes ?? 2_500_000_000_000,
      earlyWarningBytes: o.earlyWarningBytes ?? 0,
    };
  }

  position(): MediumPosition {
    let fileNumber = 0;
    for (let i = 0; i < this.#pos; i++) if (this.objects[i]?.kind === 'filemark') fileNumber++;
    return { objectId: this.#pos, fileNumber, eodObjectId: this.objects.length };
  }

  usedBytes(): number {
    let n = 0;
    for (const o of this.objects) if (o.kind === 'block') n += o.data.length;
    return n;
  }

  async read(): Promise<ReadOutcome> {
    this.#live();
    const o = this.objects[this.#pos];
    if (o === undefined) return { kind: 'end-of-data' };
    if (this.corrupt.has(this.#pos)) throw new MediumIntegrityError(this.#pos, `CRC mismatch at ${this.#pos}`);
    this.#pos++;
    return o.kind === 'block' ? { kind: 'block', data: Buffer.from(o.data) } : { kind: 'filemark' };
  }

  async write(data: Buffer, blockLength: number): Promise<void> {
    this.#live();
    if (blockLength <= 0 || data.length % blockLength !== 0) throw new Error('write: length is not a multiple of blockLength');
    this.objects.length = this.#pos;
    for (let at = 0; at < data.length; at += blockLength) {
      this.objects.push({ kind: 'block', data: Buffer.from(data.subarray(at, at + blockLength)) });
    }
    this.#pos = this.objects.length;
  }

  async writeFilemarks(count: number): Promise<void> {
    this.#live();
    this.objects.length = this.#pos;
    for (let i = 0; i < count; i++) this.objects.push({ kind: 'filemark' });
    this.#pos = this.objects.length;
  }

  async erase(): Promise<void> {
    this.#live();
    this.objects.length = this.#pos;
  }

  async spaceBlocks(count: number): Promise<SpaceOutcome> {
    this.#live();
    const n = Math.abs(count);
    for (let i = 0; i < n; i++) {
      if (count > 0) {
        const o = this.objects[this.#pos];
        if (o === undefined) return { spaced: i, stoppedBy: 'end-of-data' };
        this.#pos++;
        if (o.kind === 'filemark') return { spaced: i, stoppedBy: 'filemark' };
      } else {
        if (this.#pos === 0) return { spaced: i, stoppedBy: 'beginning-of-partition' };
        this.#pos--;
        if (this.objects[this.#pos]?.kind === 'filemark') return { spaced: i, stoppedBy: 'filemark' };
      }
    }
    return { spaced: n };
  }

  async spaceFilemarks(count: number): Promise<SpaceOutcome> {
    this.#live();
    const n = Math.abs(count);
    let spaced = 0;
    while (spaced < n) {
      if (count > 0) {
        const o = this.objects[this.#pos];
        if (o === undefined) return { spaced, stoppedBy: 'end-of-data' };
        this.#pos++;
        if (o.kind === 'filemark') spaced++;
      } else {
        if (this.#pos === 0) return { spaced, stoppedBy: 'beginning-of-partition' };
        this.#pos--;
        if (this.objects[this.#pos]?.kind === 'filemark') spaced++;
      }
    }
    return { spaced };
  }

  async spaceToEndOfData(): Promise<void> {
    this.#live();
    this.#pos = this.objects.length;
  }

  async locate(objectId: number): Promise<boolean> {
    this.#live();
    if (objectId > this.objects.length) {
      this.#pos = this.objects.length;
      return false;
    }
    this.#pos = objectId;
    return true;
  }

  async rewind(): Promise<void> {
    this.#live();
    this.#pos = 0;
  }

  async flush(): Promise<void> {
    this.#live();
    this.flushes++;
  }

  readAttribute(id: number): Buffer | undefined {
    return this.mam.get(id);
  }

  async writeAttribute(id: number, value: Buffer): Promise<void> {
    this.#live();
    this.mam.set(id, Buffer.from(value));
  }

  listAttributes(): readonly number[] {
    return [...this.mam.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  #live(): void {
    if (this.closed) throw new Error('medium used after close');
  }
}

/** A MediaSource over a map of barcode -> MemoryMedium (re-opening returns the same object, re-armed). */
export class MemoryMediaSource {
  readonly media = new Map<string, MemoryMedium>();
  opens = 0;

  add(m: MemoryMedium): MemoryMedium {
    this.media.set(m.attributes.barcode, m);
    return m;
  }

  async open(barcode: string): Promise<MemoryMedium> {
    const m = this.media.get(barcode);
    if (m === undefined) throw new Error(`no cartridge ${barcode}`);
    m.closed = false;
    await m.rewind();
    this.opens++;
    return m;
  }
}
