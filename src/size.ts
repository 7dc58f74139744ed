// Sizes as the config and the CLI write them: "1GiB", "512MiB", "4096".

const UNITS: Record<string, number> = {
  '': 1, B: 1, K: 1024, KIB: 1024, M: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GIB: 1024 ** 3,
  T: 1024 ** 4, TIB: 1024 ** 4, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
};

/** "1GiB", "512MiB", "4096", 4096 -> bytes. Returns undefined when malformed. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}
