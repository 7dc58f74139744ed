// CRC32C (Castagnoli) for iSCSI header and data digests (RFC 7143 §13.1).
// The digest travels least significant byte first, as Linux and libiscsi send it.
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Uint8Array, previous?: number): number {
  return nativeCrc32c(data, previous ?? 0) >>> 0;
}

/** The 4 digest bytes of `parts` taken as one run of bytes. */
export function digestOf(...parts: readonly Uint8Array[]): Buffer {
  let crc = 0;
  for (const p of parts) if (p.length > 0) crc = crc32c(p, crc);
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32LE(crc, 0);
  return out;
}
