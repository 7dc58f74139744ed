// LTO barcodes: a six-character volume serial (VOLSER) followed by a two-
// character media identifier ("L6", "LW", ...), as printed on LTO cartridge
// labels (IBM/HPE LTO barcode label specification). The suffix fixes the
// generation, hence native capacity, and whether the cartridge is WORM.

import { BarcodeError } from './errors.ts';

export interface LtoMedia {
  /** Media identifier printed on the label, e.g. "L6". */
  readonly suffix: string;
  /** e.g. "LTO-6"; what MediumAttributes.mediaType reports. */
  readonly mediaType: string;
  readonly generation: number;
  readonly worm: boolean;
  /** Native (uncompressed) capacity, bytes (decimal units as the vendors state them). */
  readonly nativeCapacityBytes: number;
}

const TB = 1_000_000_000_000;
const GB = 1_000_000_000;

const media = (suffix: string, generation: number, worm: boolean, nativeCapacityBytes: number, mediaType = `LTO-${generation}`): LtoMedia =>
  ({ suffix, mediaType, generation, worm, nativeCapacityBytes }) as const;

/** Media identifiers by suffix. LTO-7 type M (M8) is an LTO-7 cartridge formatted at 9 TB in an LTO-8 drive. */
export const LTO_MEDIA: ReadonlyMap<string, LtoMedia> = new Map(
  [
    media('L3', 3, false, 400 * GB),
    media('L4', 4, false, 800 * GB),
    media('L5', 5, false, 1.5 * TB),
    media('L6', 6, false, 2.5 * TB),
    media('L7', 7, false, 6 * TB),
    media('M8', 7, false, 9 * TB, 'LTO-7M'),
    media('L8', 8, false, 12 * TB),
    media('L9', 9, false, 18 * TB),
    media('LT', 3, true, 400 * GB),
    media('LU', 4, true, 800 * GB),
    media('LV', 5, true, 1.5 * TB),
    media('LW', 6, true, 2.5 * TB),
    media('LX', 7, true, 6 * TB),
    media('LY', 8, true, 12 * TB),
    media('LZ', 9, true, 18 * TB),
  ].map((m) => [m.suffix, m]),
);

export interface ParsedBarcode {
  readonly barcode: string;
  readonly volser: string;
  readonly media: LtoMedia;
  /** Cleaning cartridges carry a VOLSER starting with "CLN". */
  readonly cleaning: boolean;
}

const BARCODE = /^([A-Z0-9]{6})([A-Z][A-Z0-9])$/;

/** Parse an LTO barcode; throws BarcodeError VTL_BARCODE_INVALID saying what is wrong. */
export function parseBarcode(barcode: string): ParsedBarcode {
  const m = BARCODE.exec(barcode);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    throw new BarcodeError(barcode, 'expected 6 characters A-Z/0-9 then a 2-character LTO media id, e.g. ABC123L6');
  }
  const found = LTO_MEDIA.get(m[2]);
  if (found === undefined) {
    throw new BarcodeError(barcode, `unknown media id ${m[2]} (known: ${[...LTO_MEDIA.keys()].join(', ')})`);
  }
  return { barcode, volser: m[1], media: found, cleaning: m[1].startsWith('CLN') };
}

export function isValidBarcode(barcode: string): boolean {
  return BARCODE.test(barcode) && LTO_MEDIA.has(barcode.slice(6));
}

/**
 * The capacity a virtual cartridge reports: the configured override when
 * given (virtual tapes are usually far smaller than native), else native.
 * An override may not exceed native capacity and must be at least 1 MiB.
 */
export function effectiveCapacity(parsed: ParsedBarcode, overrideBytes?: number): number {
  if (overrideBytes === undefined) return parsed.media.nativeCapacityBytes;
  if (!Number.isSafeInteger(overrideBytes) || overrideBytes < 1 << 20) {
    throw new BarcodeError(parsed.barcode, `capacity override ${overrideBytes} must be an integer >= 1 MiB`);
  }
  if (overrideBytes > parsed.media.nativeCapacityBytes) {
    throw new BarcodeError(parsed.barcode, `capacity override ${overrideBytes} exceeds native ${parsed.media.nativeCapacityBytes} of ${parsed.media.mediaType}`);
  }
  return overrideBytes;
}

/** Early warning: 2% of capacity, at most 4 GiB and at least 64 KiB. */
export function defaultEarlyWarning(capacityBytes: number): number {
  return Math.max(64 << 10, Math.min(4 * 2 ** 30, Math.floor(capacityBytes * 0.02)));
}
