// The upload of a segment that is still being written. A staging file only
// ever grows at its end until it is sealed, so every whole part of it can go
// up (ObjectStore.beginUpload, an S3 multipart upload) while the drive writes
// the rest. Sealing then leaves only the tail: it is split into up to
// `tailParts` parts sent side by side, and the upload is completed. The
// object is invisible until then, so nothing changes for readers, the
// manifest or crash recovery (a crash abandons the parts; recovery uploads
// the sealed file whole).
//
// Streaming only saves time. Any permanent failure (or a cut inside the
// segment) ends it; the pipeline then uploads the sealed file with put() as
// before. Parts share the uploader's slots and its retry-through-outage loop.

import { MIN_PART_BYTES, type ObjectLock, type PartUpload } from './object-store.ts';
import type { SegmentUploader } from './uploader.ts';

export interface SegmentStreamOptions {
  /** The store's beginUpload. */
  readonly begin: (key: string, options: { readonly signal: AbortSignal }) => Promise<PartUpload>;
  readonly uploader: SegmentUploader;
  readonly key: string;
  /** The staging file. */
  readonly path: string;
  /** Size of the parts sent while the file grows (at least MIN_PART_BYTES). */
  readonly partBytes: number;
  /** Parts the tail is split into at seal, each at least MIN_PART_BYTES (default 4). */
  readonly tailParts?: number;
}

export class SegmentStream {
  readonly #o: SegmentStreamOptions;
  readonly #partBytes: number;
  readonly #abort = new AbortController();
  #upload: Promise<PartUpload> | undefined;
  /** Bytes of the file covered by parts already queued. */
  #queued = 0;
  readonly #parts: Promise<void>[] = [];
  #failure: unknown;

  constructor(o: SegmentStreamOptions) {
    this.#o = o;
    this.#partBytes = Math.max(MIN_PART_BYTES, o.partBytes);
  }

  /** Whether any part went out (else finish() has nothing to build on: upload the file whole). */
  get started(): boolean {
    return this.#queued > 0;
  }

  /** The file's first `written` bytes are final: queue every whole part among them. */
  grown(written: number): void {
    while (this.#failure === undefined && written - this.#queued >= this.#partBytes) this.#send(this.#queued, this.#partBytes);
  }

  /**
   * The file is sealed at `size` bytes: send the rest, split for parallelism,
   * and complete the object (create-only, locked with `lock`). Rejects when
   * streaming failed: the caller uploads the file whole instead.
   */
  async finish(size: number, lock?: ObjectLock): Promise<void> {
    if (!this.started) throw new Error('nothing streamed: upload the file whole');
    const rest = size - this.#queued;
    const pieces = Math.max(1, Math.min(this.#o.tailParts ?? 4, Math.floor(rest / MIN_PART_BYTES)));
    const piece = Math.ceil(rest / pieces);
    while (this.#failure === undefined && this.#queued < size) this.#send(this.#queued, Math.min(piece, size - this.#queued));
    await Promise.all(this.#parts);
    if (this.#failure !== undefined) throw this.#failure;
    const upload = await this.#begin();
    const signal = this.#abort.signal;
    await this.#o.uploader.run(`${this.#o.key} (complete)`, () => upload.complete(this.#parts.length, size, { ...(lock !== undefined && { lock }), signal }), signal);
  }

  /** Stop sending and discard the parts sent (a cut inside the segment, the cartridge abandoned, or a failure). */
  abort(): void {
    this.#failure ??= new Error('segment stream aborted');
    this.#abort.abort();
    void this.#upload?.then((u) => u.abort(), () => undefined);
  }

  #begin(): Promise<PartUpload> {
    const signal = this.#abort.signal;
    this.#upload ??= this.#o.uploader.run(`${this.#o.key} (begin)`, () => this.#o.begin(this.#o.key, { signal }), signal);
    return this.#upload;
  }

  #send(offset: number, length: number): void {
    this.#queued += length;
    const n = this.#parts.length + 1;
    const signal = this.#abort.signal;
    const body = { path: this.#o.path, offset, length };
    const sent = this.#begin()
      .then((upload) => this.#o.uploader.run(`${this.#o.key} (part ${n})`, () => upload.part(n, body, signal), signal))
      .catch((e: unknown) => {
        this.#failure ??= e;
      });
    this.#parts.push(sent);
  }
}
