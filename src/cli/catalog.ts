// `s3vtl catalog points`: every restore point the gateway knows, tape files
// (Amanda, Bacula, unknown) and CDP history, with the rule that keeps each.
// Through the control socket while serve runs, else over the catalog file and
// (for CDP volumes) the store.
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import type { Config } from '../config.ts';
import { CdpOperations } from '../control/cdp-operations.ts';
import { offline, request } from '../control/client.ts';
import { asVtlError } from '../control/operations.ts';
import { cdpPolicies, PointsOperations } from '../control/points-operations.ts';
import { POINT_APPS, type CatalogPointsArgs, type CatalogPointsResult, type RestorePointInfo } from '../control/points-protocol.ts';
import { controlSocketPath } from '../control/protocol.ts';
import { CDP_PREFIX, cdpDisks } from '../wiring/cdp.ts';
import { prepareDataDir } from '../wiring/data-dir.ts';
import { openStore, type OpenedStore } from '../wiring/store.ts';
import { cdpConfig, withCdpOptions, type CdpCommonOptions } from './cdp-options.ts';
import { formatBytes, formatTable, printJson } from './output.ts';

/** `catalog.points` on the running server, else here. */
export async function invokePoints(config: Config, args: CatalogPointsArgs): Promise<CatalogPointsResult> {
  const online = await request(controlSocketPath(config.data), 'catalog.points', args);
  if (online !== offline) return online;
  await prepareDataDir(config.data);
  const catalog = Catalog.open(join(config.data, 'catalog.sqlite'));
  // The store is read only for CDP volumes, and only when they are asked for.
  const needStore = cdpDisks(config).length > 0 && args.barcode === undefined && (args.app === undefined || args.app === 'cdp');
  let opened: OpenedStore | undefined;
  try {
    opened = needStore ? await openStore(config.store) : undefined;
    const cdp = opened === undefined ? undefined : { ops: new CdpOperations({ store: opened.store, prefix: CDP_PREFIX }), store: opened.store, prefix: CDP_PREFIX };
    return await new PointsOperations({ catalog, cdp, policies: cdpPolicies(config) }).points(args);
  } catch (e) {
    throw asVtlError(e) ?? e;
  } finally {
    catalog.close();
    await opened?.close();
  }
}

const dash = (v: string | number | null): string => (v === null ? '-' : String(v));

/** Where: a cartridge and file number, or a CDP volume. */
const where = (p: RestorePointInfo): string => (p.source === 'tape' ? `${p.barcode} f${p.fileNumber}` : p.volume ?? '-');
/** What: host:disk (Amanda), job name and id (Bacula). */
function what(p: RestorePointInfo): string {
  if (p.job !== null) return `${p.host ?? '?'} ${p.job}${p.jobId === null ? '' : ` #${p.jobId}`}`;
  if (p.disk !== null) return `${p.host ?? '?'}:${p.disk}`;
  return p.host ?? '-';
}

export function pointsTable(points: readonly RestorePointInfo[]): string {
  return formatTable(
    ['WHERE', 'APP', 'KIND', 'TIME', 'WHAT', 'LEVEL', 'LABEL', '>BYTES', 'KEPT BY', 'UNTIL'],
    points.map((p) => [
      where(p), p.app, p.kind, p.time, what(p), dash(p.level), dash(p.label), p.bytes === null ? '-' : formatBytes(p.bytes), p.keptBy, dash(p.keptUntil),
    ]),
  );
}

interface PointsOptions extends CdpCommonOptions {
  readonly barcode?: string;
  readonly volume?: string;
  readonly app?: (typeof POINT_APPS)[number];
}

function pointsCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('points'))
    .description('restore points: what Amanda and Bacula wrote on each cartridge (and tape files nobody labelled), and each CDP volume\'s window, tier points and bookmarks, with the rule that keeps each')
    .option('--barcode <B>', 'only this cartridge')
    .option('--volume <V>', 'only this CDP volume')
    .option('--app <app>', `only points of ${POINT_APPS.join(', ')}`, (v: string) => {
      if (!(POINT_APPS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${POINT_APPS.join(', ')}`);
      return v;
    })
    .action(async (opts: PointsOptions) => {
      const config = cdpConfig(opts);
      const r = await invokePoints(config, {
        ...(opts.barcode !== undefined && { barcode: opts.barcode }),
        ...(opts.volume !== undefined && { volume: opts.volume }),
        ...(opts.app !== undefined && { app: opts.app }),
      });
      if (opts.json === true) printJson(r, out);
      else if (r.points.length === 0) out.write('no restore points\n');
      else out.write(pointsTable(r.points));
    });
}

export function catalogCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('catalog')
    .description('what the catalog knows: restore points on the cartridges and in the CDP volumes')
    .addCommand(pointsCommand(out));
}
