// The handlers of `retention apply` and `audit`: the same for the running
// server (its runner, so an operator's pass waits for a scheduled one) and
// offline (a runner over the catalog and changers restored from it).
import type { Catalog } from '../catalog/catalog.ts';
import { UsageError } from '../errors.ts';
import { parseInstant } from '../instant.ts';
import { applySummary } from '../retention/apply.ts';
import type { RetentionRunner } from '../retention/runner.ts';
import { AuditListArgs, RetentionApplyArgs, type AuditListResult, type RetentionApplyResult } from './apply-protocol.ts';

/** Slack for a --now a moment ahead of this clock (another machine's, or the time the command took to arrive). */
const FUTURE_SLACK_MS = 60_000;

function instant(text: string, option: string): Date {
  const t = parseInstant(text);
  if (typeof t === 'string') throw new UsageError(`${option}: ${t}`);
  return t;
}

export async function retentionApply(runner: RetentionRunner, input: RetentionApplyArgs, clock: () => Date = () => new Date()): Promise<RetentionApplyResult> {
  const a = RetentionApplyArgs.parse(input);
  const now = a.now === undefined ? undefined : instant(a.now, '--now');
  if (now !== undefined && !a.force && now.getTime() > clock().getTime() + FUTURE_SLACK_MS) {
    throw new UsageError(`--now ${now.toISOString()} is in the future: apply would expire cartridges and history before their time; add --force to do it anyway (retention plan --now shows what it would do)`);
  }
  const { plan, report } = await runner.pass(now);
  return { ...report, warnings: [...plan.warnings], summary: applySummary(report) };
}

export function auditList(catalog: Catalog, input: AuditListArgs): AuditListResult {
  const a = AuditListArgs.parse(input);
  return { entries: catalog.audit.since(a.since === undefined ? '' : instant(a.since, '--since').toISOString()) };
}

export function applyHandlers(runner: RetentionRunner, catalog: Catalog): Record<'retention.apply' | 'audit.list', (args: unknown) => Promise<unknown>> {
  return {
    'retention.apply': (a) => retentionApply(runner, a as RetentionApplyArgs),
    'audit.list': async (a) => auditList(catalog, a as AuditListArgs),
  };
}
