// Where a drive gets a cartridge from when one is put into it: the wiring
// backs this with tapes/ (a cartridge opened from staging and the object
// store). Declared here, where it is consumed.
import type { SequentialMedium } from './medium.ts';

export interface MediaSource {
  /** Open the cartridge with this barcode, positioned at BOP. Rejects when it does not exist or cannot be opened. */
  open(barcode: string): Promise<SequentialMedium>;
}
