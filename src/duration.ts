// Durations as the config writes them: "250ms", "90s", "15m", "36h", "30d",
// "2w", "12mo", "1y". A month is 30 days and a year 365 days: retention
// periods count days, not calendar months. Shared by the CDP and retention keys.

const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
} as const;

export const DURATION_UNITS: readonly string[] = Object.keys(UNIT_MS);

/**
 * "36h" -> 129600000 (ms). One number and one unit; a bare number is refused
 * (is 60 seconds or minutes?), so are negatives, spaces inside and "1h30m".
 * Returns undefined when malformed.
 */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h|d|w|mo|y)\s*$/.exec(v);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** 129600000 -> "36h", 1500 -> "1500ms": the largest unit that divides it exactly. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units = Object.entries(UNIT_MS).sort((a, b) => b[1] - a[1]);
  for (const [name, size] of units) if (ms % size === 0) return `${ms / size}${name}`;
  return `${ms}ms`;
}
