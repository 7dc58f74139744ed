// READ BLOCK LIMITS and REPORT DENSITY SUPPORT (SSC-4): what the drive
// personality can do, as data.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { DensityDescriptor } from '../profiles/types.ts';
import { invalidCdbField } from '../sense.ts';
import { asciiField } from '../spc/vpd.ts';
import type { TapeDrive } from './tape-drive.ts';

/**
 * READ BLOCK LIMITS
 *   byte 1  bit 0  MLOI (maximum logical object identifier form: not supported)
 * Reply: byte 0 GRANULARITY(4-0); 1-3 MAXIMUM BLOCK LENGTH; 4-5 MINIMUM BLOCK LENGTH.
 */
export function readBlockLimits(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  if (cdb.bit(1, 0)) throw invalidCdbField(1, 0);
  const { granularity, min, max } = d.profile.blockLimits;
  const b = Buffer.alloc(6);
  b[0] = granularity & 0x1f;
  b.writeUIntBE(max, 1, 3);
  b.writeUInt16BE(min, 4);
  return b;
}

/**
 * REPORT DENSITY SUPPORT
 *   byte 1  bit 1  MEDIUM TYPE (medium type descriptors: not supported)   bit 0 MEDIA
 *   byte 7-8       ALLOCATION LENGTH
 * MEDIA=0: every density the drive knows; MEDIA=1: the loaded cartridge's.
 */
export function reportDensitySupport(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  if (cdb.bit(1, 1)) throw invalidCdbField(1, 1);
  const media = cdb.bit(1, 0);
  let list: Array<{ desc: DensityDescriptor; writable: boolean; deflt: boolean }>;
  if (media) {
    const l = d.ready();
    const desc = d.profile.densities.find((x) => x.code === l.support.density);
    list = desc === undefined ? [] : [{ desc, writable: l.support.access === 'read-write' && !l.medium.attributes.writeProtected, deflt: true }];
  } else {
    list = d.profile.densities.map((desc, i) => ({
      desc,
      writable: d.profile.media.some((m) => m.density === desc.code && m.access === 'read-write'),
      deflt: i === 0,
    }));
  }
  const body = Buffer.concat(list.map((x) => densityDescriptor(x.desc, x.writable, x.deflt)));
  const head = Buffer.alloc(4);
  head.writeUInt16BE(body.length + 2, 0);
  return Buffer.concat([head, body]).subarray(0, cdb.u16(7));
}

/**
 * Density support descriptor (52 bytes): 0 PRIMARY, 1 SECONDARY DENSITY CODE;
 * 2 WRTOK(7) DUP(6) DEFLT(5) DLV(0); 3-4 DESCRIPTOR LENGTH (DLV=1: 49);
 * 5-7 BITS PER MM; 8-9 MEDIA WIDTH; 10-11 TRACKS; 12-15 CAPACITY (MB);
 * 16-23 ASSIGNING ORGANIZATION; 24-31 DENSITY NAME; 32-51 DESCRIPTION.
 */
function densityDescriptor(x: DensityDescriptor, writable: boolean, deflt: boolean): Buffer {
  const b = Buffer.alloc(52);
  b[0] = x.code;
  b[1] = x.code;
  b[2] = (writable ? 0x80 : 0) | (deflt ? 0x20 : 0) | 0x01;
  b.writeUInt16BE(49, 3);
  b.writeUIntBE(x.bitsPerMm, 5, 3);
  b.writeUInt16BE(x.mediaWidth, 8);
  b.writeUInt16BE(x.tracks, 10);
  b.writeUInt32BE(x.capacityMB >>> 0, 12);
  asciiField(x.organization, 8).copy(b, 16);
  asciiField(x.name, 8).copy(b, 24);
  asciiField(x.description, 20).copy(b, 32);
  return b;
}
