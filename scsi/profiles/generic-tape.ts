// A vendor-neutral LTO drive that reads and writes every generation: for
// setups that do not care which product they see.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const genericTape: TapeDriveProfile = {
  kind: 'tape',
  name: 'generic-tape',
  identity: { vendor: 'S3VTL', product: 'VIRTUAL-LTO', revision: '0100' },
  serial: { length: 10, pad: '0' },
  blockLimits: { granularity: 0, min: 1, max: 0x800000 },
  densities: [
    LtoDensity['LTO-9'], LtoDensity['LTO-8'], LtoDensity['LTO-7M'], LtoDensity['LTO-7'],
    LtoDensity['LTO-6'], LtoDensity['LTO-5'], LtoDensity['LTO-4'], LtoDensity['LTO-3'],
  ],
  media: (['LTO-9', 'LTO-8', 'LTO-7M', 'LTO-7', 'LTO-6', 'LTO-5', 'LTO-4', 'LTO-3'] as const).map((g) => ltoMedia(g, 'read-write')),
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 4, mediaSerialNumber: true },
};
