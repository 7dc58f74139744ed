// The journaled volume: a BlockBackend whose image stays local and whose
// every acknowledged write is journaled locally, then shipped to the store.
//
// A write: take a seq and a timestamp (time of submission: a write with
// time < T was acknowledged before T or in flight at T), lock its blocks
// (writes to the same blocks reach the image in seq order), append the
// record to the local journal (group commit, no fsync), then write the
// image, then ack. Journal before image: after a crash of the process every
// block of the image that changed is in the journal, and open() replays the
// journal into the image. flush() (SYNCHRONIZE CACHE, FUA) fdatasyncs the
// image and the journal, so a synced write is in both.
//
// At journalLimitBytes of unshipped records (store unreachable) the volume
// keeps serving without journaling: it records the span of seqs and the
// chunks they touched (a gap), says loudly that its RPO grows, and once
// everything before is shipped, ships the gap and takes a base of the
// changed chunks. Nothing acknowledged is lost; history in the gap is coarse.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import type { BlockBackend } from '../../scsi/sbc/block-backend.ts';
import { BaseWriter } from './base-writer.ts';
import { CdpError, CdpErrorCode } from './errors.ts';
import { LocalJournal } from './local-journal.ts';
import { CdpKeys, NAME } from './keys.ts';
import { Shipper } from './shipper.ts';
import { VolumeCore } from './volume-core.ts';
import { imagePath, loadBaseIndex, loadState, StateWriter, type VolumeState } from './volume-state.ts';
import type { Bookmark, CdpStatus, CdpVolumeOptions } from './types.ts';
import { volumeStatus } from './status.ts';

export class CdpVolume implements BlockBackend {
  readonly blockSize: number;
  readonly blockCount: bigint;
  readonly #core: VolumeCore;
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  private constructor(core: VolumeCore) {
    this.#core = core;
    this.blockSize = core.blockSize;
    this.blockCount = BigInt(core.blockCount);
  }

  /** Create or reopen the volume in `o.dir`; replays the local journal after a crash. */
  static async open(o: CdpVolumeOptions): Promise<CdpVolume> {
    const s = o.settings;
    if (!NAME.test(o.name)) throw new CdpError(CdpErrorCode.INVALID, o.name, `volume name ${JSON.stringify(o.name)}: use letters, digits, '.', '_' and '-'`);
    if (s.chunkBytes < o.blockSize || (s.chunkBytes & (s.chunkBytes - 1)) !== 0) {
      throw new CdpError(CdpErrorCode.INVALID, o.name, `chunk size ${s.chunkBytes} must be a power of two and at least the block size ${o.blockSize}`);
    }
    await mkdir(o.dir, { recursive: true });
    const keys = new CdpKeys(o.prefix, o.name);
    let state = await loadState(o.dir);
    if (state === undefined) {
      const existing = await o.store.list(keys.root, { limit: 1 });
      if (existing.objects.length > 0) {
        throw new CdpError(CdpErrorCode.INVALID, o.name, `volume ${o.name} has no local state in ${o.dir} but exists in the store: run recover first`);
      }
      state = freshState(o);
    } else if (state.sizeBytes !== o.sizeBytes || state.blockSize !== o.blockSize || state.chunkBytes !== s.chunkBytes) {
      throw new CdpError(
        CdpErrorCode.INVALID,
        o.name,
        `volume ${o.name} was created with size ${state.sizeBytes}, block size ${state.blockSize}, chunk ${state.chunkBytes}; the configuration says ${o.sizeBytes}, ${o.blockSize}, ${s.chunkBytes}: a CDP volume cannot change shape`,
      );
    }
    const image = await openImage(imagePath(o.dir), o.sizeBytes);
    const { journal, records } = await LocalJournal.open(o.dir, o.blockSize, Math.max(1 << 20, Math.min(16 << 20, Math.floor(s.journalLimitBytes / 4))));
    const core = new VolumeCore(o, keys, state, image, journal, await loadBaseIndex(o.dir), new StateWriter(o.dir));
    await core.replay(records);
    return new CdpVolume(core);
  }

  async read(lba: bigint, blocks: number): Promise<Buffer> {
    return this.#core.read(Number(lba), blocks);
  }

  write(lba: bigint, data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`volume ${this.#core.name} is closed`));
    const p = this.#core.write(Number(lba), data);
    this.#inflight.add(p);
    const done = (): void => void this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  flush(): Promise<void> {
    return this.#core.flush();
  }

  /** Named instant = now; resolves once the bookmark and every write before it are in the store. */
  async bookmark(name: string): Promise<Bookmark> {
    if (!NAME.test(name)) throw new CdpError(CdpErrorCode.INVALID, this.#core.name, `bookmark name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
    const mark = this.#core.markNow(name);
    await this.drain();
    await this.#core.storeMark(mark);
    return { name, seq: BigInt(mark.seq), time: new Date(mark.timeUs / 1000) };
  }

  async status(): Promise<CdpStatus> {
    return volumeStatus(this.#core);
  }

  /** Ship everything acknowledged so far (retrying through store failures). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    await this.#core.shipper.drain();
  }

  /** Counters of store requests made by the shipping loop. */
  get puts(): Readonly<Shipper['puts']> {
    return this.#core.shipper.puts;
  }

  /**
   * Stop: wait for writes in flight, try once to ship what is pending (with
   * `drain: false`, leave it in the local journal for the next open), sync
   * and close the files.
   */
  async close(opts: { drain?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    if (opts.drain !== false) await this.#core.shipper.tryDrainOnce();
    await this.#core.close();
  }
}

function freshState(o: CdpVolumeOptions): VolumeState {
  return {
    format: 1,
    volume: o.name,
    sizeBytes: o.sizeBytes,
    blockSize: o.blockSize,
    chunkBytes: o.settings.chunkBytes,
    lastSeq: 0,
    lastUs: 0,
    shippedSeq: 0,
    shippedUs: 0,
    bytesSinceBase: 0,
    lastBaseUs: 0,
    metaInStore: false,
    dirty: [],
    gap: null,
    clean: true,
  };
}

async function openImage(path: string, sizeBytes: number): Promise<FileHandle> {
  const fh = await open(path, 'a+').then((h) => h.close()).then(() => open(path, 'r+'));
  const size = (await fh.stat()).size;
  if (size !== sizeBytes) await fh.truncate(sizeBytes);
  return fh;
}

