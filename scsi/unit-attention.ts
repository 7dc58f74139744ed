// Unit attention conditions, one queue per I_T nexus (SAM-5 5.14, SPC-4 5.14).
//
// A nexus seen for the first time has the power-on condition pending: "the
// device server shall establish a unit attention condition for the initiator
// port associated with every I_T nexus" after power on (SAM-5), and a nexus
// that logs in later has not yet been told. Reset-class conditions (29h) take
// precedence and replace whatever else was pending.
import { Sense, type SenseCode } from './sense.ts';

/** Queues are bounded; SPC-4 lets a device server discard lower-priority conditions. */
const MAX_PENDING = 8;

export class UnitAttentions {
  readonly #pending = new Map<string, SenseCode[]>();
  readonly #initial: SenseCode | undefined;

  /** @param initial the condition a nexus sees first (29/00 POWER ON by default; null for none). */
  constructor(initial: SenseCode | null = Sense.powerOnResetOrBusDeviceReset) {
    this.#initial = initial ?? undefined;
  }

  #queue(port: string): SenseCode[] {
    let q = this.#pending.get(port);
    if (q === undefined) {
      q = this.#initial === undefined ? [] : [this.#initial];
      this.#pending.set(port, q);
    }
    return q;
  }

  /** The condition the next command from this nexus would report, without clearing it. */
  peek(port: string): SenseCode | undefined {
    return this.#queue(port)[0];
  }

  /** Report and clear the oldest pending condition. */
  take(port: string): SenseCode | undefined {
    return this.#queue(port).shift();
  }

  /** Establish a condition for one nexus. */
  establish(port: string, sense: SenseCode): void {
    const q = this.#queue(port);
    if (sense.asc === 0x29) {
      q.length = 0;
      q.push(sense);
      return;
    }
    if (q.some((c) => c.asc === sense.asc && c.ascq === sense.ascq)) return;
    if (q.length >= MAX_PENDING) q.pop();
    q.push(sense);
  }

  /**
   * Establish a condition for every nexus known to this LU, except `exceptPort`.
   * Nexuses that have not appeared yet will see the initial condition anyway.
   */
  establishAll(sense: SenseCode, exceptPort?: string): void {
    for (const port of this.#pending.keys()) {
      if (port !== exceptPort) this.establish(port, sense);
    }
  }

  /** Clear one specific condition for a nexus (REPORT LUNS clears 3F/0E, SPC-4 6.33). */
  clear(port: string, sense: SenseCode): void {
    const q = this.#queue(port);
    const i = q.findIndex((c) => c.asc === sense.asc && c.ascq === sense.ascq);
    if (i >= 0) q.splice(i, 1);
  }

  /** The nexus is gone: a later nexus with this name starts afresh (with the initial condition). */
  forget(port: string): void {
    this.#pending.delete(port);
  }

  /** Nexuses with queues (known to this LU). */
  ports(): IterableIterator<string> {
    return this.#pending.keys();
  }
}
