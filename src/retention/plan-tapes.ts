// One cartridge's fate under its pool's retention, in the order the rules
// win: no policy or nothing written keeps; inside its keep it is kept;
// expired, WORM is never erased and an archive of a cartridge already on the
// shelf is a keep; then Object Lock, a drive, a reservation and readers hold
// it; an erase that would pay an archive class's early-deletion charge waits
// for the end of the minimum; else the pool's `then` happens.
import { formatKeep } from '../retention-config.ts';
import type { CartridgeAction, PoolRetention, RetentionCartridge } from './types.ts';

const DAY_MS = 86_400_000;

/** Minimum storage duration per archive class (S3 charges the rest when deleted earlier). */
export const EARLY_DELETION_DAYS: Readonly<Record<string, number>> = { GLACIER: 90, GLACIER_IR: 90, DEEP_ARCHIVE: 180 };

/** 2026-11-01 at midnight UTC, the full instant otherwise. */
export function when(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

export interface TapeDecision {
  readonly action: CartridgeAction;
  readonly warning?: string;
}

export function planCartridge(c: RetentionCartridge, policy: PoolRetention | undefined, now: Date): TapeDecision {
  const base = { barcode: c.barcode, pool: c.pool };
  const keep = (reason: string, until: Date | null = null): TapeDecision => ({ action: { kind: 'keep', ...base, reason, until } });
  const hold = (reason: string, until: Date | null = null): TapeDecision => ({ action: { kind: 'hold', ...base, reason, until } });
  if (policy === undefined) return keep(`kept: pool ${c.pool} has no retention`);
  if (c.state === 'retired') return keep('kept: retired');
  if (c.state === 'scratch' || c.lastWrittenAt === null) return keep('kept: scratch (nothing written)');
  const start = policy.from === 'export' ? c.exportedAt : c.lastWrittenAt;
  if (start === null) return keep(`kept: in the library (pool ${c.pool} counts ${formatKeep(policy.keepMs)} from export)`);
  const clock = `${policy.from === 'export' ? 'export' : 'last write'} ${when(start)} + ${formatKeep(policy.keepMs)}`;
  const expiry = new Date(start.getTime() + policy.keepMs);
  if (now.getTime() < expiry.getTime()) return keep(`kept: until ${when(expiry)} (${clock})`, expiry);
  const expired = `expired: ${clock}`;
  const onShelf = c.exportedAt !== null || c.state === 'archived' || c.state === 'exported';
  if (policy.then === 'archive' && onShelf) return keep(`kept: already on the shelf (${expired})`);
  if (c.worm && policy.then !== 'archive') return keep(`kept: WORM cartridge, never erased (${expired})`);
  if (c.lockedUntil !== null && c.lockedUntil.getTime() > now.getTime()) return hold(`held: object lock until ${when(c.lockedUntil)} (${expired})`, c.lockedUntil);
  if (c.loadedIn !== null) return hold(`held: loaded in ${c.loadedIn} (${expired})`);
  if (c.reserved) return hold(`held: reserved (${expired})`);
  if (c.readers.length > 0) return hold(`held: restore in progress (${c.readers.join('; ')}) (${expired})`);
  if (policy.then !== 'archive' && c.archive !== null) {
    const days = EARLY_DELETION_DAYS[c.archive.storageClass];
    const end = days === undefined ? undefined : new Date(c.archive.since.getTime() + days * DAY_MS);
    if (end !== undefined && now.getTime() < end.getTime()) {
      const left = Math.ceil((end.getTime() - now.getTime()) / DAY_MS);
      return {
        action: { kind: 'hold', ...base, reason: `held: ${c.archive.storageClass} minimum of ${days} days until ${when(end)} (${expired})`, until: end },
        warning: `${c.barcode}: ${policy.then} postponed to ${when(end)}: deleting it now would pay ${c.archive.storageClass}'s early-deletion charge for ${left} more day${left === 1 ? '' : 's'} (${days}-day minimum from ${when(c.archive.since)})`,
      };
    }
  }
  return { action: { kind: policy.then, ...base, bytes: c.bytes, reason: expired } };
}
