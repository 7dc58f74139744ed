// Per-record compression and encryption of data blocks, chosen per pool.
//
// A block is transformed before it is staged and the record header says how
// (record-format.ts flags): deflate first (raw DEFLATE, a fast level; kept
// only when it shrinks the block, else the block is stored as is, like an LTO
// drive's hardware compression), then AES-256-GCM:
//
//   stored = nonce (12 random bytes) || ciphertext || tag (16 bytes)
//   AAD    = "s3vtl/record/1" || u8 flags || u16 key check || u64 logical object id || barcode
//
// The AAD binds a record to its cartridge and position: a record copied to
// another cartridge or object id, or with its flags changed, fails
// authentication. A position can be written again after an overwrite cut; the
// nonce is random, so the same (key, position) never reuses a nonce. NIST SP
// 800-38D bounds random 96-bit nonces to 2^32 records per key: rotate a
// pool's key well before that (2^32 blocks of 64 KiB is 256 TiB).
//
// Each record carries a 16-bit key check value (HMAC-SHA256 of a fixed label
// under the key, truncated): a reader tells "this key id now has other bytes"
// from "the data was altered", and after a crash a staged record whose
// segment is in no manifest yet still names its key. Random access is kept:
// every record decodes alone.

import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';
import { deflateRawSync, inflateRawSync, constants as zc } from 'node:zlib';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import type { SegmentEncoding } from './manifest.ts';
import { RecordFlag, type RecordCoding, codingFlags, codingKeyCheck, codingOf } from './record-format.ts';

export const AES_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** Bytes an encrypted record stores beyond its (possibly compressed) block. */
export const ENCRYPTION_OVERHEAD_BYTES = GCM_NONCE_BYTES + GCM_TAG_BYTES;
/** Inflating never produces more than this (the largest block READ(6) can ask for is 2^24 - 1). */
const MAX_BLOCK_BYTES = 1 << 24;
/** Blocks from this size on are probed before deflating (see #worthDeflating). */
const PROBE_MIN_BLOCK = 32 << 10;
const PROBE_BYTES = 8 << 10;
const AAD_LABEL = Buffer.from('s3vtl/record/1', 'ascii');
const CHECK_LABEL = Buffer.from('s3vtl key check value', 'ascii');

/** A data key: 32 bytes under an operator-chosen id. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
  /** 16-bit key check value written in each record header; never 0. */
  readonly check: number;
}

export function keyCheckValue(key: Buffer): number {
  const v = createHmac('sha256', key).update(CHECK_LABEL).digest().readUInt16BE(0);
  return v === 0 ? 1 : v;
}

/** Every key the gateway has, by id and by check value (the wiring builds it from config). */
export class KeyRing {
  readonly #byId = new Map<string, DataKey>();

  constructor(keys: Iterable<{ readonly id: string; readonly key: Buffer }> = []) {
    for (const k of keys) this.add(k.id, k.key);
  }

  add(id: string, key: Buffer): DataKey {
    if (key.length !== AES_KEY_BYTES) throw new RangeError(`key ${id}: ${key.length} bytes, AES-256 needs ${AES_KEY_BYTES}`);
    const existing = this.#byId.get(id);
    if (existing !== undefined) {
      if (!existing.key.equals(key)) throw new RangeError(`key id ${id} is given two different keys`);
      return existing;
    }
    const k: DataKey = { id, key: Buffer.from(key), check: keyCheckValue(key) };
    this.#byId.set(id, k);
    return k;
  }

  get(id: string): DataKey | undefined {
    return this.#byId.get(id);
  }

