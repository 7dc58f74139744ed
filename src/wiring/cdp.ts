// The CDP side of the gateway: the configured CDP volumes (disk LUNs over the
// engine's CdpVolume) and the point-in-time LUNs `s3vtl cdp expose` maps at
// run time.
//
// Exposed instants live on one extra target, `<prefix>:cdp-pit`, where
// <prefix> is the part before ':' of the first target holding a CDP disk
// (iqn.2026-11.org.s3vtl:disk -> iqn.2026-11.org.s3vtl:cdp-pit). It appears at
// the first expose, takes that target's CHAP and initiator list, and gives
// each exposure the lowest free LUN; unexpose unmaps it. Adding or removing a
// LUN raises REPORTED LUNS DATA HAS CHANGED on the target's other LUNs.
import { join } from 'node:path';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { DISK_VERSION_DESCRIPTORS, Disk } from '../../scsi/sbc/disk.ts';
import { UnmappedLun } from '../../scsi/spc/unmapped-lun.ts';
import { CdpVolume, PointInTimeBackend, type RestoreTarget } from '../cdp/index.ts';
import type { Config, DiskConfig, TargetConfig } from '../config.ts';
import type { CdpExposure } from '../control/cdp-protocol.ts';
import { UsageError } from '../errors.ts';
import type { IscsiServer, TargetDefinition } from '../iscsi/server.ts';
import type { Logger } from '../log.ts';
import { serialFor } from './serial.ts';

/** CDP volumes live under the same prefix as the cartridges (the store URL's). */
export const CDP_PREFIX = '';

/** Where a volume keeps its current image, local journal and state. */
export const cdpDir = (dataDir: string, volume: string): string => join(dataDir, 'cdp', volume);

export interface LiveVolume {
  readonly name: string;
  readonly volume: CdpVolume;
  readonly disk: Disk;
  readonly iqn: string;
  readonly lun: number;
}

/** The disks of the config that are CDP volumes, with their target. */
export function cdpDisks(config: Config): { target: TargetConfig; disk: DiskConfig & { cdp: NonNullable<DiskConfig['cdp']> } }[] {
  return config.targets.flatMap((target) => target.disks.flatMap((disk) => (disk.cdp === undefined ? [] : [{ target, disk: { ...disk, cdp: disk.cdp } }])));
}

export async function buildCdpDisk(t: TargetConfig, d: DiskConfig, config: Config, store: ObjectStore, log: Logger): Promise<LiveVolume> {
  const settings = d.cdp!;
  const volume = await CdpVolume.open({
    name: d.name,
    dir: cdpDir(config.data, d.name),
    store,
    prefix: CDP_PREFIX,
    sizeBytes: d.size,
    blockSize: d.blockSize,
    settings,
    log: log.child({ layer: 'cdp', volume: d.name }),
  });
  const disk = new Disk({
    identity: { vendor: 'S3VTL', product: 'CDP VOLUME', revision: '0001', serial: serialFor(t.iqn, d.name, 'CD'), versionDescriptors: DISK_VERSION_DESCRIPTORS },
    backend: volume,
    log: log.child({ lu: `${t.iqn}/${d.lun}` }),
  });
  return { name: d.name, volume, disk, iqn: t.iqn, lun: d.lun };
}

/** `iqn.2026-11.org.s3vtl:disk` -> `iqn.2026-11.org.s3vtl:cdp-pit`. */
export function pitTargetIqn(config: Config): string {
  const holder = cdpDisks(config)[0]?.target ?? config.targets[0]!;
  const colon = holder.iqn.indexOf(':');
  const base = holder.iqn.startsWith('iqn.') ? (colon < 0 ? holder.iqn : holder.iqn.slice(0, colon)) : 'iqn.2026-11.org.s3vtl';
  return `${base}:cdp-pit`;
}

/** The access rules of the exposure target: those of the target holding the first CDP disk. */
function pitTargetDefinition(config: Config, iqn: string): TargetDefinition {
  const holder = cdpDisks(config)[0]?.target ?? config.targets[0]!;
  return {
    iqn,
    alias: 's3vtl CDP point-in-time',
    luns: new Map(),
    ...(holder.chap !== undefined && { chap: holder.chap }),
    ...(holder.initiators !== undefined && { allowedInitiators: holder.initiators }),
    unmappedLun: new UnmappedLun({ identity: { vendor: 'S3VTL', product: 'NO LUN', revision: '0001', serial: 'NONE', versionDescriptors: [] } }),
  };
}

