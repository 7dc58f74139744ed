// IBM LTO-8 full-height drive (writes LTO-7, M8 and LTO-8) personality.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const ibmUlt3580Td8: TapeDriveProfile = {
  kind: 'tape',
  name: 'ibm-ult3580-td8',
  identity: { vendor: 'IBM', product: 'ULT3580-TD8', revision: 'KAJ1' },
  serial: { length: 10, pad: '0' },
  blockLimits: { granularity: 0, min: 1, max: 0x800000 },
  densities: [LtoDensity['LTO-8'], LtoDensity['LTO-7M'], LtoDensity['LTO-7']],
  media: [ltoMedia('LTO-8', 'read-write'), ltoMedia('LTO-7M', 'read-write'), ltoMedia('LTO-7', 'read-write')],
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 4, mediaSerialNumber: true },
};
