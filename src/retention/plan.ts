// planRetention: what a retention pass would do now, and why. A pure
// function of RetentionInput (no clock, no I/O): the same input gives the
// same plan, so `retention plan --now TIME` shows exactly what `apply` at
// TIME would do. Cartridges: plan-tapes.ts; CDP volumes: plan-volumes.ts.
import { planCartridge } from './plan-tapes.ts';
import { planVolume } from './plan-volumes.ts';
import type { CartridgeAction, RetentionInput, RetentionPlan, VolumeAction } from './types.ts';

export function planRetention(input: RetentionInput): RetentionPlan {
  const { now, policies } = input;
  const warnings: string[] = [...(policies.warnings ?? [])];
  const pools: Record<string, number> = {};
  for (const [name, p] of Object.entries(policies.pools)) if (p !== undefined) pools[name] = 0;
  const cartridges: CartridgeAction[] = [];
  const unknownPools = new Set<string>();
  for (const c of [...input.cartridges].sort((a, b) => a.barcode.localeCompare(b.barcode))) {
    if (!Object.hasOwn(policies.pools, c.pool)) unknownPools.add(c.pool);
    const d = planCartridge(c, Object.hasOwn(policies.pools, c.pool) ? policies.pools[c.pool] : undefined, now);
    cartridges.push(d.action);
    if (d.warning !== undefined) warnings.push(d.warning);
    if (d.action.kind === 'recycle' || d.action.kind === 'delete') pools[c.pool] = (pools[c.pool] ?? 0) + d.action.bytes;
  }
  for (const p of [...unknownPools].sort()) warnings.push(`pool ${p} of some cartridges is not in the config: they are kept`);
  const volumes: VolumeAction[] = [];
  const freedVolumes: Record<string, number> = {};
  for (const v of [...input.volumes].sort((a, b) => a.volume.localeCompare(b.volume))) {
    const policy = Object.hasOwn(policies.volumes, v.volume) ? policies.volumes[v.volume] : undefined;
    if (policy === undefined) {
      warnings.push(`CDP volume ${v.volume} is in the store but not in the config: its history is kept whole`);
      continue;
    }
    const a = planVolume(v, policy, now);
    volumes.push(a);
    freedVolumes[v.volume] = a.bytesFreed;
  }
  return { now, cartridges, volumes, warnings, freed: { pools, volumes: freedVolumes } };
}
