// IBM TS3500 (3584) frame for LTO drives (3584 SCSI reference: picker 1,
// drives from 0101h, I/O station from 0300h, storage from 0400h).
import type { ChangerProfile } from './types.ts';

export const ibm03584L32: ChangerProfile = {
  kind: 'changer',
  name: 'ibm-03584l32',
  identity: { vendor: 'IBM', product: '03584L32', revision: '9600' },
  serial: { length: 12, pad: '0' },
  addressBases: { transport: 0x0001, dataTransfer: 0x0101, importExport: 0x0300, storage: 0x0400 },
  limits: { storage: 0xfbff, importExport: 0xff, dataTransfer: 0xff },
  capabilities: { barcodeReader: true, exchangeMedium: false, dvcid: 'vendor-product-serial' },
};