/** Read-only LUN over a point-in-time view of a volume. */
export async function pitDisk(store: ObjectStore, volume: string, target: RestoreTarget, iqn: string, log: Logger): Promise<{ disk: Disk; instant: Date; seq: number; baseSeq: number }> {
  const backend = await PointInTimeBackend.open(store, CDP_PREFIX, volume, target);
  const disk = new Disk({
    identity: {
      vendor: 'S3VTL', product: 'CDP POINT IN TIME', revision: '0001',
      serial: serialFor(iqn, `${volume}@${backend.instant.toISOString()}`, 'PT'), versionDescriptors: DISK_VERSION_DESCRIPTORS,
    },
    backend,
    log,
  });
  return { disk, instant: backend.instant, seq: Number(backend.seq), baseSeq: backend.baseSeq };
}

interface Exposed extends CdpExposure {
  readonly disk: Disk;
  /** What the view reads: the journal up to seq over base baseSeq (retention holds them). */
  readonly seq: number;
  readonly baseSeq: number;
}

/** Point-in-time LUNs on the running server. */
export class PitExposer {
  readonly iqn: string;
  readonly #config: Config;
  readonly #server: IscsiServer;
  readonly #store: ObjectStore;
  readonly #log: Logger;
  readonly #exposed = new Map<number, Exposed>();
  /** LUNs chosen but not yet mapped (an expose opening its view). */
  readonly #reserved = new Set<number>();

  constructor(o: { config: Config; server: IscsiServer; store: ObjectStore; log: Logger }) {
    this.#config = o.config;
    this.#server = o.server;
    this.#store = o.store;
    this.#log = o.log;
    this.iqn = pitTargetIqn(o.config);
  }

  list(volume?: string): CdpExposure[] {
    return [...this.#exposed.values()].filter((e) => volume === undefined || e.volume === volume).map(({ iqn, lun, volume: v, instant }) => ({ iqn, lun, volume: v, instant }));
  }

  /** The history each exposed LUN reads, for retention to hold. */
  readers(): { volume: string; seq: number; baseSeq: number; what: string }[] {
    return [...this.#exposed.values()].map((e) => ({ volume: e.volume, seq: e.seq, baseSeq: e.baseSeq, what: `exposed point-in-time LUN ${e.lun} at ${e.instant}` }));
  }

  async expose(volume: string, target: RestoreTarget): Promise<CdpExposure> {
    let lun = 0;
    while (this.#exposed.has(lun) || this.#reserved.has(lun)) lun++;
    if (lun > 16383) throw new UsageError(`${this.iqn} has no free LUN: unexpose some first (s3vtl cdp unexpose --lun N)`);
    this.#reserved.add(lun);
    try {
      const { disk, instant, seq, baseSeq } = await pitDisk(this.#store, volume, target, this.iqn, this.#log.child({ lu: `${this.iqn}/${lun}` }));
      if (this.#server.target(this.iqn) === undefined) this.#server.addTarget(pitTargetDefinition(this.#config, this.iqn));
      this.#server.addLun(this.iqn, lun, disk);
      const e: Exposed = { iqn: this.iqn, lun, volume, instant: instant.toISOString(), disk, seq, baseSeq };
      this.#exposed.set(lun, e);
      this.#log.info('exposed a point in time', { volume, instant: e.instant, iqn: this.iqn, lun });
      return { iqn: e.iqn, lun, volume, instant: e.instant };
    } finally {
      this.#reserved.delete(lun);
    }
  }

  /** Unmap one LUN, or every exposure of a volume. */
  async unexpose(o: { volume?: string; lun?: number }): Promise<CdpExposure[]> {
    const chosen = [...this.#exposed.values()].filter((e) => (o.lun === undefined || e.lun === o.lun) && (o.volume === undefined || e.volume === o.volume));
    if (chosen.length === 0) {
      const now = this.list();
      const what = o.lun !== undefined ? `LUN ${o.lun}` : o.volume !== undefined ? `volume ${o.volume}` : 'anything';
      throw new UsageError(`nothing exposed for ${what} (${now.length === 0 ? 'nothing is exposed' : `exposed: ${now.map((e) => `LUN ${e.lun} ${e.volume}@${e.instant}`).join(', ')}`})`);
    }
    for (const e of chosen) {
      this.#server.removeLun(this.iqn, e.lun);
      this.#exposed.delete(e.lun);
      await e.disk.close().catch((err: unknown) => this.#log.warn('closing an exposed LUN failed', { lun: e.lun, error: String(err) }));
    }
    return chosen.map(({ iqn, lun, volume, instant }) => ({ iqn, lun, volume, instant }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#exposed.values()].map((e) => e.disk.close().catch(() => undefined)));
    this.#exposed.clear();
  }
}
