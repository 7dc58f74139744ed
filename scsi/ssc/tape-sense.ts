// Sense conditions only a tape drive reports, beside the shared table in
// scsi/sense.ts (same shape; SPC-4 Annex D numbers).
import { SenseKey, type SenseCode } from '../sense.ts';

export const TapeSense = {
  /** NOT READY, LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED: a cartridge is in the drive but not loaded (LOAD needed). */
  loadRequired: { key: SenseKey.NOT_READY, asc: 0x04, ascq: 0x02 },
  /**
   * MEDIUM ERROR, SEQUENTIAL POSITIONING ERROR: the cartridge was given back to
   * the drive when the gateway started again; the position the initiator had
   * did not survive, so no data moves until it positions (REWIND, SPACE, LOCATE, LOAD).
   */
  positionUnconfirmed: { key: SenseKey.MEDIUM_ERROR, asc: 0x3b, ascq: 0x00 },
  /** NOT READY, INCOMPATIBLE MEDIUM INSTALLED. */
  incompatibleMedium: { key: SenseKey.NOT_READY, asc: 0x30, ascq: 0x00 },
  /** ILLEGAL REQUEST, INCOMPATIBLE MEDIUM INSTALLED (a changer asked to load a cartridge the drive cannot take). */
  incompatibleMediumForMove: { key: SenseKey.ILLEGAL_REQUEST, asc: 0x30, ascq: 0x00 },
  /** DATA PROTECT, UNABLE TO DECRYPT DATA: the block is encrypted under a key the gateway does not have. */
  unableToDecrypt: { key: SenseKey.DATA_PROTECT, asc: 0x74, ascq: 0x01 },
  /** DATA PROTECT, INCORRECT DATA ENCRYPTION KEY: the key configured under the block's key id is another key. */
  incorrectDataEncryptionKey: { key: SenseKey.DATA_PROTECT, asc: 0x74, ascq: 0x03 },
} as const satisfies Record<string, SenseCode>;

/** TapeAlert flag numbers (SSC-4 Annex A) the drive raises. */
export const TapeAlertFlag = {
  hardError: 0x03,
  media: 0x04,
  readFailure: 0x05,
  writeFailure: 0x06,
  writeProtect: 0x09,
  unsupportedFormat: 0x0c,
} as const;
