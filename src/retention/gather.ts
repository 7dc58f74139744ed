// gatherRetentionInput: what the planner needs, read once: the cartridges
// from the catalog (with their shelf rows: when they left the library, in
// which archive class since when), their Object Lock from the pool config,
// what the running gateway is doing (loaded drives, PREVENT MEDIUM REMOVAL,
// exposed point-in-time LUNs) and every CDP volume's history from the store.
// The live part is an interface: offline (no serve), nothing is loaded,
// reserved or exposed.
import type { CartridgeRow } from '../catalog/cartridges.ts';
import type { ShelfRow } from '../catalog/shelf.ts';
import type { VolumeHistory } from '../cdp/types.ts';
import type { PoolConfig } from '../config.ts';
import type { RetentionCartridge, RetentionInput, RetentionPolicies, RetentionVolume } from './types.ts';

const DAY_MS = 86_400_000;

/** A cartridge in a drive of the running gateway. */
export interface LoadedCartridge {
  readonly barcode: string;
  /** How the operator names the drive, e.g. "drive 1 of lib0". */
  readonly drive: string;
  /** An initiator holds PREVENT MEDIUM REMOVAL on that drive. */
  readonly prevented: boolean;
}

/** A point of a CDP volume being read (an exposed point-in-time LUN). */
export interface VolumeReader {
  readonly volume: string;
  readonly seq: number;
  /** The base it opened. */
  readonly baseSeq?: number;
  readonly what: string;
}

/** What the running gateway is doing; absent offline. */
export interface LiveRetentionState {
  loaded(): readonly LoadedCartridge[];
  /** Cartridges reserved otherwise (e.g. in a mail slot the changer locks): barcode -> why. */
  reserved?(): ReadonlyMap<string, string>;
  volumeReaders(): readonly VolumeReader[];
}

/** CDP histories, from the store (src/cdp/history.ts). */
export interface HistorySource {
  volumes(): Promise<string[]>;
  history(volume: string): Promise<VolumeHistory>;
}

export interface GatherDeps {
  readonly now: Date;
  readonly policies: RetentionPolicies;
  /** The config's pools (Object Lock); `default` may be absent. */
  readonly pools: Readonly<Record<string, Pick<PoolConfig, 'objectLock'>>>;
  /** The catalog's cartridges and shelf (absent: a gateway without tapes). */
  readonly catalog?: { readonly cartridges: { list(): CartridgeRow[] }; readonly shelf: { list(): ShelfRow[] } };
  readonly live?: LiveRetentionState;
  readonly cdp?: HistorySource;
}

/**
 * The latest Object Lock retain-until of a cartridge's objects: the catalog's
 * retain_until when recorded, and for a pool with `objectLock` (WORM media
 * included) `days` from the last write, when its newest manifest was uploaded
 * (tapes/object-store.ts lockFor counts from each upload).
 */
export function lockedUntil(c: Pick<CartridgeRow, 'pool' | 'lastWrittenAt' | 'retainUntil'>, pools: GatherDeps['pools']): Date | null {
  let until = c.retainUntil === null ? null : new Date(c.retainUntil);
  const lock = pools[c.pool ?? 'default']?.objectLock;
  if (lock !== undefined && c.lastWrittenAt !== null) {
    const t = new Date(new Date(c.lastWrittenAt).getTime() + lock.days * DAY_MS);
    if (until === null || t > until) until = t;
  }
  return until;
}

/** The archive class a shelf row's objects are in (a Glacier vault counts as GLACIER), while they are there. */
function archiveOf(s: ShelfRow | undefined): RetentionCartridge['archive'] {
  if (s === undefined || s.phase === 'shelved') return null;
  if (s.medium === 'vault') return { storageClass: 'GLACIER', since: new Date(s.since) };
  if (s.medium === 'storage-class' && s.archiveClass !== null) return { storageClass: s.archiveClass, since: new Date(s.since) };
  return null;
}

export function retentionCartridges(rows: readonly CartridgeRow[], shelf: readonly ShelfRow[], pools: GatherDeps['pools'], live?: LiveRetentionState): RetentionCartridge[] {
  const shelfBy = new Map(shelf.map((s) => [s.barcode, s]));
  const loaded = new Map((live?.loaded() ?? []).map((l) => [l.barcode, l]));
  const reserved = live?.reserved?.() ?? new Map<string, string>();
  return rows.map((r) => {
    const s = shelfBy.get(r.barcode);
    const l = loaded.get(r.barcode);
    return {
      barcode: r.barcode,
      pool: r.pool ?? 'default',
      state: r.state,
      worm: r.worm,
      bytes: r.bytesWritten,
      lastWrittenAt: r.lastWrittenAt === null ? null : new Date(r.lastWrittenAt),
      exportedAt: s === undefined ? null : new Date(s.since),
      lockedUntil: lockedUntil(r, pools),
      archive: archiveOf(s),
      loadedIn: l?.drive ?? null,
      reserved: l?.prevented === true || reserved.has(r.barcode),
      readers: s?.phase === 'retrieving' ? ['retrieve from the archive under way'] : [],
    };
  });
}

export async function gatherRetentionInput(deps: GatherDeps): Promise<RetentionInput> {
  const cartridges = deps.catalog === undefined ? [] : retentionCartridges(deps.catalog.cartridges.list(), deps.catalog.shelf.list(), deps.pools, deps.live);
  const volumes: RetentionVolume[] = [];
  if (deps.cdp !== undefined) {
    const readers = deps.live?.volumeReaders() ?? [];
    for (const name of [...new Set(await deps.cdp.volumes())].sort()) {
      const history = await deps.cdp.history(name);
      volumes.push({
        volume: name,
        history,
        readers: readers.filter((r) => r.volume === name).map((r) => ({ seq: r.seq, what: r.what, ...(r.baseSeq !== undefined && { baseSeq: r.baseSeq }) })),
      });
    }
  }
  return { now: deps.now, policies: deps.policies, cartridges, volumes };
}
