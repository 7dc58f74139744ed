// MODE SENSE(6) and (10) (SPC-4 6.11, 6.12): header, optional block
// descriptor (the device's hook), then the pages from the registry.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { BlockDescriptor, ScsiLogicalUnit } from '../logical-unit.ts';
import { invalidCdbField } from '../sense.ts';
import type { PageControl } from './mode-pages.ts';

const PAGE_CONTROL: readonly PageControl[] = ['current', 'changeable', 'default', 'saved'];

/**
 * MODE SENSE(6)
 *   byte 1  bit 3  DBD
 *   byte 2         PC(7-6) PAGE CODE(5-0)
 *   byte 3         SUBPAGE CODE
 *   byte 4         ALLOCATION LENGTH
 */
export function modeSense6(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const pages = collectPages(lu, cdb);
  const bd = cdb.bit(1, 3) ? undefined : lu.modeBlockDescriptor();
  const desc = bd === undefined ? Buffer.alloc(0) : shortDescriptor(bd);
  const head = Buffer.from([0, 0, lu.modeDeviceSpecific() & 0xff, desc.length]);
  const out = Buffer.concat([head, desc, ...pages]);
  out[0] = Math.min(out.length - 1, 0xff);
  return out.subarray(0, cdb.u8(4));
}

/**
 * MODE SENSE(10)
 *   byte 1  bit 4  LLBAA   bit 3 DBD
 *   byte 2         PC(7-6) PAGE CODE(5-0)
 *   byte 3         SUBPAGE CODE
 *   byte 7-8       ALLOCATION LENGTH
 */
export function modeSense10(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const pages = collectPages(lu, cdb);
  const bd = cdb.bit(1, 3) ? undefined : lu.modeBlockDescriptor();
  const long = cdb.bit(1, 4) && bd !== undefined;
  const desc = bd === undefined ? Buffer.alloc(0) : long ? longDescriptor(bd) : shortDescriptor(bd);
  const head = Buffer.alloc(8);
  head[3] = lu.modeDeviceSpecific() & 0xff;
  head[4] = long ? 0x01 : 0x00; // LONGLBA
  head.writeUInt16BE(desc.length, 6);
  const out = Buffer.concat([head, desc, ...pages]);
  out.writeUInt16BE(Math.min(out.length - 2, 0xffff), 0);
  return out.subarray(0, cdb.u16(7));
}

/**
 * The pages a MODE SENSE asks for. PAGE CODE 3Fh with SUBPAGE 00h: all
 * page_0 pages; with FFh: all pages and subpages; a page with FFh: all its
 * subpages. An unsupported page or subpage: INVALID FIELD IN CDB.
 */
function collectPages(lu: ScsiLogicalUnit, cdb: CdbReader): Buffer[] {
  const pc = PAGE_CONTROL[cdb.bits(2, 6, 2)] ?? 'current';
  const page = cdb.bits(2, 0, 6);
  const subpage = cdb.u8(3);
  if (page === 0x3f || subpage === 0xff) {
    if (page === 0x3f && subpage !== 0 && subpage !== 0xff) throw invalidCdbField(3);
    const many = lu.modePages.senseMany(page, subpage, pc);
    if (many === undefined) throw invalidCdbField(2, 5);
    return many;
  }
  const one = lu.modePages.sense(page, subpage, pc);
  if (one === undefined) throw lu.modePages.has(page) ? invalidCdbField(3) : invalidCdbField(2, 5);
  return [one];
}

/** Short (8-byte) block descriptor: DENSITY CODE, NUMBER OF BLOCKS (24-bit, saturating), BLOCK LENGTH (24-bit). */
export function shortDescriptor(bd: BlockDescriptor): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Number(bd.blocks > 0xffffffn ? 0xffffffn : bd.blocks), 0);
  b[0] = bd.density & 0xff;
  b.writeUIntBE(bd.blockLength & 0xffffff, 5, 3);
  return b;
}

/** Long LBA (16-byte) block descriptor (MODE SENSE(10) LLBAA). */
export function longDescriptor(bd: BlockDescriptor): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(bd.blocks, 0);
  b[8] = bd.density & 0xff;
  b.writeUInt32BE(bd.blockLength >>> 0, 12);
  return b;
}
