// One task set per logical unit (SAM-5 8.6, task attributes). The transport
// calls execute() in CmdSN order; tasks are registered synchronously, so the
// registration order is the command order.
//   SIMPLE         may run concurrently with other SIMPLE tasks, after every earlier ORDERED task
//   ORDERED        waits for every earlier task, and every later non-HEAD OF QUEUE task waits for it
//   HEAD OF QUEUE  runs at once
// A serial task set (tape, changer: SSC is sequential) treats every task as ORDERED.
import type { TaskAttribute } from '../command.ts';

const settled = (p: Promise<unknown>): Promise<void> => p.then(() => undefined, () => undefined);

export class TaskSet {
  readonly #serial: boolean;
  readonly #active = new Set<Promise<void>>();
  #barrier: Promise<void> = Promise.resolve();

  constructor(serial: boolean) {
    this.#serial = serial;
  }

  run<T>(attribute: TaskAttribute, task: () => Promise<T>): Promise<T> {
    if (attribute === 'head-of-queue' && !this.#serial) return task();
    let result: Promise<T>;
    if (this.#serial || attribute === 'ordered') {
      const before = Promise.all([this.#barrier, ...this.#active]);
      result = before.then(task);
      this.#barrier = settled(result);
    } else {
      result = this.#barrier.then(task);
    }
    const done = settled(result);
    this.#active.add(done);
    void done.then(() => this.#active.delete(done));
    return result;
  }

  /** Resolves when every task registered so far has completed. */
  drain(): Promise<void> {
    return Promise.all([this.#barrier, ...this.#active]).then(() => undefined);
  }
}
