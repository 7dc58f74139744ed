// `catalog points`: the tape points of the catalog and the CDP points of the
// volumes, in one list. The running server answers it with its live volumes;
// offline the CLI builds the same object over the catalog file and the store.
import type { Catalog } from '../catalog/catalog.ts';
import type { RestorePointRow } from '../catalog/restore-points.ts';
import { loadHistory } from '../cdp/history.ts';
import type { ThinningPolicy } from '../cdp/types.ts';
import type { Config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { cdpPoints } from '../points/cdp-points.ts';
import { cdpDisks } from '../wiring/cdp.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { CdpOperations } from './cdp-operations.ts';
import { CatalogPointsArgs, type CatalogPointsResult, type RestorePointInfo } from './points-protocol.ts';

export interface PointsSources {
  /** The catalog of the tape side (absent: a gateway with only CDP volumes). */
  readonly catalog?: Catalog | undefined;
  /** The CDP volumes: their status (live or from the store) and history. */
  readonly cdp?: { readonly ops: CdpOperations; readonly store: ObjectStore; readonly prefix: string } | undefined;
  /** Each configured CDP volume's keep policy. */
  readonly policies: ReadonlyMap<string, ThinningPolicy>;
  readonly now?: () => Date;
}

/** The keep policy of every CDP volume the configuration declares. */
export const cdpPolicies = (config: Config): Map<string, ThinningPolicy> =>
  new Map(cdpDisks(config).map(({ disk }) => [disk.name, disk.cdp.retention]));

export function tapePoint(r: RestorePointRow): RestorePointInfo {
  return {
    source: 'tape', app: r.app, kind: r.kind,
    // A Bacula job knows its start; otherwise the point is when the file was written.
    time: r.app === 'bacula' && r.date !== null ? r.date : r.writtenAt,
    barcode: r.barcode, fileNumber: r.fileNumber, objectId: r.objectId, volume: null,
    host: r.host, disk: r.disk, job: r.job, jobId: r.jobId, level: r.level, label: r.label, date: r.date,
    writtenAt: r.writtenAt, bytes: r.bytes,
    keptBy: `kept with cartridge ${r.barcode}`, keptUntil: null, detail: r.detail,
  };
}

export class PointsOperations {
  readonly #s: PointsSources;

  constructor(s: PointsSources) {
    this.#s = s;
  }

  handlers(): { 'catalog.points': (args: unknown) => Promise<unknown> } {
    return { 'catalog.points': (a) => this.points(CatalogPointsArgs.parse(a)) };
  }

  async points(input: CatalogPointsArgs): Promise<CatalogPointsResult> {
    const a = CatalogPointsArgs.parse(input);
    if (a.barcode !== undefined && a.volume !== undefined) throw new UsageError('give --barcode (a cartridge) or --volume (a CDP volume), not both');
    const wantTape = a.volume === undefined && a.app !== 'cdp';
    const wantCdp = a.barcode === undefined && (a.app === undefined || a.app === 'cdp');
    const points: RestorePointInfo[] = [];
    if (wantTape && this.#s.catalog !== undefined) {
      const filter = { ...(a.barcode !== undefined && { barcode: a.barcode }), ...(a.app !== undefined && a.app !== 'cdp' && { app: a.app }) };
      points.push(...this.#s.catalog.restorePoints.list(filter).map(tapePoint));
    }
    if (wantCdp) points.push(...(await this.#cdp(a.volume)));
    return { points };
  }

  async #cdp(volume: string | undefined): Promise<RestorePointInfo[]> {
    const c = this.#s.cdp;
    if (c === undefined) {
      if (volume !== undefined) throw new UsageError(`no CDP volume ${JSON.stringify(volume)}: the configuration declares none (cdp: {} under a disk)`);
      return [];
    }
    const statuses = volume !== undefined ? [await c.ops.status(volume)] : (await c.ops.list()).volumes;
    const now = this.#s.now?.() ?? new Date();
    const out: RestorePointInfo[] = [];
    for (const s of statuses) {
      const history = await loadHistory(c.store, c.prefix, s.volume);
      out.push(...cdpPoints({ volume: s.volume, windowStart: s.windowStart, windowEnd: s.windowEnd, history, policy: this.#s.policies.get(s.volume) }, now));
    }
    return out;
  }
}
