// Block-range locks in arrival order: a holder waits for every earlier holder
// whose range overlaps its own. Writes to the same blocks reach the image in
// seq order, and a base reads a chunk while no write to it is in flight, so
// the copy reflects exactly the writes up to the seq it records.

interface Held {
  readonly start: number;
  readonly end: number;
  readonly done: Promise<void>;
  release: () => void;
}

export class RangeLocks {
  #held: Held[] = [];

  /** Take [start, end) now; `ready` resolves when earlier overlapping holders are gone (undefined: at once). */
  acquire(start: number, end: number): { ready: Promise<unknown> | undefined; release: () => void } {
    let waits: Promise<void>[] | undefined;
    for (const h of this.#held) {
      if (h.start < end && start < h.end) (waits ??= []).push(h.done);
    }
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const me: Held = { start, end, done, release: () => {} };
    me.release = () => {
      const i = this.#held.indexOf(me);
      if (i >= 0) this.#held.splice(i, 1);
      release();
    };
    this.#held.push(me);
    return { ready: waits === undefined ? undefined : Promise.all(waits), release: me.release };
  }

  get size(): number {
    return this.#held.length;
  }
}
