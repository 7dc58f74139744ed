// Where a drive gets a cartridge from when one is put into it: the wiring
// backs this with tapes/ (a cartridge opened from staging and the object
// store). Declared here, where it is consumed.
import type { SequentialMedium } from './medium.ts';

export interface MediaSource {
  /**
   * Open the cartridge with this barcode, positioned at BOP. Rejects when it
   * does not exist or cannot be opened; with `code` MEDIUM_FORMAT_CODE when
   * what describes the medium is unusable (LOAD and MOVE MEDIUM answer MEDIUM
   * ERROR, MEDIUM FORMAT CORRUPTED 03/31/00).
   */
  open(barcode: string): Promise<SequentialMedium>;
}

/** The `code` of an open failure that means the medium's format is corrupted (the tapes layer's VTL_CARTRIDGE_FORMAT). */
export const MEDIUM_FORMAT_CODE = 'VTL_CARTRIDGE_FORMAT';
