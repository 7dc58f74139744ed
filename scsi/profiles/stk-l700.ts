// StorageTek L700 (L-series SCSI reference: picker 1, mail slots from 10,
// drives from 500, storage from 1000).
import type { ChangerProfile } from './types.ts';

export const stkL700: ChangerProfile = {
  kind: 'changer',
  name: 'stk-l700',
  identity: { vendor: 'STK', product: 'L700', revision: '0310' },
  serial: { length: 12, pad: '0' },
  addressBases: { transport: 0x0001, importExport: 0x000a, dataTransfer: 0x01f4, storage: 0x03e8 },
  limits: { storage: 678, importExport: 46, dataTransfer: 20 },
  capabilities: { barcodeReader: true, exchangeMedium: false, dvcid: 'vendor-product-serial' },
};
