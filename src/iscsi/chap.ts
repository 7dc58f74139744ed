// CHAP for iSCSI (RFC 7143 §12.1.3, RFC 1994 §4.1): response = H(id || secret || challenge).
// Algorithm numbers are the IANA "PPP Authentication Algorithms" values that
// iSCSI uses in CHAP_A: 5 MD5, 6 SHA-1, 7 SHA-256, 8 SHA3-256.
import { createHash, timingSafeEqual } from 'node:crypto';

export const ChapAlgorithm = { MD5: 5, SHA1: 6, SHA256: 7, SHA3_256: 8 } as const;
export type ChapAlgorithm = (typeof ChapAlgorithm)[keyof typeof ChapAlgorithm];

const HASHES: Readonly<Record<ChapAlgorithm, { readonly name: string; readonly length: number }>> = {
  5: { name: 'md5', length: 16 },
  6: { name: 'sha1', length: 20 },
  7: { name: 'sha256', length: 32 },
  8: { name: 'sha3-256', length: 32 },
};

export const SUPPORTED_CHAP_ALGORITHMS: readonly ChapAlgorithm[] = [5, 6, 7, 8];

export function digestLength(a: ChapAlgorithm): number {
  return HASHES[a].length;
}

export function chapResponse(a: ChapAlgorithm, id: number, secret: string, challenge: Buffer): Buffer {
  return createHash(HASHES[a].name)
    .update(Buffer.of(id & 0xff))
    .update(Buffer.from(secret, 'utf8'))
    .update(challenge)
    .digest();
}

/**
 * CHAP_A=<list>: RFC 7143 §12.1.3 — the target answers with the first
 * algorithm of the initiator's list that it supports. Values must be exact
 * decimal numbers ("56" is not 5).
 */
export function selectAlgorithm(value: string, allowed: readonly ChapAlgorithm[]): ChapAlgorithm | undefined {
  for (const item of value.split(',')) {
    if (!/^[0-9]{1,3}$/.test(item)) continue;
    const n = Number(item);
    const hit = allowed.find((a) => a === n);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * A binary value (RFC 7143 §6.1): "0x" + hex digits or "0b" + base64.
 * Strict: anything else is undefined.
 */
export function decodeBinary(v: string): Buffer | undefined {
  const prefix = v.slice(0, 2).toLowerCase();
  const body = v.slice(2);
  if (body.length === 0) return undefined;
  if (prefix === '0x') {
    if (!/^[0-9a-fA-F]+$/.test(body)) return undefined;
    return Buffer.from(body.length % 2 === 1 ? '0' + body : body, 'hex');
  }
  if (prefix === '0b') {
    if (body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
    return Buffer.from(body, 'base64');
  }
  return undefined;
}

export function encodeHex(b: Buffer): string {
  return '0x' + b.toString('hex');
}

/** Constant-time comparison of an initiator's CHAP_R against the expected digest. */
export function responsesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
