// Bounds on data held in memory: per session and for the whole target.
//
// A read command reserves its read length before the logical unit produces
// its data, and gives it back once its Data-In was written to the socket
// (ScsiTask.dataInSent): an initiator that does not read holds at most its
// reservations, and its later reads wait.
//
// A write command reserves its Expected Data Transfer Length before any of
// its data is solicited (the first R2T) or accepted (immediate and
// unsolicited data), and gives it back once it settled. A reservation is a
// promise that the transfer can finish: a command that holds one never waits
// for another command's memory, so sessions cannot deadlock each other. The
// memory itself is taken as the data arrives (DataOutBuffer), so an
// initiator that announces much and sends little holds little memory, and
// what it can make the target hold is bounded by the reservations.
//
// A session may always reserve up to `floor` bytes even when the target's
// total is spent, so sessions that hold a target's budget with unanswered
// R2Ts cannot starve a session streaming small writes.

import { DEFAULT_LIMITS } from './limits.ts';

export interface DataBudgetLimits {
  /** Bytes all sessions together may reserve. */
  readonly total: number;
  /** Bytes one session may reserve. */
  readonly perSession: number;
  /** Bytes a session may reserve even when `total` is spent (at most `perSession`). */
  readonly floor: number;
}

/** A session may always reserve this much, even when the target's total is spent. */
export const SESSION_FLOOR = 4 * 1024 * 1024;

/** The budget of the default limits (limits.ts), for a session built without a server's budget. */
export const DEFAULT_DATA_BUDGET: DataBudgetLimits = {
  total: DEFAULT_LIMITS.maxBuffered,
  perSession: DEFAULT_LIMITS.maxBufferedPerSession,
  floor: SESSION_FLOOR,
};

export class DataBudget {
  readonly limits: DataBudgetLimits;
  #reserved = 0;
  #allocated = 0;
  #peakAllocated = 0;
  /** Sessions waiting for room, oldest first. */
  readonly #waiters = new Set<SessionBudget>();

  constructor(limits: DataBudgetLimits = DEFAULT_DATA_BUDGET) {
    this.limits = { ...limits, floor: Math.min(limits.floor, limits.perSession) };
  }

  /** Bytes reserved by all sessions. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Bytes of data memory held now: Data-Out received, Data-In not yet written to the socket. */
  get allocated(): number {
    return this.#allocated;
  }

  get peakAllocated(): number {
    return this.#peakAllocated;
  }

  session(): SessionBudget {
    return new SessionBudget(this);
  }

  /** @internal SessionBudget's accounting. */
  _reserve(n: number): void {
    this.#reserved += n;
  }

  /** @internal */
  _unreserve(n: number, from: SessionBudget): void {
    this.#reserved -= n;
    this.#wake(from);
  }

  /** @internal */
  _allocated(delta: number): void {
    this.#allocated += delta;
    if (this.#allocated > this.#peakAllocated) this.#peakAllocated = this.#allocated;
  }

  /** @internal */
  _wait(s: SessionBudget): void {
    this.#waiters.add(s);
  }

  /** @internal */
  _unwait(s: SessionBudget): void {
    this.#waiters.delete(s);
  }

  #wake(first: SessionBudget): void {
    if (this.#waiters.size === 0) return; // every command releases: the usual case costs nothing
    // The session that freed room looks first (its own next command), then the others in order.
    const order = [first, ...[...this.#waiters].filter((s) => s !== first)];
    for (const s of order) {
      if (!this.#waiters.has(s)) continue;
      this.#waiters.delete(s);
      s._wake();
    }
  }
}

export class SessionBudget {
  readonly #target: DataBudget;
  #reserved = 0;
  #onRoom: (() => void) | undefined;
  #closed = false;

  constructor(target: DataBudget) {
    this.#target = target;
  }

  get reserved(): number {
    return this.#reserved;
  }

  /** Whether `n` more bytes may be reserved now. */
  fits(n: number): boolean {
    const { total, perSession, floor } = this.#target.limits;
    const mine = this.#reserved + n;
    if (mine > perSession) return false;
    return this.#target.reserved + n <= total || mine <= floor;
  }

  /** Reserve `n` bytes when they fit. */
  tryReserve(n: number): boolean {
    if (this.#closed || !this.fits(n)) return false;
    this.#reserved += n;
    this.#target._reserve(n);
    return true;
  }

  /** Give back `n` bytes; 0 still lets waiting sessions look again (a waiting task went away). */
  release(n: number): void {
    this.#reserved -= n;
    this.#target._unreserve(n, this);
  }

  /** Data-Out memory taken (+) or given back (-). */
  allocated(delta: number): void {
    this.#target._allocated(delta);
  }

  /** Call `retry` once after some reservation anywhere was released. */
  whenRoom(retry: () => void): void {
    if (this.#closed) return;
    this.#onRoom = retry;
    this.#target._wait(this);
  }

  /** @internal */
  _wake(): void {
    const f = this.#onRoom;
    this.#onRoom = undefined;
    f?.();
  }

  /** The session ended: it waits no more (its tasks release what they hold as they settle). */
  close(): void {
    this.#closed = true;
    this.#onRoom = undefined;
    this.#target._unwait(this);
  }
}
