// Erasing a cartridge: what it takes for a tape to read as blank again (a
// recycled cartridge, same barcode) or to be gone, in steps that can each be
// repeated after a crash.
//
//   1. list what the cartridge has in the store (cartridgeObjects);
//   2. drop its staging area (eraseStaging): staged records would otherwise
//      be replayed onto the tape by the next open (cartridge-recovery.ts);
//   3. write a blank manifest above every version in the store
//      (writeBlankManifest): from then on an open, and `s3vtl recover`, see an
//      empty tape, whatever old objects are still there;
//   4. delete the old objects (the caller, who records each one first).
//
// The blank manifest keeps the segment numbering going (nextSeq above every
// old segment), so a new write never reuses the key of an old segment still
// waiting for its delete.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CartridgeMedium } from './cartridge.ts';
import { CartridgeError, CartridgeErrorCode, StoreError, StoreErrorCode } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { decodeManifest, encodeManifest, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, type Manifest } from './manifest.ts';
import type { ManifestAuth } from './manifest-auth.ts';
import { listAll, type ObjectInfo, type ObjectLock, type ObjectStore } from './object-store.ts';
import { lockStaging } from './staging-lock.ts';

export interface CartridgeObjects {
  /** Segments and manifests (`contents`) or every object under the cartridge's prefix (`all`), in key order. */
  readonly objects: readonly ObjectInfo[];
  /** The newest manifest version in the store (0: none). */
  readonly newestManifest: number;
  /** The segment sequence number a blank manifest must continue from. */
  readonly nextSeq: number;
}

/**
 * What the cartridge holds in the store: its segments and manifests
 * (`contents`: what a recycle deletes), or everything under its prefix,
 * facts and shelf records too (`all`: what a delete removes).
 */
export async function cartridgeObjects(store: ObjectStore, keys: TapeKeys, barcode: string, what: 'contents' | 'all'): Promise<CartridgeObjects> {
  const prefixes = what === 'all' ? [keys.cartridgePrefix(barcode)] : [keys.segmentPrefix(barcode), keys.manifestPrefix(barcode)];
  const objects: ObjectInfo[] = [];
  for (const p of prefixes) for await (const o of listAll(store, p)) objects.push(o);
  let newestManifest = 0;
  let seq = 0;
  for (const o of objects) {
    const seg = keys.parseSegmentKey(barcode, o.key);
    if (seg !== undefined) seq = Math.max(seq, seg.seq);
    if (o.key.startsWith(keys.manifestPrefix(barcode))) newestManifest = Math.max(newestManifest, keys.manifestVersionOf(o.key) ?? 0);
  }
  return { objects: objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), newestManifest, nextSeq: seq + 1 };
}

/** The manifest of an empty tape at `version`. */
export function blankManifest(barcode: string, medium: CartridgeMedium, version: number, nextSeq: number, at = new Date()): Manifest {
  return {
    format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode, version, createdAt: at.toISOString(),
    medium: { mediaType: medium.mediaType, capacityBytes: medium.capacityBytes, worm: medium.worm, pool: medium.pool },
    segments: [], filemarks: [], eodObjectId: 0, usedBytes: 0, attributes: {}, nextSeq,
  };
}

export interface BlankManifestOptions {
  readonly store: ObjectStore;
  readonly keys: TapeKeys;
  readonly barcode: string;
  readonly medium: CartridgeMedium;
  readonly version: number;
  readonly nextSeq: number;
  readonly lock?: ObjectLock;
  readonly auth?: ManifestAuth;
}

/**
 * Write the blank manifest `version` create-only. Repeating it is harmless:
 * a blank manifest already there is taken as it is; anything else at that
 * version (another writer) is VTL_CARTRIDGE_CONFLICT.
 */
export async function writeBlankManifest(o: BlankManifestOptions): Promise<{ manifest: Manifest; key: string }> {
  const key = o.keys.manifest(o.barcode, o.version);
  const manifest = blankManifest(o.barcode, o.medium, o.version, o.nextSeq);
  try {
    await o.store.put(key, encodeManifest(manifest, o.auth), { ifNoneMatch: '*', contentType: 'application/json', ...(o.lock !== undefined && { lock: o.lock }) });
    return { manifest, key };
  } catch (e) {
    if (!(e instanceof StoreError && e.code === StoreErrorCode.EXISTS)) throw e;
  }
  const there = decodeManifest(await o.store.get(key), key);
  if (there.segments.length > 0 || there.eodObjectId !== 0) {
    throw new CartridgeError(CartridgeErrorCode.CONFLICT, o.barcode, `manifest version ${o.version} appeared with data while the cartridge was being erased: another writer?`);
  }
  return { manifest: there, key };
}

/**
 * Remove everything staged for the cartridge. Takes the staging lock first,
 * so a cartridge open in a live process (which holds it) is refused with
 * VTL_CARTRIDGE_BUSY rather than erased under its feet.
 */
export async function eraseStaging(stagingDir: string, barcode: string): Promise<void> {
  const dir = path.join(stagingDir, barcode);
  try {
    await fs.access(dir);
  } catch {
    return;
  }
  const unlock = await lockStaging(dir, barcode);
  try {
    for (const name of await fs.readdir(dir)) {
      if (name !== 'lock') await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
  } finally {
    await unlock();
  }
}
