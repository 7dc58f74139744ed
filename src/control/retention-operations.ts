// The `retention` commands: a plan of what a retention pass would do now (or
// at --now), from the catalog, the running gateway's state when there is one
// and the CDP histories in the store. serve answers with its live state;
// offline, nothing is loaded, reserved or exposed.
import type { Config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { parseInstant } from '../instant.ts';
import { gatherRetentionInput, type GatherDeps, type HistorySource, type LiveRetentionState } from '../retention/gather.ts';
import { planRetention } from '../retention/plan.ts';
import { retentionPolicies } from '../retention/policies.ts';
import type { RetentionPlan } from '../retention/types.ts';
import { RetentionPlanArgs, type RetentionPlanResult } from './retention-protocol.ts';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The plan as `retention plan --json` prints it. */
export function planResult(plan: RetentionPlan): RetentionPlanResult {
  return {
    now: plan.now.toISOString(),
    cartridges: plan.cartridges.map((a) => ({
      barcode: a.barcode, pool: a.pool, action: a.kind, reason: a.reason,
      ...('until' in a ? { bytes: null, until: iso(a.until) } : { bytes: a.bytes, until: null }),
    })),
    volumes: plan.volumes.map((v) => ({
      volume: v.volume,
      windowStart: v.plan.windowStart.toISOString(),
      keep: v.plan.keep.map((k) => ({ time: k.time.toISOString(), seq: k.seq, reason: k.reason })),
      build: v.plan.basesNeeded.filter((b) => !b.exists).map((b) => ({ seq: b.seq, from: b.buildFrom, reason: b.reason })),
      delete: v.plan.delete.map((d) => ({ key: d.key, kind: d.kind, reason: d.reason })),
      held: v.held.map((h) => ({ ...h })),
      bytesFreed: v.bytesFreed,
    })),
    freed: { pools: { ...plan.freed.pools }, volumes: { ...plan.freed.volumes } },
    warnings: [...plan.warnings],
  };
}

/** --now: an instant strictly parsed; absent, the clock's. */
export function planInstant(now: string | undefined, clock: () => Date): Date {
  if (now === undefined) return clock();
  const at = parseInstant(now);
  if (typeof at === 'string') throw new UsageError(`--now: ${at}`);
  return at;
}

export interface RetentionSources {
  /** The config in force (serve reloads it on SIGHUP). */
  readonly config: () => Config;
  readonly catalog?: GatherDeps['catalog'];
  readonly live?: LiveRetentionState;
  readonly cdp?: HistorySource;
  readonly clock?: () => Date;
}

export class RetentionOperations {
  readonly #s: RetentionSources;

  constructor(sources: RetentionSources) {
    this.#s = sources;
  }

  handlers(): Record<'retention.plan', (args: unknown) => Promise<unknown>> {
    return { 'retention.plan': async (a) => planResult(await this.plan(planInstant(RetentionPlanArgs.parse(a).now, this.#s.clock ?? (() => new Date())))) };
  }

  /** What a pass at `now` would do (the executor carries out this same plan). */
  async plan(now: Date): Promise<RetentionPlan> {
    const config = this.#s.config();
    const input = await gatherRetentionInput({
      now,
      policies: retentionPolicies(config),
      pools: config.pools,
      ...(this.#s.catalog !== undefined && { catalog: this.#s.catalog }),
      ...(this.#s.live !== undefined && { live: this.#s.live }),
      ...(this.#s.cdp !== undefined && { cdp: this.#s.cdp }),
    });
    return planRetention(input);
  }
}
