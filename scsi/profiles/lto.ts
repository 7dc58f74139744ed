// LTO density and medium-type numbers shared by every LTO personality
// (density codes per SSC-4 Annex / LTO consortium; medium type codes as IBM
// LTO drives report them in the mode parameter header).
import type { DensityDescriptor, MediaSupport } from './types.ts';

const d = (code: number, bitsPerMm: number, tracks: number, capacityMB: number, name: string, description: string): DensityDescriptor =>
  ({ code, bitsPerMm, mediaWidth: 127, tracks, capacityMB, organization: 'LTO-CVE', name, description });

export const LtoDensity = {
  'LTO-3': d(0x44, 9638, 704, 400_000, 'U-316', 'Ultrium 3/16T'),
  'LTO-4': d(0x46, 13250, 896, 800_000, 'U-416', 'Ultrium 4/16T'),
  'LTO-5': d(0x58, 15142, 1280, 1_500_000, 'U-516', 'Ultrium 5/16T'),
  'LTO-6': d(0x5a, 15142, 2176, 2_500_000, 'U-616', 'Ultrium 6/16T'),
  'LTO-7': d(0x5c, 19107, 3584, 6_000_000, 'U-716', 'Ultrium 7/32T'),
  'LTO-7M': d(0x5d, 19107, 5376, 9_000_000, 'U-732', 'Ultrium M8/32T'),
  'LTO-8': d(0x5e, 20669, 6656, 12_000_000, 'U-832', 'Ultrium 8/32T'),
  'LTO-9': d(0x60, 23031, 8960, 18_000_000, 'U-932', 'Ultrium 9/32T'),
} as const satisfies Record<string, DensityDescriptor>;

export type LtoGeneration = keyof typeof LtoDensity;

/** Medium type codes (data, WORM) by generation. */
const mediumType: Record<LtoGeneration, readonly [number, number]> = {
  'LTO-3': [0x38, 0x3c],
  'LTO-4': [0x48, 0x4c],
  'LTO-5': [0x58, 0x5c],
  'LTO-6': [0x68, 0x6c],
  'LTO-7': [0x78, 0x7c],
  'LTO-7M': [0x7a, 0x7a],
  'LTO-8': [0x88, 0x8c],
  'LTO-9': [0x98, 0x9c],
};

export function ltoMedia(gen: LtoGeneration, access: MediaSupport['access']): MediaSupport {
  const [data, worm] = mediumType[gen];
  return { mediaType: gen, access, density: LtoDensity[gen].code, mediumTypeCode: data, wormMediumTypeCode: worm };
}
