// Manifest authentication: HMAC-SHA-256 over the manifest's canonical
// content, with a key from the config (tapes.manifestKey). A writer to the
// bucket that does not hold the key cannot make a manifest the gateway
// accepts; with no key configured, manifests carry no MAC and only the
// checks of manifest-check.ts apply.
//
//   mac = "hmac-sha256:" + hex(HMAC-SHA-256(key, DOMAIN || canonical(manifest without `mac`)))
//
// canonical(): JSON with object keys sorted at every level, no whitespace,
// so the MAC does not depend on how a writer ordered the keys. The barcode
// and version are inside the MACed content and are checked against the
// object's key on read: a signed manifest cannot be replayed as another
// cartridge's or as another version.

import { createHmac, timingSafeEqual } from 'node:crypto';

const DOMAIN = 's3vtl.cartridge-manifest.mac/1\n';
const PREFIX = 'hmac-sha256:';
const MAC_TEXT = /^hmac-sha256:[0-9a-f]{64}$/;

export interface ManifestAuth {
  /** 32 bytes (tapes.manifestKey). */
  readonly key: Buffer;
  /**
   * Accept manifests that carry no MAC (tapes.acceptUnsignedManifests): for
   * a store written before the key was configured. A wrong MAC is refused
   * whatever this says; every manifest the gateway writes is signed.
   */
  readonly acceptUnsigned: boolean;
}

/** JSON with sorted object keys; throws on values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode a ${typeof value}`);
}

/** The MAC of a manifest object (its own `mac` field, if any, left out). */
export function manifestMac(key: Buffer, manifest: object): string {
  const { mac: _ignored, ...content } = manifest as { mac?: unknown };
  return PREFIX + createHmac('sha256', key).update(DOMAIN).update(canonicalJson(content)).digest('hex');
}

/** Why `manifest` is not authentic under `auth`, or undefined when it is. */
export function macProblem(auth: ManifestAuth, manifest: object): string | undefined {
  const mac = (manifest as { mac?: unknown }).mac;
  if (mac === undefined) return auth.acceptUnsigned ? undefined : 'no MAC (tapes.manifestKey is set; tapes.acceptUnsignedManifests accepts manifests written before it was)';
  if (typeof mac !== 'string' || !MAC_TEXT.test(mac)) return 'MAC is malformed';
  let want: string;
  try {
    want = manifestMac(auth.key, manifest);
  } catch (e) {
    return `cannot be canonicalised: ${(e as Error).message}`;
  }
  return timingSafeEqual(Buffer.from(want), Buffer.from(mac)) ? undefined : 'MAC does not match (written without the gateway\'s manifest key, or altered)';
}
