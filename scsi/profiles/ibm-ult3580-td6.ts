// IBM LTO-6 full-height drive (reads LTO-4, writes LTO-5/6) personality.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const ibmUlt3580Td6: TapeDriveProfile = {
  kind: 'tape',
  name: 'ibm-ult3580-td6',
  identity: { vendor: 'IBM', product: 'ULT3580-TD6', revision: 'G9N1' },
  serial: { length: 10, pad: '0' },
  blockLimits: { granularity: 0, min: 1, max: 0x800000 },
  densities: [LtoDensity['LTO-6'], LtoDensity['LTO-5'], LtoDensity['LTO-4']],
  media: [ltoMedia('LTO-6', 'read-write'), ltoMedia('LTO-5', 'read-write'), ltoMedia('LTO-4', 'read-only')],
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 4, mediaSerialNumber: true },
};
