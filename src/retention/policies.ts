// The retention policies the config states: per pool (`pools.NAME.retention`)
// and per CDP volume (a disk's `cdp.keep`), plus the warnings about settings
// that are allowed but will not do what they seem to (config-checks.ts
// refuses the ones that can never act).
import type { Config } from '../config.ts';
import { formatKeep } from '../retention-config.ts';
import type { ThinningPolicy } from '../cdp/types.ts';
import type { PoolRetention, RetentionPolicies } from './types.ts';

type PolicyConfig = Pick<Config, 'pools' | 'targets'> & { readonly store?: string | undefined };

const DAY_MS = 86_400_000;

export function retentionPolicies(config: PolicyConfig): RetentionPolicies {
  const pools: Record<string, PoolRetention | undefined> = { default: undefined };
  for (const [name, p] of Object.entries(config.pools)) pools[name] = p.retention === undefined ? undefined : { ...p.retention };
  const volumes: Record<string, ThinningPolicy> = {};
  for (const t of config.targets) {
    for (const d of t.disks) {
      const r = d.cdp?.retention;
      if (r !== undefined) volumes[d.name] = { anyPointMs: r.anyPointMs, tiers: r.tiers.map((x) => ({ ...x })), bookmarksMs: r.bookmarksMs };
    }
  }
  return { pools, volumes, warnings: retentionWarnings(config) };
}

/** Settings the config accepts whose effect an operator may not expect. */
export function retentionWarnings(config: PolicyConfig): string[] {
  const out: string[] = [];
  const dirStore = config.store === undefined || config.store.startsWith('file://');
  for (const [name, p] of Object.entries(config.pools)) {
    const r = p.retention;
    if (r === undefined) continue;
    if (r.then === 'archive' && dirStore && p.vault === undefined) {
      out.push(`pools.${name}.retention: then: archive on a directory store moves cartridges to the shelf but frees nothing (a directory has no archive classes)`);
    }
    const lock = p.objectLock;
    if (lock !== undefined && r.then !== 'archive' && lock.days * DAY_MS > r.keepMs) {
      out.push(`pools.${name}.retention: keep ${formatKeep(r.keepMs)} is shorter than the ${lock.mode} Object Lock of ${lock.days} days: its cartridges are held until their lock ends`);
    }
  }
  return out;
}
