// DriveBay: what a medium changer needs from a tape drive it serves. Declared
// here, where it is consumed; scsi/ssc's TapeDrive provides it structurally.
export interface DriveBay {
  /** Unit serial number, as the drive reports it in VPD 80h. */
  readonly serial: string;
  /**
   * The drive's T10 vendor identification designator value (VPD 83h, type 1):
   * VENDOR(8) PRODUCT(16) SERIAL. READ ELEMENT STATUS DVCID returns it so that
   * mtx, Bacula and Amanda can map a data transfer element to a /dev/nst.
   */
  t10VendorId(): Buffer;
  /** Barcode of the cartridge in the drive (threaded or ejected), if any. */
  cartridge(): string | undefined;
  /** An initiator of the drive holds PREVENT MEDIUM REMOVAL. */
  removalPrevented(): boolean;
  /**
   * Put a cartridge in: the drive opens and loads it. Rejects (code
   * VTL_MEDIUM_INCOMPATIBLE, or the open error: code BAY_MEDIUM_FORMAT_CODE
   * when the medium's description is unusable) and stays empty.
   * `atEndOfData`: leave the cartridge at its end of data instead of BOP (a
   * drive given back its cartridge when the gateway starts again).
   */
  insert(barcode: string, options?: { readonly atEndOfData?: boolean }): Promise<void>;
  /** Take the cartridge out (the drive flushes and unloads first if needed); resolves to its barcode. */
  remove(): Promise<string>;
}

/** The `code` of an insert failure that means the medium's format is corrupted (the tapes layer's VTL_CARTRIDGE_FORMAT). */
export const BAY_MEDIUM_FORMAT_CODE = 'VTL_CARTRIDGE_FORMAT';
