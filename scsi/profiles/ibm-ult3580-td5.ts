// IBM LTO-5 full-height drive (reads LTO-3, writes LTO-4/5) personality.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const ibmUlt3580Td5: TapeDriveProfile = {
  kind: 'tape',
  name: 'ibm-ult3580-td5',
  identity: { vendor: 'IBM', product: 'ULT3580-TD5', revision: 'E6Q1' },
  serial: { length: 10, pad: '0' },
  blockLimits: { granularity: 0, min: 1, max: 0x800000 },
  densities: [LtoDensity['LTO-5'], LtoDensity['LTO-4'], LtoDensity['LTO-3']],
  media: [ltoMedia('LTO-5', 'read-write'), ltoMedia('LTO-4', 'read-write'), ltoMedia('LTO-3', 'read-only')],
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 2, mediaSerialNumber: true },
};
