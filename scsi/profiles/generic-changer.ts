// A vendor-neutral changer with roomy, readable address ranges.
import type { ChangerProfile } from './types.ts';

export const genericChanger: ChangerProfile = {
  kind: 'changer',
  name: 'generic-changer',
  identity: { vendor: 'S3VTL', product: 'VIRTUAL-LIBRARY', revision: '0100' },
  serial: { length: 12, pad: '0' },
  addressBases: { transport: 0x0000, dataTransfer: 0x0100, importExport: 0x0300, storage: 0x1000 },
  limits: { storage: 0xe000, importExport: 0xff, dataTransfer: 0xff },
  capabilities: { barcodeReader: true, exchangeMedium: true, dvcid: 'vendor-product-serial' },
};
