// Errors of the CDP engine the operator sees: VtlError subclasses with stable
// codes; each message says what to do.
import { VtlError } from '../errors.ts';

export const CdpErrorCode = {
  UNKNOWN_VOLUME: 'VTL_CDP_UNKNOWN_VOLUME',
  UNKNOWN_BOOKMARK: 'VTL_CDP_UNKNOWN_BOOKMARK',
  BEFORE_WINDOW: 'VTL_CDP_BEFORE_WINDOW',
  IN_FUTURE: 'VTL_CDP_IN_FUTURE',
  /** The instant falls where the local journal overflowed: only the bases around it exist. */
  IN_GAP: 'VTL_CDP_IN_GAP',
  CORRUPT: 'VTL_CDP_CORRUPT',
  INVALID: 'VTL_CDP_INVALID',
  READ_ONLY: 'VTL_CDP_READ_ONLY',
} as const;
export type CdpErrorCode = (typeof CdpErrorCode)[keyof typeof CdpErrorCode];

export class CdpError extends VtlError {
  readonly volume: string;
  constructor(code: CdpErrorCode, volume: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.volume = volume;
  }
}

const iso = (d: Date | null): string => (d === null ? 'none' : d.toISOString());

export function unknownVolume(volume: string, known: readonly string[]): CdpError {
  const list = known.length === 0 ? 'the store holds no CDP volume' : `known volumes: ${known.join(', ')}`;
  return new CdpError(CdpErrorCode.UNKNOWN_VOLUME, volume, `no CDP volume ${JSON.stringify(volume)} in the store (${list})`);
}

export function unknownBookmark(volume: string, name: string, known: readonly string[]): CdpError {
  const list = known.length === 0 ? 'it has no bookmark' : `its bookmarks: ${known.join(', ')}`;
  return new CdpError(CdpErrorCode.UNKNOWN_BOOKMARK, volume, `volume ${volume} has no bookmark ${JSON.stringify(name)} (${list})`);
}

export function beforeWindow(volume: string, at: Date, start: Date | null, end: Date | null): CdpError {
  return new CdpError(
    CdpErrorCode.BEFORE_WINDOW,
    volume,
    `volume ${volume}: ${at.toISOString()} is before the restorable window (${iso(start)} .. ${iso(end)}); pick an instant inside it`,
  );
}

export function inFuture(volume: string, at: Date, start: Date | null, end: Date | null): CdpError {
  return new CdpError(
    CdpErrorCode.IN_FUTURE,
    volume,
    `volume ${volume}: ${at.toISOString()} is in the future (restorable window ${iso(start)} .. ${iso(end)}); pick an instant inside it`,
  );
}

export function inGap(volume: string, at: Date, before: Date, after: Date): CdpError {
  return new CdpError(
    CdpErrorCode.IN_GAP,
    volume,
    `volume ${volume}: ${at.toISOString()} falls where the local journal overflowed (store unreachable); the nearest restorable instants are ${before.toISOString()} and ${after.toISOString()}`,
  );
}

/** A store object is damaged or missing: never a silently wrong image. */
export class CdpCorruptError extends CdpError {
  readonly key: string;
  readonly instant: Date | null;
  constructor(volume: string, key: string, instant: Date | null, reason: string, options?: { cause?: unknown }) {
    super(
      CdpErrorCode.CORRUPT,
      volume,
      `volume ${volume}: object ${key} (instant ${iso(instant)}) is damaged or missing: ${reason}; restore to an earlier instant or recover the object from a copy of the store`,
      options,
    );
    this.key = key;
    this.instant = instant;
  }
}

/** A write to a point-in-time (read-only) volume. */
export class ReadOnlyVolumeError extends CdpError {
  constructor(volume: string) {
    super(CdpErrorCode.READ_ONLY, volume, `volume ${volume} is a read-only point in time`);
  }
}
