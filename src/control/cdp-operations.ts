// The `cdp` commands over the store and, while serve runs, its live volumes
// and point-in-time LUNs. The same object answers offline (no live volumes,
// no exposer): status then comes from the store alone.
import type { ObjectStore } from '../../tapes/object-store.ts';
import { addBookmarkOffline, listCdpVolumes, storeStatus, type Bookmark, type CdpStatus, type RestoreTarget } from '../cdp/index.ts';
import { UsageError } from '../errors.ts';
import { parseInstant } from '../instant.ts';
import type { LiveVolume, PitExposer } from '../wiring/cdp.ts';
import {
  CdpBookmarkArgs, CdpExposeArgs, CdpListArgs, CdpUnexposeArgs, CdpVolumeArgs,
  type CdpBookmarkInfo, type CdpCommandName, type CdpDrainResult, type CdpExposure, type CdpListResult,
  type CdpTargetArgs, type CdpUnexposeResult, type CdpVolumeStatus,
} from './cdp-protocol.ts';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const bookmarkInfo = (b: Bookmark): CdpBookmarkInfo => ({ name: b.name, seq: b.seq.toString(), time: b.time.toISOString() });

/** --at / --bookmark / --newest: exactly one, the instant strictly parsed. */
export function restoreTarget(a: CdpTargetArgs, allowNewest: boolean): RestoreTarget {
  const given = [a.at !== undefined, a.bookmark !== undefined, a.newest === true].filter(Boolean).length;
  const choices = allowNewest ? '--at TIME, --bookmark NAME or --newest' : '--at TIME or --bookmark NAME';
  if (given !== 1) throw new UsageError(`give exactly one of ${choices}`);
  if (a.bookmark !== undefined) return { bookmark: a.bookmark };
  if (a.newest === true) {
    if (!allowNewest) throw new UsageError(`give ${choices}`);
    return { newest: true };
  }
  const at = parseInstant(a.at!);
  if (typeof at === 'string') throw new UsageError(`--at: ${at}`);
  return { at };
}

export class CdpOperations {
  readonly #store: ObjectStore;
  readonly #prefix: string;
  readonly #live: ReadonlyMap<string, LiveVolume>;
  readonly #exposer: PitExposer | undefined;

  constructor(o: { store: ObjectStore; prefix: string; live?: ReadonlyMap<string, LiveVolume>; exposer?: PitExposer }) {
    this.#store = o.store;
    this.#prefix = o.prefix;
    this.#live = o.live ?? new Map();
    this.#exposer = o.exposer;
  }

  handlers(): Record<CdpCommandName, (args: unknown) => Promise<unknown>> {
    return {
      'cdp.list': (a) => (CdpListArgs.parse(a), this.list()),
      'cdp.status': (a) => this.status(CdpVolumeArgs.parse(a).volume),
      'cdp.bookmark': (a) => {
        const b = CdpBookmarkArgs.parse(a);
        return this.bookmark(b.volume, b.name);
      },
      'cdp.expose': (a) => this.expose(CdpExposeArgs.parse(a)),
      'cdp.unexpose': (a) => this.unexpose(CdpUnexposeArgs.parse(a)),
      'cdp.drain': (a) => this.drain(CdpVolumeArgs.parse(a).volume),
    };
  }

  async list(): Promise<CdpListResult> {
    const names = new Set([...this.#live.keys(), ...(await listCdpVolumes(this.#store, this.#prefix))]);
    const volumes = await Promise.all([...names].sort().map((n) => this.status(n)));
    return { volumes };
  }

  async status(volume: string): Promise<CdpVolumeStatus> {
    const live = this.#live.get(volume);
    const s: CdpStatus = live !== undefined ? await live.volume.status() : await storeStatus(this.#store, this.#prefix, volume);
    return {
      volume: s.volume,
      live: live !== undefined,
      sizeBytes: s.sizeBytes,
      blockSize: s.blockSize,
      windowStart: iso(s.windowStart),
      windowEnd: iso(s.windowEnd),
      newestDurable: iso(s.newestDurable),
      lagMs: s.lagMs,
      rpoGrowing: s.rpoGrowing,
      shipping: s.shipping,
      bytesLocal: s.bytesLocal,
      bytesInStore: s.bytesInStore,
      bookmarks: s.bookmarks.map(bookmarkInfo),
      points: s.points.map((p) => ({ time: p.time.toISOString(), kind: p.kind, reason: p.reason })),
      exposed: this.#exposer?.list(volume) ?? [],
    };
  }

  /** A live volume marks its newest acknowledged write; one only in the store, its newest durable instant. */
  async bookmark(volume: string, name: string): Promise<CdpBookmarkInfo> {
    const live = this.#live.get(volume);
    return bookmarkInfo(live !== undefined ? await live.volume.bookmark(name) : await addBookmarkOffline(this.#store, this.#prefix, volume, name));
  }

  async expose(a: CdpExposeArgs): Promise<CdpExposure> {
    const target = restoreTarget(a, true);
    if (this.#exposer === undefined) throw new UsageError('expose needs a running s3vtl serve (or run s3vtl cdp expose in the foreground without one)');
    // An instant the live volume has acknowledged but not shipped would show older data.
    await this.#live.get(a.volume)?.volume.drain();
    return this.#exposer.expose(a.volume, target);
  }

  async unexpose(a: CdpUnexposeArgs): Promise<CdpUnexposeResult> {
    if (a.volume === undefined && a.lun === undefined) throw new UsageError('name the VOLUME whose exposures to remove, or give --lun N');
    if (this.#exposer === undefined) throw new UsageError('nothing is exposed: s3vtl serve is not running (a foreground s3vtl cdp expose stops with Ctrl-C)');
    return { removed: await this.#exposer.unexpose({ ...(a.volume !== undefined && { volume: a.volume }), ...(a.lun !== undefined && { lun: a.lun }) }) };
  }

  async drain(volume: string): Promise<CdpDrainResult> {
    const live = this.#live.get(volume);
    await live?.volume.drain();
    return { volume, live: live !== undefined };
  }
}
