// IBM LTO-9 full-height drive (writes LTO-8 and LTO-9) personality.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const ibmUlt3580Td9: TapeDriveProfile = {
  kind: 'tape',
  name: 'ibm-ult3580-td9',
  identity: { vendor: 'IBM', product: 'ULT3580-TD9', revision: 'N9M1' },
  serial: { length: 10, pad: '0' },
  blockLimits: { granularity: 0, min: 1, max: 0x800000 },
  densities: [LtoDensity['LTO-9'], LtoDensity['LTO-8']],
  media: [ltoMedia('LTO-9', 'read-write'), ltoMedia('LTO-8', 'read-write')],
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 4, mediaSerialNumber: true },
};
