// Errors of the tapes layer. tapes/ imports nothing from src/ or scsi/, so the
// operator-facing base lives here with the same shape as src/errors.ts VtlError
// (a stable `code`, an optional `cause`); wiring may wrap or map them.

export class TapesError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export const StoreErrorCode = {
  NOT_FOUND: 'VTL_STORE_NOT_FOUND',
  EXISTS: 'VTL_STORE_EXISTS',
  INVALID_KEY: 'VTL_STORE_INVALID_KEY',
  UNAVAILABLE: 'VTL_STORE_UNAVAILABLE',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** An object store operation failed; `key` names the object when there is one. */
export class StoreError extends TapesError {
  readonly key: string | undefined;
  constructor(code: StoreErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(code, message, options);
    this.key = options?.key;
  }
}

export const CartridgeErrorCode = {
  NOT_FOUND: 'VTL_CARTRIDGE_NOT_FOUND',
  CLOSED: 'VTL_CARTRIDGE_CLOSED',
  BUSY: 'VTL_CARTRIDGE_BUSY',
  WRITE_PROTECTED: 'VTL_CARTRIDGE_WRITE_PROTECTED',
  WORM: 'VTL_CARTRIDGE_WORM',
  FULL: 'VTL_CARTRIDGE_FULL',
  CONFLICT: 'VTL_CARTRIDGE_CONFLICT',
  FORMAT: 'VTL_CARTRIDGE_FORMAT',
  STAGING: 'VTL_CARTRIDGE_STAGING',
  /** The shared upload buffer stayed over its limit longer than a write may wait. */
  STAGING_FULL: 'VTL_CARTRIDGE_STAGING_FULL',
  INVALID_ARGUMENT: 'VTL_CARTRIDGE_INVALID_ARGUMENT',
  /** The staging area's file system is full: nothing more is accepted; what was acknowledged is held in memory until space returns. */
  NO_SPACE: 'VTL_CARTRIDGE_NO_SPACE',
  /** A record is encrypted with a key the gateway does not have (or has different bytes under that key id). */
  KEY_UNAVAILABLE: 'VTL_CARTRIDGE_KEY_UNAVAILABLE',
} as const;
export type CartridgeErrorCode = (typeof CartridgeErrorCode)[keyof typeof CartridgeErrorCode];

/** A cartridge cannot do what was asked (write protected, WORM, full, closed, bad format...). */
export class CartridgeError extends TapesError {
  readonly barcode: string;
  constructor(code: CartridgeErrorCode, barcode: string, message: string, options?: { cause?: unknown }) {
    super(code, `${barcode}: ${message}`, options);
    this.barcode = barcode;
  }
}

/** The errno of a full file system (or a quota), anywhere in an error's cause chain. */
export function isNoSpace(e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === CartridgeErrorCode.NO_SPACE) return true;
  }
  return false;
}

/**
 * A write stopped part-way (the staging disk filled up after some of its
 * blocks were appended): `written` blocks are on the tape, the position is
 * after them, the rest was not written.
 */
export class PartialWriteError extends CartridgeError {
  readonly written: number;
  constructor(barcode: string, written: number, cause: CartridgeError) {
    super(cause.code as CartridgeErrorCode, barcode, `${written} blocks written, then: ${cause.message}`, { cause });
    this.written = written;
  }
}

/** A barcode is not a valid volume identifier. */
export class BarcodeError extends TapesError {
  readonly barcode: string;
  constructor(barcode: string, reason: string) {
    super('VTL_BARCODE_INVALID', `barcode ${JSON.stringify(barcode)}: ${reason}`);
    this.barcode = barcode;
  }
}

/**
 * Thrown by Cartridge.read() when a record fails verification (CRC32C, header
 * or index mismatch). Same name, fields and constructor as MediumIntegrityError
 * in scsi/ssc/medium.ts; wiring maps one to the other (MEDIUM ERROR 11/00).
 */
export class MediumIntegrityError extends Error {
  readonly objectId: number;
  constructor(objectId: number, message: string) {
    super(message);
    this.name = 'MediumIntegrityError';
    this.objectId = objectId;
  }
}
