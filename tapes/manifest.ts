// Cartridge manifests: immutable, versioned JSON objects, one per committed
// state of a cartridge. A manifest is self-describing (medium metadata, MAM
// attributes, segments, filemarks, EOD) so the catalog can be rebuilt from the
// bucket alone. Overwriting in the middle of a tape is a new version whose
// segment list is cut: the cut segment keeps its object and is listed with a
// shorter valid prefix (`count` < `records`); no object is rewritten.

import { CartridgeError, CartridgeErrorCode, StoreError, StoreErrorCode } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import { type ManifestAuth, manifestMac } from './manifest-auth.ts';
import type { ObjectLock, ObjectStore } from './object-store.ts';

export const MANIFEST_FORMAT = 's3vtl.cartridge-manifest';
export const MANIFEST_FORMAT_VERSION = 1;

/**
 * How a segment's data records were written (record-codec.ts). Absent in
 * manifests written before the field existed: plain records. Each record's
 * header flags are what decoding follows; this names the key (a pool's key
 * can rotate, so it is per segment) and lets a reader refuse a record that
 * is not encrypted in a segment that says it is.
 */
export interface SegmentEncoding {
  readonly compression: 'none' | 'deflate';
  readonly encryption?: { readonly alg: 'AES-256-GCM'; readonly keyId: string };
}

export interface ManifestSegment {
  readonly seq: number;
  readonly key: string;
  /** Logical object id of the first record. */
  readonly first: number;
  /** Records in the object. */
  readonly records: number;
  /** Records that are part of the tape (a prefix; fewer than `records` after an overwrite). */
  readonly count: number;
  /** Payload bytes of the valid prefix. */
  readonly dataBytes: number;
  /** Object size and offset of its footer index. */
  readonly size: number;
  readonly indexOffset: number;
  readonly encoding?: SegmentEncoding;
}

/** What a cartridge is, independent of what is written on it. */
export interface MediumInfo {
  readonly mediaType: string;
  readonly capacityBytes: number;
  readonly worm: boolean;
  readonly pool: string | null;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
  readonly barcode: string;
  readonly version: number;
  readonly createdAt: string;
  readonly medium: MediumInfo;
  readonly segments: readonly ManifestSegment[];
  /** Logical object ids of the filemarks, ascending, all < eodObjectId. */
  readonly filemarks: readonly number[];
  readonly eodObjectId: number;
  readonly usedBytes: number;
  /** MAM attributes: "0x0800" -> base64 value. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Next segment sequence number to allocate. */
  readonly nextSeq: number;
  /** Segments an overwrite cut away that older kept versions still name (absent: none). */
  readonly cutAway?: readonly CutAway[];
  /**
   * The version this one was built on, when that is not version - 1: the
   * versions between were refused (manifest-read.ts) and stay in the store.
   */
  readonly base?: number;
  /** HMAC of the rest (manifest-auth.ts); absent when no manifest key is configured. */
  readonly mac?: string;
}

/**
 * A committed segment an overwrite cut away: version `until` is the newest
 * manifest that names it, and it leaves the store with that version. Carried
 * in every newer manifest (and the staging journal) until then, so an unload,
 * a restart or a rebuild from the bucket does not forget it.
 */
export interface CutAway {
  readonly key: string;
  readonly until: number;
}

/**
 * Told about every manifest after it is durable in the store (the catalog
 * implements it). Declared here so tapes/ never imports the catalog.
 */
export interface ManifestSink {
  manifestCommitted(manifest: Manifest, key: string): void | Promise<void>;
}

/** The bytes stored for `m`: signed with `auth`'s key when there is one (any `mac` it holds is replaced). */
export function encodeManifest(m: Manifest, auth?: ManifestAuth): Buffer {
  const { mac: _old, ...content } = m;
  return Buffer.from(JSON.stringify(auth === undefined ? content : { ...content, mac: manifestMac(auth.key, content) }), 'utf8');
}

