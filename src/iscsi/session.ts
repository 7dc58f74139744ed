// One iSCSI session (RFC 7143 §4.2.2, §4.2.7): the I_T nexus, the CmdSN
// window, the task table, and delivery of SCSI commands to logical units in
// CmdSN order (per LUN; tape drives rely on it). ERL 0 and MaxConnections=1:
// the session lives exactly as long as its connection.
import { encodeFixedSense, Sense, type SenseCode } from '../../scsi/sense.ts';
import { Status, type LogicalUnit, type Nexus, type ScsiCommand, type ScsiResult, type TargetContext } from '../../scsi/command.ts';
import { DataBudget, type SessionBudget } from './data-budget.ts';
import type { Logger } from './logger.ts';
import type { SessionParams, SessionType } from './negotiation.ts';
import type { ScsiTask } from './task.ts';
import type { TargetDefinition } from './target.ts';

/** RFC 1982 serial number comparison on 32 bits: a < b. */
export function snLess(a: number, b: number): boolean {
  return a !== b && ((a - b) | 0) < 0;
}

export function snAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function checkCondition(sense: SenseCode): ScsiResult {
  return { status: Status.CHECK_CONDITION, sense: encodeFixedSense(sense) };
}

export interface SessionInit {
  readonly tsih: number;
  readonly isid: string;
  readonly initiatorName: string;
  readonly sessionType: SessionType;
  readonly target: TargetDefinition | undefined;
  readonly nexus: Nexus | undefined;
  readonly params: SessionParams;
  readonly cmdSN: number;
  readonly queueDepth: number;
  readonly logger: Logger;
  /** The session's share of the target's data budget (Data-Out and Data-In). */
  readonly budget?: SessionBudget;
  /** Sends a finished task's response (the connection). */
  readonly complete: (task: ScsiTask, result: ScsiResult) => void;
}

export class Session {
  readonly tsih: number;
  readonly isid: string;
  readonly initiatorName: string;
  readonly sessionType: SessionType;
  readonly target: TargetDefinition | undefined;
  readonly nexus: Nexus | undefined;
  readonly params: SessionParams;
  readonly budget: SessionBudget;
  readonly #queueDepth: number;
  readonly #logger: Logger;
  readonly #complete: (task: ScsiTask, result: ScsiResult) => void;
  readonly #context: TargetContext;
  #expCmdSN: number;
  #maxCmdSN: number;
  #held = new Map<number, () => void>();
  #preAborted = new Set<number>();
  #tasks = new Map<number, ScsiTask>();
  #queues = new Map<number, ScsiTask[]>();
  #executing = new Map<number, { count: number; ordered: boolean }>();
  #closed = false;

