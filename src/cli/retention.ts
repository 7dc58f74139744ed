// `s3vtl retention plan`: what a retention pass would do now, or at --now, and
// why: per cartridge and CDP volume the action and its reason, the bytes freed
// per pool and volume, and warnings. Through the control socket while serve
// runs (then loaded drives, reservations and exposed LUNs hold what they
// use); without it, from the catalog and the store.
import { join } from 'node:path';
import { applyCommand } from './retention-apply.ts';
import { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import type { Config } from '../config.ts';
import { offline, request } from '../control/client.ts';
import { asVtlError } from '../control/operations.ts';
import { controlSocketPath } from '../control/protocol.ts';
import { planInstant, RetentionOperations } from '../control/retention-operations.ts';
import type { RetentionPlanArgs, RetentionPlanResult } from '../control/retention-protocol.ts';
import { storeHistorySource } from '../retention/live.ts';
import { catalogRetentionHistory } from '../retention/catalog-history.ts';
import { CDP_PREFIX } from '../wiring/cdp.ts';
import { prepareDataDir } from '../wiring/data-dir.ts';
import { openStore } from '../wiring/store.ts';
import { cdpConfig, withCdpOptions, type CdpCommonOptions } from './cdp-options.ts';
import { formatBytes, formatTable, printJson } from './output.ts';

/** The plan from the running server, else from this process over the catalog and the store. */
export async function retentionPlan(config: Config, args: RetentionPlanArgs): Promise<RetentionPlanResult> {
  const online = await request(controlSocketPath(config.data), 'retention.plan', args);
  if (online !== offline) return online;
  planInstant(args.now, () => new Date());
  await prepareDataDir(config.data);
  const catalog = config.targets.some((t) => t.library !== undefined) ? Catalog.open(join(config.data, 'catalog.sqlite')) : undefined;
  try {
    const opened = await openStore(config.store);
    try {
      const ops = new RetentionOperations({ config: () => config, ...(catalog !== undefined && { catalog }), cdp: catalog !== undefined ? catalogRetentionHistory(catalog, opened.store, CDP_PREFIX) : storeHistorySource(opened.store, CDP_PREFIX) });
      return (await ops.handlers()['retention.plan'](args)) as RetentionPlanResult;
    } finally {
      await opened.close();
    }
  } catch (e) {
    throw asVtlError(e) ?? e;
  } finally {
    catalog?.close();
  }
}

export function planText(p: RetentionPlanResult): string {
  const out: string[] = [`retention plan as of ${p.now} (dry run: nothing is changed)`, ''];
  if (p.cartridges.length === 0) out.push('no cartridges');
  else {
    out.push(formatTable(
      ['CARTRIDGE', 'POOL', 'ACTION', '>BYTES', 'REASON'],
      p.cartridges.map((c) => [c.barcode, c.pool, c.action, c.bytes === null ? '-' : formatBytes(c.bytes), c.reason]),
    ).trimEnd());
  }
  for (const v of p.volumes) {
    out.push('', `CDP volume ${v.volume}: any point from ${v.windowStart}; ${v.keep.length} points kept, ${v.build.length} bases to build, ${v.delete.length} objects to delete (${formatBytes(v.bytesFreed)}), ${v.held.length} held`);
    for (const k of v.keep) out.push(`  keep    seq ${k.seq} ${k.time}: ${k.reason}`);
    for (const b of v.build) out.push(`  build   base at seq ${b.seq}${b.from === null ? '' : ` from base ${b.from}`}: ${b.reason}`);
    for (const d of v.delete) out.push(`  delete  ${d.key}: ${d.reason}`);
    for (const h of v.held) out.push(`  hold    ${h.key}: ${h.reason}`);
  }
  const pools = Object.entries(p.freed.pools);
  const vols = Object.entries(p.freed.volumes);
  out.push('', 'freed:');
  if (pools.length === 0 && vols.length === 0) out.push('  nothing (no pool has a retention, no CDP volume)');
  for (const [name, n] of pools) out.push(`  pool ${name}: ${formatBytes(n)}`);
  for (const [name, n] of vols) out.push(`  volume ${name}: ${formatBytes(n)}`);
  if (p.warnings.length > 0) out.push('', 'warnings:', ...p.warnings.map((w) => `  ${w}`));
  return out.join('\n') + '\n';
}

function planCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('plan'))
    .description('show what a retention pass would do now (or at --now) and why, with the bytes freed per pool and volume; changes nothing')
    .option('--now <time>', 'plan as of this ISO 8601 instant, e.g. 2027-03-01T00:00:00Z (ask about the future)')
    .action(async (opts: CdpCommonOptions & { now?: string }) => {
      const config = cdpConfig(opts);
      const result = await retentionPlan(config, opts.now === undefined ? {} : { now: opts.now });
      if (opts.json === true) printJson(result, out);
      else out.write(planText(result));
    });
}

export function retentionCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('retention')
    .description('retention of cartridges and CDP history under the policies of the config')
    .addCommand(planCommand(out))
    .addCommand(applyCommand(out));
}