  /** Keys whose check value is `check` (normally at most one). */
  byCheck(check: number): DataKey[] {
    return [...this.#byId.values()].filter((k) => k.check === check);
  }
}

/** A record's key is missing, or the key under its id has changed. Reported as DATA PROTECT, not as a medium error. */
export class CartridgeKeyError extends CartridgeError {
  /** The key id the segment names, or `check:xxxx` when only the record's check value is known. */
  readonly keyId: string;
  readonly objectId: number;
  /** missing: no key under that id; mismatch: a key with other bytes is configured under that id. */
  readonly reason: 'missing' | 'mismatch';
  constructor(barcode: string, objectId: number, keyId: string, reason: 'missing' | 'mismatch') {
    super(
      CartridgeErrorCode.KEY_UNAVAILABLE,
      barcode,
      reason === 'missing'
        ? `object ${objectId} is encrypted with key id ${keyId}, which this gateway does not have (pools.<name>.encryption)`
        : `object ${objectId} is encrypted with key id ${keyId}, but the key configured under that id is a different key`,
    );
    this.keyId = keyId;
    this.objectId = objectId;
    this.reason = reason;
  }
}

export interface RecordCodecOptions {
  readonly compression?: 'none' | 'deflate';
  /** Encrypt new records with this key (it must be in `keyring`). */
  readonly encryptWith?: string;
  /** Keys for reading; every configured key, so records of a rotated or other pool's key still read. */
  readonly keyring?: KeyRing;
  /** zlib level 1..9 (default 1: fast). */
  readonly deflateLevel?: number;
}

export interface EncodedRecord {
  readonly stored: Buffer;
  readonly coding: RecordCoding;
}

export class RecordCodec {
  /** No compression, no encryption, an empty key ring: what a cartridge uses when nothing is configured. */
  static readonly PLAIN = new RecordCodec();

  /** What new segments are written with (recorded per segment in the manifest). */
  readonly encoding: SegmentEncoding;
  readonly #deflate: boolean;
  readonly #level: number;
  readonly #key: DataKey | undefined;
  readonly #ring: KeyRing;

