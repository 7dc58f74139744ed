// Slowing down password guessing (RFC 7143 §12.1.3 leaves it to the
// implementation): each authentication failure is answered after a delay
// that doubles with the failures of the same InitiatorName or address, up to
// a cap, and the log lines the failures cause are rate-limited. A successful
// CHAP login forgets the name's and the address's failures.

export interface AuthThrottleOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Failures older than this are forgotten. */
  readonly forgetAfterMs?: number;
  /** Keys remembered at most (the oldest are forgotten first). */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Failures {
  count: number;
  last: number;
}

export class AuthThrottle {
  readonly #initial: number;
  readonly #max: number;
  readonly #forgetAfter: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, Failures>();

  constructor(o: AuthThrottleOptions) {
    this.#initial = o.initialDelayMs;
    this.#max = Math.max(o.initialDelayMs, o.maxDelayMs);
    this.#forgetAfter = o.forgetAfterMs ?? 15 * 60_000;
    this.#maxKeys = o.maxKeys ?? 10_000;
    this.#now = o.now ?? Date.now;
  }

  /** Record a failure; the delay before answering it (ms). */
  failed(initiatorName: string | undefined, address: string): number {
    let count = 0;
    for (const key of keys(initiatorName, address)) count = Math.max(count, this.#bump(key));
    if (this.#initial <= 0) return 0;
    return Math.min(this.#max, this.#initial * 2 ** Math.min(count - 1, 30));
  }

  succeeded(initiatorName: string | undefined, address: string): void {
    for (const key of keys(initiatorName, address)) this.#failures.delete(key);
  }

  /** Failures remembered for a name or address (for tests and status). */
  failures(initiatorName: string | undefined, address: string): number {
    let n = 0;
    for (const key of keys(initiatorName, address)) n = Math.max(n, this.#current(key)?.count ?? 0);
    return n;
  }

  #current(key: string): Failures | undefined {
    const f = this.#failures.get(key);
    if (f !== undefined && this.#now() - f.last > this.#forgetAfter) {
      this.#failures.delete(key);
      return undefined;
    }
    return f;
  }

  #bump(key: string): number {
    const f = this.#current(key) ?? { count: 0, last: 0 };
    f.count++;
    f.last = this.#now();
    this.#failures.delete(key); // re-insert: the map's order is the age of the last failure
    this.#failures.set(key, f);
    while (this.#failures.size > this.#maxKeys) this.#failures.delete(this.#failures.keys().next().value!);
    return f.count;
  }
}

function keys(initiatorName: string | undefined, address: string): string[] {
  return initiatorName === undefined ? [`a:${address}`] : [`n:${initiatorName}`, `a:${address}`];
}

/**
 * At most `burst` lines per `intervalMs`; the first line after a quiet spell
 * tells how many were left out.
 */
export class LogLimiter {
  readonly #burst: number;
  readonly #interval: number;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #inWindow = 0;
  #suppressed = 0;

  constructor(burst = 10, intervalMs = 10_000, now: () => number = Date.now) {
    this.#burst = burst;
    this.#interval = intervalMs;
    this.#now = now;
  }

  /** undefined: leave the line out; otherwise the meta to add to it. */
  allow(): { suppressed?: number } | undefined {
    const now = this.#now();
    if (now - this.#windowStart >= this.#interval) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#burst) {
      this.#suppressed++;
      return undefined;
    }
    this.#inWindow++;
    const n = this.#suppressed;
    this.#suppressed = 0;
    return n > 0 ? { suppressed: n } : {};
  }
}
