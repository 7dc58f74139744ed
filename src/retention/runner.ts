// One retention pass (gather, plan, apply) and what runs passes: the
// operator's `retention apply` (through the control socket or offline) and
// serve's schedule (`retention.every`). Passes never overlap: one asked for
// while another runs waits for it; a scheduled tick that finds one running
// is skipped. The policies are read at the start of each pass, so a config
// reloaded on SIGHUP applies to the next pass.

import type { Config } from '../config.ts';
import { applyRetention, applySummary, type ApplyDeps, type ApplyReport } from './apply.ts';
import { gatherRetentionInput, type HistorySource, type LiveRetentionState } from './gather.ts';
import { planRetention } from './plan.ts';
import { retentionPolicies } from './policies.ts';
import type { RetentionPlan } from './types.ts';

export interface RunnerLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export interface RunnerOptions {
  /** The config passes read their policies from (replaced by reload()). */
  readonly config: Config;
  /** Executor dependencies (catalog, store, libraries, holds). */
  readonly deps: ApplyDeps;
  readonly live?: LiveRetentionState | undefined;
  readonly cdp?: HistorySource | undefined;
  readonly log: RunnerLog;
  /** The wall clock (default: Date). */
  readonly clock?: () => Date;
}

export interface PassResult {
  readonly plan: RetentionPlan;
  readonly report: ApplyReport;
}

export class RetentionRunner {
  readonly #o: RunnerOptions;
  #config: Config;
  #running: Promise<unknown> = Promise.resolve();
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  #everyMs = 0;
  #closed = false;

  constructor(o: RunnerOptions) {
    this.#o = o;
    this.#config = o.config;
  }

  get config(): Config {
    return this.#config;
  }

  /** Run one pass as of `now` (default: the clock), after any pass under way. */
  pass(now?: Date): Promise<PassResult> {
    const next = this.#running.then(() => this.#pass(now ?? this.#clock()));
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #pass(now: Date): Promise<PassResult> {
    this.#busy = true;
    try {
      const config = this.#config;
      const input = await gatherRetentionInput({
        now, policies: retentionPolicies(config), pools: config.pools, catalog: this.#o.deps.catalog,
        ...(this.#o.live !== undefined && { live: this.#o.live }),
        ...(this.#o.cdp !== undefined && { cdp: this.#o.cdp }),
      });
      const plan = planRetention(input);
      const report = await applyRetention(plan, { ...this.#o.deps, clock: this.#clock });
      return { plan, report };
    } finally {
      this.#busy = false;
    }
  }

  /** Serve's schedule: a pass every `retention.every` (0: none), each logged in one line. */
  schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#everyMs = this.#config.retention.everyMs;
    if (this.#everyMs === 0 || this.#closed) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#everyMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#busy) {
      this.#o.log.warn('retention pass skipped: the previous one is still running');
    } else {
      await this.pass().then(
        ({ report }) => (report.errors.length > 0 ? this.#o.log.warn : this.#o.log.info)(applySummary(report), report.errors.length > 0 ? { errors: report.errors } : undefined),
        (e: unknown) => this.#o.log.error('retention pass failed', { error: e instanceof Error ? e.message : String(e) }),
      );
    }
    if (this.#timer === undefined) this.schedule();
  }

  /** A new config (SIGHUP): its policies from the next pass, its `retention.every` from now. */
  reload(config: Config): void {
    this.#config = config;
    if (config.retention.everyMs !== this.#everyMs) this.schedule();
  }

  /** Stop scheduling; resolves once a pass under way has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  readonly #clock = (): Date => (this.#o.clock ?? (() => new Date()))();
}
