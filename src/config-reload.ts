// What a config reloaded on SIGHUP changes while serve runs. Only retention
// takes effect live: `pools.NAME.retention` (the policies of the next pass)
// and the top-level `retention` (its schedule). Every other key (targets,
// listen, store, data, tapes, iscsi, log, and every other pool key: storage
// classes, encryption, Object Lock) is read when serve starts; a change to
// one is reported so the operator knows to restart.
import type { Config } from './config.ts';

/** The keys whose change in `next` needs a restart, e.g. ["listen", "pools.daily.encryption"]. */
export function restartKeys(running: Config, next: Config): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  for (const key of new Set([...Object.keys(running), ...Object.keys(next)])) {
    if (key === 'retention' || key === 'pools') continue;
    if (!same((running as unknown as Record<string, unknown>)[key], (next as unknown as Record<string, unknown>)[key])) out.push(key);
  }
  const pools = new Set([...Object.keys(running.pools), ...Object.keys(next.pools)]);
  for (const name of [...pools].sort()) {
    const a: Record<string, unknown> = { ...running.pools[name] };
    const b: Record<string, unknown> = { ...next.pools[name] };
    if (running.pools[name] === undefined || next.pools[name] === undefined) {
      out.push(`pools.${name}`);
      continue;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (k !== 'retention' && !same(a[k], b[k])) out.push(`pools.${name}.${k}`);
  }
  return out;
}