  constructor(init: SessionInit) {
    this.tsih = init.tsih;
    this.isid = init.isid;
    this.initiatorName = init.initiatorName;
    this.sessionType = init.sessionType;
    this.target = init.target;
    this.nexus = init.nexus;
    this.params = init.params;
    this.budget = init.budget ?? new DataBudget().session();
    this.#queueDepth = init.queueDepth;
    this.#logger = init.logger;
    this.#complete = init.complete;
    this.#expCmdSN = init.cmdSN >>> 0;
    this.#maxCmdSN = snAdd(this.#expCmdSN, init.queueDepth - 1);
    const target = init.target;
    this.#context = {
      luns: () => (target === undefined ? [] : [...target.luns.keys()].sort((a, b) => a - b)),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get expCmdSN(): number {
    return this.#expCmdSN;
  }

  /** The window only grows (RFC 7143 §4.2.2.1); it opens as tasks finish. */
  get maxCmdSN(): number {
    const credit = Math.max(0, this.#queueDepth - this.#tasks.size);
    const candidate = snAdd(this.#expCmdSN, credit - 1);
    if (snLess(this.#maxCmdSN, candidate)) this.#maxCmdSN = candidate;
    return this.#maxCmdSN;
  }

  get taskCount(): number {
    return this.#tasks.size;
  }

  /** As many tasks as the queue depth: the window gives no credit. */
  get windowFull(): boolean {
    return this.#tasks.size >= this.#queueDepth;
  }

  get immediateTaskCount(): number {
    let n = 0;
    for (const t of this.#tasks.values()) if (t.immediate) n++;
    return n;
  }

  inWindow(cmdSN: number): boolean {
    return !snLess(cmdSN, this.#expCmdSN) && !snLess(this.maxCmdSN, cmdSN);
  }

  /**
   * Order a command PDU by CmdSN (RFC 7143 §4.2.2.1). Immediate commands run
   * at once; the next expected CmdSN runs and releases any held successors;
   * a later one inside the window waits; anything outside the window "MUST be
   * silently ignored".
   */
  admit(cmdSN: number, immediate: boolean, run: () => void): 'run' | 'held' | 'ignored' {
    if (this.#closed) return 'ignored';
    if (immediate) {
      run();
      return 'run';
    }
    if (cmdSN === this.#expCmdSN && this.inWindow(cmdSN)) {
      this.#advance(run);
      for (let next = this.#held.get(this.#expCmdSN); next !== undefined; next = this.#held.get(this.#expCmdSN)) {
        this.#held.delete(this.#expCmdSN);
        this.#advance(next);
      }
      return 'run';
    }
    if (this.inWindow(cmdSN) && !this.#held.has(cmdSN)) {
      this.#held.set(cmdSN, run);
      return 'held';
    }
    this.#logger.debug('command outside CmdSN window ignored', {
      cmdSN,
      expCmdSN: this.#expCmdSN,
      maxCmdSN: this.#maxCmdSN,
    });
    return 'ignored';
  }

  #advance(run: () => void): void {
    const sn = this.#expCmdSN;
    this.#expCmdSN = snAdd(sn, 1);
    if (this.#preAborted.delete(sn)) return; // ABORT TASK arrived before the command (RFC 7143 §11.5.1)
    run();
  }

  /** ABORT TASK for a command not received yet: consider its CmdSN received and drop it when it comes. */
  preAbort(refCmdSN: number): void {
    this.#preAborted.add(refCmdSN);
  }

  task(itt: number): ScsiTask | undefined {
    return this.#tasks.get(itt);
  }

  tasks(): IterableIterator<ScsiTask> {
    return this.#tasks.values();
  }

  /** Register a new task; it starts once its data is in and its turn comes. */
  addTask(task: ScsiTask): void {
    this.#tasks.set(task.itt, task);
    if (task.immediate || task.attribute === 'head-of-queue') {
      if (task.state === 'ready') this.#start(task);
      return;
    }
    let q = this.#queues.get(task.lun);
    if (q === undefined) this.#queues.set(task.lun, (q = []));
    q.push(task);
    if (task.state === 'ready') this.#dispatch(task.lun);
  }

  /** All Data-Out arrived. */
  taskReady(task: ScsiTask): void {
    if (task.immediate || task.attribute === 'head-of-queue') this.#start(task);
    else this.#dispatch(task.lun);
  }

  #dispatch(lun: number): void {
    const q = this.#queues.get(lun);
    if (q === undefined) return;
    while (q.length > 0) {
      const head = q[0]!;
      if (head.state === 'aborted') {
        q.shift();
        continue;
      }
      if (head.state !== 'ready') break;
      const ex = this.#executing.get(lun);
      // SAM-5 ORDERED: starts alone, and nothing starts while it runs.
      if (ex !== undefined && ex.count > 0 && (ex.ordered || head.attribute === 'ordered')) break;
      q.shift();
      this.#start(head);
    }
    if (q.length === 0) this.#queues.delete(lun);
  }

  logicalUnit(lun: number): LogicalUnit | undefined {
    const t = this.target;
    if (t === undefined) return undefined;
    return t.luns.get(lun) ?? t.unmappedLun;
  }

  #start(task: ScsiTask): void {
    task.state = 'executing';
    const ex = this.#executing.get(task.lun) ?? { count: 0, ordered: false };
    ex.count++;
    ex.ordered ||= task.attribute === 'ordered';
    this.#executing.set(task.lun, ex);
    const lu = this.logicalUnit(task.lun);
    let run: Promise<ScsiResult>;
    if (task.failure !== undefined) {
      run = Promise.resolve(checkCondition(task.failure));
    } else if (lu === undefined || this.nexus === undefined) {
      run = Promise.resolve(checkCondition(Sense.logicalUnitNotSupported));
    } else {
      const cmd: ScsiCommand = {
        cdb: task.cdb,
        lun: task.lun,
        nexus: this.nexus,
        target: this.#context,
        taskAttribute: task.attribute,
        expectedLength: task.write ? task.expectedLength : task.readLength,
        dataOut: task.dataOut,
        get signal() {
          return task.signal;
        },
      };
      try {
        run = lu.execute(cmd);
      } catch (e) {
        run = Promise.reject(e);
      }
    }
    task.settled = run.then(
      (result) => this.#finish(task, result),
      (err: unknown) => {
        this.#logger.error('logical unit execute() rejected', {
          lun: task.lun,
          opcode: task.cdb[0],
          error: err instanceof Error ? err.message : String(err),
        });
        this.#finish(task, checkCondition(Sense.internalTargetFailure));
      },
    );
  }

  #finish(task: ScsiTask, result: ScsiResult): void {
    const ex = this.#executing.get(task.lun);
    if (ex !== undefined) {
      ex.count--;
      if (ex.count === 0) this.#executing.delete(task.lun);
      else if (task.attribute === 'ordered') ex.ordered = false;
    }
    const aborted = task.state === 'aborted';
    if (this.#tasks.get(task.itt) === task) this.#tasks.delete(task.itt);
    if (!aborted && !this.#closed) {
      task.state = 'done';
      this.#complete(task, result);
    }
    task.release(result.dataIn);
    if (!this.#closed) this.#dispatch(task.lun);
  }

  /**
   * Abort tasks (RFC 7143 §4.2.3.3 ERL 0: aborted tasks get no response).
   * Resolves when every affected task that was running has settled.
   */
  abort(match: (t: ScsiTask) => boolean): Promise<void> {
    const waits: Promise<void>[] = [];
    const luns = new Set<number>();
    for (const t of [...this.#tasks.values()]) {
      if (!match(t)) continue;
      const wasExecuting = t.state === 'executing';
      t.state = 'aborted';
      t.abortNow();
      luns.add(t.lun);
      if (wasExecuting && t.settled !== undefined) waits.push(t.settled);
      else {
        this.#tasks.delete(t.itt);
        t.release(undefined); // never ran: its Data-Out memory and budget are free now
      }
    }
    for (const lun of luns) this.#dispatch(lun);
    return Promise.all(waits).then(() => undefined);
  }

  /** Close: abort everything, tell every logical unit its I_T nexus is gone (SAM-5 I_T nexus loss). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#held.clear();
    this.budget.close();
    const done = this.abort(() => true);
    const nexus = this.nexus;
    const target = this.target;
    if (nexus !== undefined && target !== undefined) {
      const lus = new Set<LogicalUnit>(target.luns.values());
      if (target.unmappedLun !== undefined) lus.add(target.unmappedLun);
      for (const lu of lus) {
        try {
          lu.nexusLost(nexus);
        } catch (e) {
          this.#logger.error('nexusLost threw', { error: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    return done;
  }
}