  constructor(o: RecordCodecOptions = {}) {
    this.#deflate = o.compression === 'deflate';
    this.#level = o.deflateLevel ?? 1;
    this.#ring = o.keyring ?? new KeyRing();
    if (o.encryptWith !== undefined) {
      this.#key = this.#ring.get(o.encryptWith);
      if (this.#key === undefined) throw new RangeError(`key id ${o.encryptWith} is not in the key ring`);
    }
    this.encoding = {
      compression: this.#deflate ? 'deflate' : 'none',
      ...(this.#key === undefined ? {} : { encryption: { alg: 'AES-256-GCM' as const, keyId: this.#key.id } }),
    };
  }

  /** True when blocks are stored as given (no copy needed). */
  get isPlain(): boolean {
    return !this.#deflate && this.#key === undefined;
  }

  /** Check value of the key new records are encrypted with (0: not encrypting). */
  get keyCheck(): number {
    return this.#key?.check ?? 0;
  }

  /** The id of the key whose check value is `check`, when exactly one configured key has it. */
  keyIdOf(check: number): string | undefined {
    const k = this.#ring.byCheck(check);
    return k.length === 1 ? k[0]!.id : undefined;
  }

  /** Transform one block for storage at logical object `objectId` of `barcode`. */
  encode(block: Buffer, barcode: string, objectId: number): EncodedRecord {
    let flags = 0;
    let body = block;
    if (this.#deflate && block.length > 0 && this.#worthDeflating(block)) {
      const packed = deflateRawSync(block, { level: this.#level, strategy: zc.Z_DEFAULT_STRATEGY });
      if (packed.length < block.length) {
        body = packed;
        flags |= RecordFlag.DEFLATE;
      }
    }
    const key = this.#key;
    if (key === undefined) return { stored: body, coding: codingOf(flags, 0) };
    flags |= RecordFlag.AES_256_GCM;
    const stored = Buffer.allocUnsafe(GCM_NONCE_BYTES + body.length + GCM_TAG_BYTES);
    const nonce = stored.subarray(0, GCM_NONCE_BYTES);
    randomFillSync(nonce);
    const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad(flags, key.check, objectId, barcode));
    let at = GCM_NONCE_BYTES;
    at += cipher.update(body).copy(stored, at);
    at += cipher.final().copy(stored, at);
    cipher.getAuthTag().copy(stored, at);
    return { stored, coding: codingOf(flags, key.check) };
  }

  /**
   * Deflating incompressible data (client-compressed or encrypted backups)
   * costs about 20 ms of CPU per MiB for nothing; a large block is deflated
   * only when its first 8 KiB shrink by at least 3%.
   */
  #worthDeflating(block: Buffer): boolean {
    if (block.length < PROBE_MIN_BLOCK) return true;
    const probe = deflateRawSync(block.subarray(0, PROBE_BYTES), { level: this.#level });
    return probe.length <= PROBE_BYTES * 0.97;
  }

  /**
   * The block a stored record holds. `keyId` is what the segment's manifest
   * entry names (undefined while the segment is only in staging: the
   * record's check value finds the key). Throws CartridgeKeyError when the key
   * is not here, a plain Error when the record does not authenticate or
   * inflate (the cartridge reports that as an integrity error).
   */
  decode(stored: Buffer, coding: RecordCoding, barcode: string, objectId: number, keyId?: string): Buffer {
    const flags = codingFlags(coding);
    let body = stored;
    if ((flags & RecordFlag.AES_256_GCM) !== 0) {
      body = this.#decrypt(stored, flags, codingKeyCheck(coding), barcode, objectId, keyId);
    } else if (keyId !== undefined) {
      // SPC-4 74/02 UNENCRYPTED DATA ENCOUNTERED WHILE DECRYPTING: a plain record
      // in a segment written encrypted was put there by someone without the key.
      throw new Error(`record is not encrypted but its segment is (key id ${keyId})`);
    }
    if ((flags & RecordFlag.DEFLATE) !== 0) return inflateRawSync(body, { maxOutputLength: MAX_BLOCK_BYTES });
    return body;
  }

  #decrypt(stored: Buffer, flags: number, check: number, barcode: string, objectId: number, keyId: string | undefined): Buffer {
    if (stored.length < ENCRYPTION_OVERHEAD_BYTES) throw new Error('encrypted record shorter than nonce and tag');
    let candidates: DataKey[];
    if (keyId !== undefined) {
      const k = this.#ring.get(keyId);
      if (k === undefined) throw new CartridgeKeyError(barcode, objectId, keyId, 'missing');
      if (k.check !== check) throw new CartridgeKeyError(barcode, objectId, keyId, 'mismatch');
      candidates = [k];
    } else {
      candidates = this.#ring.byCheck(check);
      if (candidates.length === 0) throw new CartridgeKeyError(barcode, objectId, `check:${check.toString(16).padStart(4, '0')}`, 'missing');
    }
    const nonce = stored.subarray(0, GCM_NONCE_BYTES);
    const tag = stored.subarray(stored.length - GCM_TAG_BYTES);
    const ciphertext = stored.subarray(GCM_NONCE_BYTES, stored.length - GCM_TAG_BYTES);
    const additional = aad(flags, check, objectId, barcode);
    for (const k of candidates) {
      const d = createDecipheriv('aes-256-gcm', k.key, nonce, { authTagLength: GCM_TAG_BYTES });
      d.setAAD(additional);
      d.setAuthTag(tag);
      const out = d.update(ciphertext);
      try {
        const rest = d.final();
        return rest.length === 0 ? out : Buffer.concat([out, rest]);
      } catch {
        // Not this key (or altered): try the next candidate with the same check value.
      }
    }
    throw new Error('AES-256-GCM authentication failed (record altered, moved, or written under another key)');
  }
}

function aad(flags: number, check: number, objectId: number, barcode: string): Buffer {
  const name = Buffer.from(barcode, 'utf8');
  const b = Buffer.allocUnsafe(AAD_LABEL.length + 3 + 8 + name.length);
  let at = AAD_LABEL.copy(b, 0);
  b[at++] = flags;
  b.writeUInt16BE(check, at);
  at += 2;
  b.writeBigUInt64BE(BigInt(objectId), at);
  at += 8;
  name.copy(b, at);
  return b;
}
