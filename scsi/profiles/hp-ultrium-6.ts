// HP (HPE) LTO-6 drive (reads LTO-4, writes LTO-5/6) personality.
import { LtoDensity, ltoMedia } from './lto.ts';
import type { TapeDriveProfile } from './types.ts';

export const hpUltrium6: TapeDriveProfile = {
  kind: 'tape',
  name: 'hp-ultrium-6',
  identity: { vendor: 'HP', product: 'Ultrium 6-SCSI', revision: 'J5SW' },
  serial: { length: 10, pad: '0' }, // HP serials are 10 characters too (e.g. HU1XXXXXXX)
  blockLimits: { granularity: 0, min: 1, max: 0xffffff },
  densities: [LtoDensity['LTO-6'], LtoDensity['LTO-5'], LtoDensity['LTO-4']],
  media: [ltoMedia('LTO-6', 'read-write'), ltoMedia('LTO-5', 'read-write'), ltoMedia('LTO-4', 'read-only')],
  compression: { capable: true, algorithm: 0x01, enabledByDefault: true },
  capabilities: { worm: true, maxPartitions: 4, mediaSerialNumber: true },
};
