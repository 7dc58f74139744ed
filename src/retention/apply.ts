// applyRetention: carry out a RetentionPlan. Idempotent: tasks an earlier
// pass began and did not finish (a crash, kill -9) are finished first, then
// each action of the plan is checked against the live state once more
// (loaded, reserved, being read; written since the plan; already done) and
// carried out as a task (cartridge-tasks.ts). Every action and every object
// deleted is in the audit log (actor `retention`) before the deletion.
// One action failing does not stop the others; its task stays for the next
// pass.

import type { AuditEntry } from '../catalog/audit.ts';
import type { RetentionTask } from '../catalog/retention-tasks.ts';
import { ACTOR, beginTask, runTask, type Intent, type TaskDeps } from './cartridge-tasks.ts';
import type { CartridgeAction, RetentionPlan, VolumeAction } from './types.ts';

export type { RetentionLibraries } from './cartridge-tasks.ts';

export interface ApplyLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export interface ApplyDeps extends TaskDeps {
  /**
   * Why the cartridge must not be touched right now (loaded in a drive,
   * reserved, being read by a restore or retrieve), or undefined.
   */
  readonly holds: (barcode: string, kind: Intent['kind']) => string | undefined;
  /** CDP thinning of one volume (src/cdp/thin-apply.ts); absent: volume actions are reported as not applied. */
  readonly thinVolume?: ((action: VolumeAction, audit: (e: AuditEntry) => void) => Promise<{ deleted: readonly string[]; built: readonly number[] }>) | undefined;
  readonly log?: ApplyLog | undefined;
}

export interface AppliedAction {
  readonly kind: 'recycle' | 'archive' | 'delete';
  readonly barcode: string;
  readonly pool: string;
  readonly bytes: number;
  readonly reason: string;
  readonly objectsDeleted: number;
  /** Finished for an earlier pass that was interrupted. */
  readonly resumed: boolean;
}

export interface ApplyReport {
  /** The plan's instant (ISO). */
  readonly now: string;
  readonly applied: AppliedAction[];
  /** Planned but not done now, and why (held since the plan, already done, written since). */
  readonly skipped: { readonly kind: string; readonly barcode: string; readonly reason: string }[];
  readonly volumes: { readonly volume: string; readonly deleted: number; readonly built: number }[];
  readonly errors: { readonly subject: string; readonly message: string }[];
  objectsDeleted: number;
  bytesFreed: number;
}

type Actionable = Extract<CartridgeAction, { kind: 'recycle' | 'archive' | 'delete' }>;

const isActionable = (a: CartridgeAction): a is Actionable => a.kind === 'recycle' || a.kind === 'archive' || a.kind === 'delete';

export async function applyRetention(plan: RetentionPlan, deps: ApplyDeps): Promise<ApplyReport> {
  const startedAt = deps.clock();
  const report: ApplyReport = { now: plan.now.toISOString(), applied: [], skipped: [], volumes: [], errors: [], objectsDeleted: 0, bytesFreed: 0 };
  const fail = (subject: string, e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    report.errors.push({ subject, message });
    deps.log?.error('retention action failed; the next pass goes on with it', { subject, error: message });
  };
  const done = (t: RetentionTask, deleted: number, resumed: boolean): void => {
    report.applied.push({ kind: t.action, barcode: t.barcode, pool: t.detail.pool, bytes: t.detail.bytes, reason: t.detail.reason, objectsDeleted: deleted, resumed });
    report.objectsDeleted += deleted;
    report.bytesFreed += t.action === 'archive' ? 0 : t.detail.bytes;
  };

  const finished = new Set<string>();
  for (const t of deps.catalog.retentionTasks.list()) {
    try {
      done(t, await runTask(deps, t), true);
      finished.add(t.barcode);
    } catch (e) {
      fail(t.barcode, e);
      finished.add(t.barcode);
    }
  }

  for (const a of plan.cartridges.filter(isActionable)) {
    if (finished.has(a.barcode)) continue;
    const why = stale(deps, a, startedAt) ?? deps.holds(a.barcode, a.kind);
    if (why !== undefined) {
      report.skipped.push({ kind: a.kind, barcode: a.barcode, reason: why });
      continue;
    }
    try {
      const begun = await beginTask(deps, a, deps.catalog.cartridges.require(a.barcode));
      if ('held' in begun) {
        report.skipped.push({ kind: a.kind, barcode: a.barcode, reason: begun.held });
        continue;
      }
      done(begun, await runTask(deps, begun), false);
    } catch (e) {
      fail(a.barcode, e);
    }
  }

  for (const v of plan.volumes) {
    if (v.plan.delete.length === 0 && v.plan.basesNeeded.every((b) => b.exists)) continue;
    if (deps.thinVolume === undefined) {
      report.errors.push({ subject: v.volume, message: 'CDP thinning is not available in this gateway' });
      continue;
    }
    try {
      const r = await deps.thinVolume(v, (e) => deps.catalog.audit.record({ ...e, actor: ACTOR }));
      report.volumes.push({ volume: v.volume, deleted: r.deleted.length, built: r.built.length });
      report.objectsDeleted += r.deleted.length;
      report.bytesFreed += v.bytesFreed;
    } catch (e) {
      fail(v.volume, e);
    }
  }
  return report;
}

/** Why a planned action no longer applies (done already, or the cartridge changed since the plan), or undefined. */
function stale(d: ApplyDeps, a: Actionable, startedAt: Date): string | undefined {
  const c = d.catalog.cartridges.get(a.barcode);
  if (c === undefined) return a.kind === 'delete' ? 'already deleted' : 'no longer in the catalog';
  if (c.lastWrittenAt !== null && new Date(c.lastWrittenAt) > startedAt) return `written since the plan (${c.lastWrittenAt})`;
  if (a.kind === 'recycle' && c.state === 'scratch' && c.bytesWritten === 0 && c.eodObjectId === 0) return 'already blank scratch';
  if (a.kind === 'archive' && d.libraries.libraryOf(a.barcode) === null && d.shelf?.row(a.barcode) !== undefined) return 'already on the shelf';
  return undefined;
}

/** One line for logs: what a pass did. */
export function applySummary(r: ApplyReport): string {
  const count = (k: string): number => r.applied.filter((a) => a.kind === k).length;
  const parts = [
    `${count('recycle')} recycled`, `${count('archive')} archived`, `${count('delete')} deleted`,
    `${r.volumes.length} volume${r.volumes.length === 1 ? '' : 's'} thinned`,
    `${r.objectsDeleted} object${r.objectsDeleted === 1 ? '' : 's'} deleted`, `${r.bytesFreed} bytes freed`,
  ];
  if (r.skipped.length > 0) parts.push(`${r.skipped.length} skipped`);
  if (r.errors.length > 0) parts.push(`${r.errors.length} failed`);
  return `retention pass at ${r.now}: ${parts.join(', ')}`;
}
