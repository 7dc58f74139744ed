// What one target lets initiators hold: Data-Out and Data-In memory, sessions,
// connections, file descriptors, idle discovery sessions, and how fast
// authentication failures are answered. Each has a default that keeps the
// process well under 1 GiB and within its descriptor limit whatever
// initiators send.
import { readdirSync, readFileSync } from 'node:fs';

export interface IscsiLimits {
  /** Bytes of data one session may have reserved (a write's whole transfer before its data is solicited, a read's length from before it is produced until its Data-In left on the socket). */
  readonly maxBufferedPerSession: number;
  /** Bytes of data all sessions together may have reserved. */
  readonly maxBuffered: number;
  /** Sessions (normal and discovery) in all. */
  readonly maxSessions: number;
  /** Sessions with one InitiatorName. */
  readonly maxSessionsPerInitiator: number;
  /** TCP connections in all, logged in or not. */
  readonly maxConnections: number;
  /** File descriptors kept free for the data path (segments, catalog, staging): no connection is accepted into them. */
  readonly fdReserve: number;
  /** A discovery session that sends no request for this long is closed. */
  readonly discoveryIdleMs: number;
  /** Delay before the first authentication failure is answered; it doubles with each further failure. */
  readonly authFailureDelayMs: number;
  readonly authFailureDelayMaxMs: number;
}

export const DEFAULT_LIMITS: IscsiLimits = {
  maxBufferedPerSession: 64 * 1024 * 1024,
  maxBuffered: 256 * 1024 * 1024,
  maxSessions: 64,
  maxSessionsPerInitiator: 16,
  maxConnections: 128,
  fdReserve: 128,
  discoveryIdleMs: 30_000,
  authFailureDelayMs: 1000,
  authFailureDelayMaxMs: 10_000,
};

/** What the target knows of its file descriptors (injectable for tests). */
export interface Descriptors {
  /** The soft RLIMIT_NOFILE, or undefined when unknown. */
  limit(): number | undefined;
  /** Descriptors open now, or undefined when unknown. */
  open(): number | undefined;
}

/** Linux: /proc/self/limits and /proc/self/fd; elsewhere nothing is known. */
export const procDescriptors: Descriptors = {
  limit() {
    try {
      const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
      return m === null || m[1] === 'unlimited' ? undefined : Number(m[1]);
    } catch {
      return undefined;
    }
  },
  open() {
    try {
      return readdirSync('/proc/self/fd').length;
    } catch {
      return undefined;
    }
  },
};

/**
 * Why a new connection is refused, or undefined when it may come in:
 * `connections` open already (this one not counted).
 */
export function refuseConnection(limits: IscsiLimits, connections: number, fds: Descriptors, fdLimit: number | undefined): string | undefined {
  if (connections >= limits.maxConnections) return `${connections} connections open (maxConnections ${limits.maxConnections})`;
  if (fdLimit === undefined) return undefined;
  const open = fds.open();
  if (open !== undefined && open > fdLimit - limits.fdReserve) {
    return `${open} of ${fdLimit} file descriptors open (fdReserve ${limits.fdReserve} kept for the data path)`;
  }
  return undefined;
}
