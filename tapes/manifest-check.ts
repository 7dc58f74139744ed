// What a manifest may say about its own cartridge. A manifest is read from a
// store that other programs can write, and the gateway acts on what it names:
// it reads the segments it lists and deletes the keys it lists as cut away.
// So every key must be exactly one this cartridge's layout produces
// (tapes/keys.ts), and every number must lie within what the medium and the
// formats can hold; anything else is refused as VTL_CARTRIDGE_FORMAT before
// the manifest is used (manifest-read.ts then falls back to an older version).
//
// Bounds, and where they come from:
//   capacity   at most the native capacity of the barcode's LTO media (barcode.ts)
//   usedBytes  capacity plus what the last write may store past it: a write is
//              admitted by its logical length, and each block may grow by the
//              AES-GCM nonce and tag; a WRITE carries at most 2^24 blocks (SSC-4
//              TRANSFER LENGTH, 24 bits)
//   objects    data blocks store at least one byte each, so EOD is at most
//              usedBytes plus the filemarks
//   filemarks  at most 2^24 per cartridge (a format limit of the gateway)
//   seq        32 bits (the segment header's u32 and the key's %08x)
//   size       5 TiB (the largest object S3 stores)

import { parseBarcode } from './barcode.ts';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import type { TapeKeys } from './keys.ts';
import type { Manifest } from './manifest.ts';
import { ENCRYPTION_OVERHEAD_BYTES } from './record-codec.ts';
import { RECORD_HEADER_BYTES } from './record-format.ts';
import { INDEX_ENTRY_BYTES, SEGMENT_HEADER_BYTES, TRAILER_BYTES } from './segment-format.ts';

export const MAX_BLOCKS_PER_WRITE = 2 ** 24;
export const MAX_FILEMARKS = 2 ** 24;
export const MAX_SEQ = 2 ** 32 - 1;
export const MAX_SEGMENT_OBJECT_BYTES = 5 * 2 ** 40;
/** MAM attribute ids are 16 bits; a value is at most 64 KiB (SPC-4 ATTRIBUTE LENGTH is 16 bits). */
const ATTRIBUTE_ID = /^0x[0-9a-f]{4}$/;
const MAX_ATTRIBUTE_BYTES = 0xffff;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isCount = (n: unknown, max = Number.MAX_SAFE_INTEGER): n is number => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max;

/** Throws VTL_CARTRIDGE_FORMAT naming the first thing `m` (decoded from `where`) may not say about `barcode`. */
export function checkManifest(m: Manifest, keys: TapeKeys, barcode: string, where: string): void {
  const why = problemOf(m, keys, barcode);
  if (why !== undefined) throw new CartridgeError(CartridgeErrorCode.FORMAT, barcode, `manifest ${where}: ${why}`);
}

/** The first problem of `m` as a manifest of `barcode`, or undefined. */
export function problemOf(m: Manifest, keys: TapeKeys, barcode: string): string | undefined {
  if (m.barcode !== barcode) return `names cartridge ${JSON.stringify(m.barcode)}`;
  let media;
  try {
    media = parseBarcode(barcode).media;
  } catch (e) {
    return (e as Error).message;
  }
  const medium = m.medium as Partial<Manifest['medium']> | undefined;
  if (typeof medium !== 'object' || medium === null) return 'no medium';
  if (medium.mediaType !== media.mediaType) return `medium type ${JSON.stringify(medium.mediaType)} is not the barcode's ${media.mediaType}`;
  // A WORM media id (LW, LZ, ...) is always WORM; any other cartridge may be made WORM (`tape create --worm`).
  if (typeof medium.worm !== 'boolean') return 'WORM flag is not a boolean';
  if (media.worm && !medium.worm) return `WORM flag false on a WORM barcode (${media.mediaType} WORM)`;
  if (medium.pool !== null && typeof medium.pool !== 'string') return 'pool must be a name or null';
  const capacity = medium.capacityBytes;
  if (!isCount(capacity, media.nativeCapacityBytes) || capacity < 1 << 20) return `capacity ${String(capacity)} outside 1 MiB..${media.nativeCapacityBytes} (${media.mediaType})`;
  if (!isCount(m.usedBytes, capacity + ENCRYPTION_OVERHEAD_BYTES * MAX_BLOCKS_PER_WRITE)) return `usedBytes ${String(m.usedBytes)} beyond the capacity ${capacity}`;
  if (!isCount(m.nextSeq, MAX_SEQ + 1) || m.nextSeq < 1) return `nextSeq ${String(m.nextSeq)} outside 1..${MAX_SEQ + 1}`;
  if (m.filemarks.length > MAX_FILEMARKS) return `${m.filemarks.length} filemarks (at most ${MAX_FILEMARKS})`;
  if (!isCount(m.eodObjectId, m.usedBytes + m.filemarks.length)) return `EOD ${String(m.eodObjectId)} beyond what ${m.usedBytes} bytes and ${m.filemarks.length} filemarks hold`;
  for (const f of m.filemarks) if (!isCount(f)) return `filemark ${String(f)} is not an object id`;
  if (typeof m.createdAt !== 'string') return 'createdAt is not a string';
  if (m.base !== undefined && (!isCount(m.base) || m.base < 1 || m.base >= m.version - 1)) return `base ${String(m.base)} must be a version below ${m.version - 1}`;

  const live = new Set<string>();
  let prevSeq = 0;
  for (const s of m.segments) {
    const label = `segment ${JSON.stringify(s.seq)}`;
    if (!isCount(s.seq, m.nextSeq - 1) || s.seq <= prevSeq) return `${label}: seq must ascend within 1..nextSeq-1`;
    prevSeq = s.seq;
    if (!isCount(s.first) || !isCount(s.records) || !isCount(s.count) || !isCount(s.dataBytes) || !isCount(s.size, MAX_SEGMENT_OBJECT_BYTES) || !isCount(s.indexOffset)) {
      return `${label}: first, records, count, dataBytes, size and indexOffset must be counts (size at most 5 TiB)`;
    }
    if (s.key !== keys.segment(barcode, s.first, s.seq)) return `${label}: key ${JSON.stringify(s.key)} is not ${keys.segment(barcode, s.first, s.seq)}`;
    // Header, then per record a header and an index entry, then the trailer.
    if (s.indexOffset < SEGMENT_HEADER_BYTES + s.records * RECORD_HEADER_BYTES + s.dataBytes) return `${label}: index offset ${s.indexOffset} before the end of its records`;
    if (s.size !== s.indexOffset + s.records * INDEX_ENTRY_BYTES + TRAILER_BYTES) return `${label}: size ${s.size} does not match ${s.records} records indexed at ${s.indexOffset}`;
    live.add(s.key);
  }
  for (const [id, value] of Object.entries(m.attributes ?? {})) {
    if (!ATTRIBUTE_ID.test(id)) return `attribute id ${JSON.stringify(id)}`;
    if (typeof value !== 'string' || !BASE64.test(value) || value.length > Math.ceil(MAX_ATTRIBUTE_BYTES / 3) * 4) return `attribute ${id} is not base64 of at most 64 KiB`;
  }
  for (const c of m.cutAway ?? []) {
    const seg = keys.parseSegmentKey(barcode, c.key);
    if (seg === undefined) return `cutAway key ${JSON.stringify(c.key)} is not a segment of ${barcode}`;
    if (seg.seq > MAX_SEQ || seg.seq >= m.nextSeq) return `cutAway key ${c.key}: seq beyond nextSeq`;
    if (live.has(c.key)) return `cutAway key ${c.key} is a segment of the tape`;
  }
  return undefined;
}
