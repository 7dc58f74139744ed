// Reading a cartridge's manifest from the store: the newest version that
// passes every check (decoding, the cartridge's own key layout and bounds in
// manifest-check.ts, the MAC in manifest-auth.ts when a key is configured).
//
// A newer version that fails a check is refused and the one before it is
// tried, loudly: each refusal is logged with barcode, version and reason.
// Missing versions are another matter: when the catalog knows a version the
// store no longer has as its newest, the cartridge does not load (a silent
// rollback would hand an initiator an older tape as if it were current).

import { CartridgeError, CartridgeErrorCode, StoreError, StoreErrorCode } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { decodeManifest, type Manifest } from './manifest.ts';
import { type ManifestAuth, macProblem } from './manifest-auth.ts';
import { checkManifest } from './manifest-check.ts';
import { listAll, type ObjectStore } from './object-store.ts';
import type { TapesLog } from './uploader.ts';
import { versionOfKey } from './versioned-json.ts';

/**
 * The largest manifest object read: about 80 MiB describe an 18 TB LTO-9
 * cartridge in 64 MiB segments, with room for many filemarks. A larger one
 * is refused before it is fetched.
 */
export const MAX_MANIFEST_BYTES = 256 * 2 ** 20;

export interface ManifestReadOptions {
  /** The newest version the catalog knows of (0 or absent: none). */
  readonly known?: number;
  /** Verify MACs with this key (absent: manifests are not authenticated). */
  readonly auth?: ManifestAuth;
  /** Where refusals and fallbacks are reported. */
  readonly log?: TapesLog;
  /** Manifest objects larger than this are refused unread (default MAX_MANIFEST_BYTES). */
  readonly maxBytes?: number;
}

export interface ManifestFound {
  readonly manifest: Manifest;
  /** The newest version in the store: above manifest.version when newer ones were refused. */
  readonly newest: number;
  /** Newer versions refused, newest first. */
  readonly refused: readonly { readonly version: number; readonly reason: string }[];
}

/** Decode and check one stored manifest; throws VTL_CARTRIDGE_FORMAT saying why it is refused. */
export function acceptManifest(bytes: Buffer, key: string, keys: TapeKeys, barcode: string, auth?: ManifestAuth): Manifest {
  const m = decodeManifest(bytes, key);
  const version = keys.manifestVersionOf(key);
  if (m.version !== version) throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest ${key}: says version ${m.version}`);
  const forged = auth === undefined ? undefined : macProblem(auth, m);
  if (forged !== undefined) throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest ${key}: ${forged}`);
  checkManifest(m, keys, barcode, key);
  return m;
}

/**
 * The newest acceptable manifest of `barcode`, or undefined when the store
 * holds none and the catalog knows of none. Throws VTL_CARTRIDGE_FORMAT when
 * versions exist but none is acceptable, or the catalog's newest is missing.
 * Store errors are thrown as they are (an outage is no reason to fall back).
 */
export async function readManifest(store: ObjectStore, keys: TapeKeys, barcode: string, o: ManifestReadOptions = {}): Promise<ManifestFound | undefined> {
  const prefix = keys.manifestPrefix(barcode);
  const known = o.known ?? 0;
  const max = o.maxBytes ?? MAX_MANIFEST_BYTES;
  const versions: number[] = [];
  const sizes = new Map<number, number>();
  for await (const obj of listAll(store, prefix)) {
    const v = versionOfKey(prefix, obj.key);
    if (v === undefined) continue;
    versions.push(v);
    sizes.set(v, obj.size);
  }
  versions.sort((a, b) => a - b);
  const newest = versions[versions.length - 1] ?? 0;
  // Gone from the store: only a version above it may stand in for it (one the catalog had not heard of yet).
  const knownMissing = known > 0 && !versions.includes(known);
  const missing = (): never => {
    o.log?.error('cartridge manifest missing', { barcode, version: known, newestInStore: newest });
    throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest version ${known}, the newest the catalog knows, is missing from the store (newest there: ${newest === 0 ? 'none' : newest}); not rolling back`);
  };
  if (knownMissing && newest < known) missing();
  if (versions.length === 0) return undefined;
  const refused: { version: number; reason: string }[] = [];
  for (let i = versions.length - 1; i >= 0; i--) {
    const version = versions[i]!;
    if (knownMissing && version < known) missing();
    const key = keys.manifest(barcode, version);
    let manifest: Manifest;
    try {
      const listed = sizes.get(version) ?? 0;
      if (listed > max) throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest ${key}: ${listed} bytes, more than ${max}`);
      const bytes = await store.get(key);
      if (bytes.length > max) throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest ${key}: ${bytes.length} bytes, more than ${max}`);
      manifest = acceptManifest(bytes, key, keys, barcode, o.auth);
    } catch (e) {
      if (e instanceof StoreError && e.code !== StoreErrorCode.NOT_FOUND) throw e;
      if (!(e instanceof CartridgeError || e instanceof StoreError || e instanceof TypeError)) throw e;
      const reason = (e as Error).message;
      refused.push({ version, reason });
      o.log?.error('cartridge manifest refused', { barcode, version, reason });
      continue;
    }
    if (refused.length > 0) {
      o.log?.error('cartridge falls back to an older manifest', { barcode, version, refused: refused.map((r) => r.version) });
    }
    return { manifest, newest, refused };
  }
  throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `no manifest passes the checks (${refused.map((r) => `v${r.version}: ${r.reason}`).join('; ')})`);
}

/** readManifest's manifest alone. */
export async function readLatestManifest(store: ObjectStore, keys: TapeKeys, barcode: string, o: ManifestReadOptions = {}): Promise<Manifest | undefined> {
  return (await readManifest(store, keys, barcode, o))?.manifest;
}
