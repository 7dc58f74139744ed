// `s3vtl retention apply` and `s3vtl audit`: through the running server's
// control socket, else on the catalog directly (the same handlers).
import { Command } from 'commander';
import type { Config } from '../config.ts';
import { applyHandlers } from '../control/apply-operations.ts';
import type { ApplyCommands, AuditListResult, RetentionApplyResult } from '../control/apply-protocol.ts';
import { offline, request } from '../control/client.ts';
import { openOffline } from '../control/offline.ts';
import { asVtlError } from '../control/operations.ts';
import { controlSocketPath } from '../control/protocol.ts';
import { VtlError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { retentionRunner } from '../wiring/retention.ts';
import { cliConfig, formatBytes, formatTable, printJson, withCommonOptions, type CommonOptions } from './output.ts';

async function invokeApply<C extends keyof ApplyCommands>(config: Config, command: C, args: ApplyCommands[C]['args']): Promise<ApplyCommands[C]['result']> {
  const online = await request(controlSocketPath(config.data), command, args);
  if (online !== offline) return online;
  const local = await openOffline(config, {
    publish: true,
    onPublishError: (e) => process.stderr.write(`s3vtl: warning: the library state was not written to the store (${e instanceof Error ? e.message : String(e)}); serve writes it at its next start\n`),
  });
  try {
    if (local.store === undefined) throw new VtlError('VTL_USAGE', 'retention needs the object store of a library; this configuration has no tape library');
    const runner = retentionRunner(config, {
      catalog: local.catalog, store: local.store, handles: local.libraries, shelf: local.shelf, log: createLogger('warn'),
    });
    return (await applyHandlers(runner, local.catalog)[command](args)) as ApplyCommands[C]['result'];
  } catch (e) {
    throw asVtlError(e) ?? e;
  } finally {
    await local.close();
  }
}

/** One line per action done, skipped or failed, then the summary. */
export function applyText(r: RetentionApplyResult): string {
  const rows = [
    ...r.applied.map((a) => [a.kind, a.barcode, a.pool, formatBytes(a.bytes), `${a.reason}${a.resumed ? ' (finished from an interrupted pass)' : ''}; ${a.objectsDeleted} objects deleted`]),
    ...r.volumes.map((v) => ['thin', v.volume, '-', '-', `${v.deleted} objects deleted, ${v.built} bases built`]),
    ...r.skipped.map((s) => ['skipped', s.barcode, '-', '-', `${s.kind}: ${s.reason}`]),
    ...r.errors.map((e) => ['failed', e.subject, '-', '-', e.message]),
  ];
  const table = rows.length === 0 ? '' : formatTable(['ACTION', 'SUBJECT', 'POOL', '>BYTES', 'WHY'], rows);
  return `${table}${r.warnings.map((w) => `warning: ${w}\n`).join('')}${r.summary}\n`;
}

export function auditText(r: AuditListResult): string {
  if (r.entries.length === 0) return 'no audit entries\n';
  return formatTable(['AT', 'ACTOR', 'ACTION', 'SUBJECT', 'DETAIL'], r.entries.map((e) => [e.at, e.actor, e.action, e.subject, e.detail === null ? '' : JSON.stringify(e.detail)]));
}

interface ApplyOptions extends CommonOptions {
  readonly now?: string;
  readonly force?: boolean;
}

export function applyCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return withCommonOptions(new Command('apply'))
    .description('carry out the retention plan now: recycle, archive or delete expired cartridges, thin CDP history; every action and deleted object goes to the audit log')
    .option('--now <time>', 'act as of this instant (ISO 8601); one in the future needs --force')
    .option('--force', 'allow a --now in the future')
    .action(async (opts: ApplyOptions) => {
      const config = cliConfig(opts);
      const result = await invokeApply(config, 'retention.apply', { force: opts.force === true, ...(opts.now !== undefined && { now: opts.now }) });
      if (opts.json === true) printJson(result, out);
      else out.write(applyText(result));
      if (result.errors.length > 0) process.exitCode = 1;
    });
}

interface AuditOptions extends CommonOptions {
  readonly since?: string;
}

export function auditCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return withCommonOptions(new Command('audit'))
    .description('what the gateway did to what it keeps: retention actions and every object deleted, oldest first')
    .option('--since <time>', 'entries at or after this instant (ISO 8601)')
    .action(async (opts: AuditOptions) => {
      const config = cliConfig(opts);
      const result = await invokeApply(config, 'audit.list', opts.since === undefined ? {} : { since: opts.since });
      if (opts.json === true) printJson(result, out);
      else out.write(auditText(result));
    });
}