/** Parse and check a manifest; throws CartridgeError VTL_CARTRIDGE_FORMAT naming the problem. */
export function decodeManifest(bytes: Buffer, where: string): Manifest {
  const fail = (why: string): never => {
    throw new CartridgeError(CartridgeErrorCode.FORMAT, where, `manifest: ${why}`);
  };
  let m: Manifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Manifest;
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('not a JSON object');
  if (m.format !== MANIFEST_FORMAT) fail(`format is not ${MANIFEST_FORMAT}`);
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION) fail(`unsupported format version ${String(m.formatVersion)}`);
  if (typeof m.barcode !== 'string' || !Number.isSafeInteger(m.version) || m.version < 1) fail('bad barcode or version');
  if (!Array.isArray(m.segments) || !Array.isArray(m.filemarks)) fail('segments and filemarks must be arrays');
  let eod = 0;
  let used = 0;
  for (const s of m.segments) {
    if (typeof s !== 'object' || s === null) fail('a segment entry is not an object');
    if (s.first !== eod) fail(`segment ${s.seq} starts at ${s.first}, expected ${eod}`);
    if (!(s.count >= 1 && s.count <= s.records)) fail(`segment ${s.seq} has a bad valid count`);
    if (s.encoding !== undefined) {
      const why = checkEncoding(s.encoding);
      if (why !== undefined) fail(`segment ${s.seq} encoding: ${why}`);
    }
    eod += s.count;
    used += s.dataBytes;
  }
  if (eod !== m.eodObjectId) fail(`EOD ${m.eodObjectId} does not match segments (${eod})`);
  if (used !== m.usedBytes) fail(`usedBytes ${m.usedBytes} does not match segments (${used})`);
  let prev = -1;
  for (const f of m.filemarks) {
    if (!(f > prev && f < eod)) fail('filemarks must ascend and lie before EOD');
    prev = f;
  }
  if (m.cutAway !== undefined) {
    if (!Array.isArray(m.cutAway)) fail('cutAway must be an array');
    for (const c of m.cutAway) {
      if (typeof c?.key !== 'string' || !Number.isSafeInteger(c.until) || c.until < 1 || c.until >= m.version) fail(`cutAway entry ${JSON.stringify(c)} must name a key and an older version`);
    }
  }
  return m;
}

function checkEncoding(e: SegmentEncoding): string | undefined {
  if (typeof e !== 'object' || e === null) return 'not an object';
  if (e.compression !== 'none' && e.compression !== 'deflate') return `unknown compression ${JSON.stringify(e.compression)}`;
  if (e.encryption === undefined) return undefined;
  if (e.encryption.alg !== 'AES-256-GCM') return `unknown encryption ${JSON.stringify(e.encryption.alg)}`;
  if (typeof e.encryption.keyId !== 'string' || e.encryption.keyId === '') return 'encryption without a key id';
  return undefined;
}

/**
 * Store a manifest create-only: a second writer of the same version gets
 * VTL_CARTRIDGE_CONFLICT. `lock`: S3 Object Lock on the new version (a locked
 * pool or WORM cartridge). `auth`: sign it (manifest-auth.ts).
 */
export async function writeManifest(store: ObjectStore, keys: TapeKeys, m: Manifest, lock?: ObjectLock, auth?: ManifestAuth): Promise<string> {
  const key = keys.manifest(m.barcode, m.version);
  try {
    await store.put(key, encodeManifest(m, auth), { ifNoneMatch: '*', contentType: 'application/json', ...(lock !== undefined && { lock }) });
  } catch (e) {
    if (e instanceof StoreError && e.code === StoreErrorCode.EXISTS) {
      throw new CartridgeError(CartridgeErrorCode.CONFLICT, m.barcode, `manifest version ${m.version} already exists: another writer?`, { cause: e });
    }
    throw e;
  }
  return key;
}

export function attributeKey(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}
