// Opens the object store a `store` URL names: file://DIR (the embedded
// default) or s3://BUCKET/PREFIX (the AWS SDK's environment supplies the
// endpoint, region and credentials; see tapes/stores/s3-config.ts).
//
// Object Lock: when a pool asks for `objectLock`, the store must be able to
// keep that promise, checked at startup rather than at the first upload: a
// file:// store cannot lock, and an S3 bucket must have Object Lock enabled.
// Which cartridges get which lock is cartridgeLock() below.
import type { LockPolicy, ObjectStore } from '../../tapes/object-store.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { S3_DEFAULTS } from '../../tapes/stores/s3-config.ts';
import { poolConfig, type Config, type PoolConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';

export interface OpenedStore {
  readonly store: ObjectStore;
  /** Part size for segments uploaded while they are written (S3 multipart); absent: whole segments once sealed. */
  readonly partBytes?: number;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The configured pools: any with `objectLock` makes the store prove it can lock. */
  readonly pools?: Config['pools'];
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const locked = lockedPools(options.pools ?? {});
  const firstLocked = locked[0];
  if (url.startsWith('file://')) {
    if (firstLocked !== undefined) {
      throw new ConfigError(`pools.${firstLocked}.objectLock`, `the store ${url} is a directory, which cannot lock objects: use an s3:// store whose bucket has Object Lock enabled, or remove objectLock`);
    }
    return { store: new DirObjectStore({ root: url.slice('file://'.length) }), close: async () => undefined };
  }
  if (url.startsWith('s3://')) {
    const s3 = S3ObjectStore.fromUrl(url);
    try {
      await s3.check();
    } catch (e) {
      s3.close();
      throw new ConfigError('store', `${url}: ${(e as Error).message}`);
    }
    if (firstLocked !== undefined) {
      let enabled: boolean;
      try {
        enabled = (await s3.objectLock()).enabled;
      } catch (e) {
        s3.close();
        throw new ConfigError(`pools.${firstLocked}.objectLock`, `cannot read the Object Lock configuration of bucket ${s3.bucket} (${url}): ${(e as Error).message}`);
      }
      if (!enabled) {
        s3.close();
        throw new ConfigError(`pools.${firstLocked}.objectLock`, `bucket ${s3.bucket} (${url}) has no Object Lock enabled: use a bucket created with Object Lock enabled, or remove objectLock`);
      }
    }
    return { store: s3, partBytes: s3.options.partSize ?? S3_DEFAULTS.partSize, close: async () => s3.close() };
  }
  throw new ConfigError('store', `${url}: use file://DIR or s3://BUCKET/PREFIX`);
}

/** Names of the pools whose cartridges are locked. */
export function lockedPools(pools: Readonly<Record<string, PoolConfig>>): string[] {
  return Object.entries(pools).filter(([, p]) => p.objectLock !== undefined).map(([name]) => name).sort();
}

/**
 * The S3 Object Lock a cartridge's segments and manifests get: its pool's
 * `objectLock` (retained `days` from each upload), and COMPLIANCE for WORM
 * media whatever the pool's mode, because a WORM cartridge promises that
 * nobody can rewrite it, and GOVERNANCE yields to anyone holding the bypass
 * permission. A WORM cartridge in a pool without objectLock is protected by
 * the SCSI layer only (overwrites refused); its objects are not locked, so it
 * also works on a file:// store.
 */
export function cartridgeLock(pools: Readonly<Record<string, PoolConfig>>, cartridge: { readonly pool: string | null; readonly worm: boolean }): LockPolicy | undefined {
  // An unknown pool throws (VTL_POOL_UNKNOWN) rather than open the cartridge unlocked.
  const lock = poolConfig({ pools }, cartridge.pool).objectLock;
  if (lock === undefined) return undefined;
  return { mode: cartridge.worm ? 'COMPLIANCE' : lock.mode, days: lock.days };
}
