// READ ELEMENT STATUS (SMC-3 6.11): the inventory as mtx, ch, Bacula and
// Amanda read it. Element status data = an 8-byte header, then one element
// status page per run of elements of one type, each with fixed-length
// element descriptors.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import { asciiField } from '../spc/vpd.ts';
import { ElementType, type Element } from './elements.ts';
import type { MediaChanger } from './media-changer.ts';

/** PRIMARY VOLUME TAG: 32 bytes of identifier, 2 reserved, 2 VOLUME SEQUENCE NUMBER. */
const VOLTAG_LENGTH = 36;

/**
 * READ ELEMENT STATUS
 *   byte 1  bit 4     VOLTAG   bits 3-0 ELEMENT TYPE CODE
 *   byte 2-3          STARTING ELEMENT ADDRESS
 *   byte 4-5          NUMBER OF ELEMENTS
 *   byte 6  bit 1     CURDATA  bit 0 DVCID
 *   byte 7-9          ALLOCATION LENGTH
 * SMC-3: elements of the type asked for (all types for 0) with addresses at
 * or above STARTING ELEMENT ADDRESS, at most NUMBER OF ELEMENTS of them. The
 * header counts what is available whatever the allocation length; the data
 * is cut at the allocation length.
 */
export function readElementStatus(c: MediaChanger, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const voltag = cdb.bit(1, 4);
  const type = cdb.bits(1, 0, 4);
  const start = cdb.u16(2);
  const count = cdb.u16(4);
  const dvcid = cdb.bit(6, 0);
  const alloc = cdb.u24(7);
  if (type > ElementType.DATA_TRANSFER) throw invalidCdbField(1, 3);
  if (voltag && !c.profile.capabilities.barcodeReader) throw invalidCdbField(1, 4);
  const all = c.elements.all();
  // Start addresses between elements are accepted (mtx and ch start at 0 or at a
  // type's base); one beyond every element is INVALID ELEMENT ADDRESS.
  if (!all.some((e) => e.address >= start)) throw new ScsiError(Sense.invalidElementAddress);
  const picked = all.filter((e) => (type === ElementType.ALL || e.type === type) && e.address >= start).slice(0, count);

  const pages: Buffer[] = [];
  for (let i = 0; i < picked.length; ) {
    const first = picked[i];
    if (first === undefined) break;
    let j = i;
    while (j < picked.length && picked[j]?.type === first.type) j++;
    pages.push(statusPage(c, picked.slice(i, j), voltag, dvcid));
    i = j;
  }
  const body = Buffer.concat(pages);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(picked[0]?.address ?? 0, 0); // FIRST ELEMENT ADDRESS REPORTED
  head.writeUInt16BE(picked.length, 2); // NUMBER OF ELEMENTS AVAILABLE
  head.writeUIntBE(body.length, 5, 3); // BYTE COUNT OF REPORT AVAILABLE
  return Buffer.concat([head, body]).subarray(0, alloc);
}

/**
 * Element status page header: 0 ELEMENT TYPE CODE; 1 PVOLTAG(7) AVOLTAG(6);
 * 2-3 ELEMENT DESCRIPTOR LENGTH; 5-7 BYTE COUNT OF DESCRIPTOR DATA AVAILABLE.
 */
function statusPage(c: MediaChanger, elements: readonly Element[], voltag: boolean, dvcid: boolean): Buffer {
  const type = elements[0]?.type ?? ElementType.STORAGE;
  const idLength = dvcid && type === ElementType.DATA_TRANSFER ? Math.max(0, ...elements.map((e) => identifier(c, e).length)) : 0;
  const descriptors = elements.map((e) => descriptor(c, e, voltag, idLength));
  const length = descriptors[0]?.length ?? 0;
  const body = Buffer.concat(descriptors);
  const head = Buffer.alloc(8);
  head[0] = type;
  head[1] = voltag ? 0x80 : 0;
  head.writeUInt16BE(length, 2);
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

/** The DVCID identifier of a data transfer element: the drive's T10 vendor id, or its serial alone. */
function identifier(c: MediaChanger, e: Element): Buffer {
  if (e.drive === undefined) return Buffer.alloc(0);
  return c.profile.capabilities.dvcid === 'serial' ? Buffer.from(e.drive.serial, 'ascii') : e.drive.t10VendorId();
}

/**
 * Element descriptor (SMC-3 6.11.x):
 *   0-1   ELEMENT ADDRESS
 *   2     flags: IE  OIR(7) CMC(6) INENAB(5) EXENAB(4) ACCESS(3) EXCEPT(2) IMPEXP(1) FULL(0)
 *                ST, DT  ACCESS(3) EXCEPT(2) FULL(0);  MT  EXCEPT(2) FULL(0)
 *   4-5   ADDITIONAL SENSE CODE / QUALIFIER (when EXCEPT)
 *   6     DT: NOT BUS(7) ID VALID(5) LU VALID(4) LUN(2-0)
 *   7     DT: SCSI BUS ADDRESS
 *   9     SVALID(7) INVERT(6) ED(3) MEDIUM TYPE(2-0)
 *   10-11 SOURCE STORAGE ELEMENT ADDRESS
 *   then PRIMARY VOLUME TAG (36) when VOLTAG, then CODE SET, IDENTIFIER TYPE,
 *   reserved, IDENTIFIER LENGTH and the IDENTIFIER (DVCID; length 0 otherwise).
 */
function descriptor(c: MediaChanger, e: Element, voltag: boolean, idLength: number): Buffer {
  const b = Buffer.alloc(12 + (voltag ? VOLTAG_LENGTH : 0) + 4 + idLength);
  b.writeUInt16BE(e.address, 0);
  const full = e.barcode !== undefined;
  let flags = full ? 0x01 : 0;
  if (e.type !== ElementType.MEDIUM_TRANSPORT) flags |= 0x08; // ACCESS
  if (e.type === ElementType.IMPORT_EXPORT) {
    flags |= 0x30; // INENAB, EXENAB
    if (e.imported) flags |= 0x02; // IMPEXP: put there by the operator
  }
  b[2] = flags;
  if (e.type === ElementType.DATA_TRANSFER && e.driveLun !== undefined && e.driveLun < 8) b[6] = 0x10 | e.driveLun; // LU VALID
  if (full) {
    b[9] = (e.source !== undefined ? 0x80 : 0) | mediumType(e.barcode ?? '');
    if (e.source !== undefined) b.writeUInt16BE(e.source, 10);
  }
  let at = 12;
  if (voltag) {
    if (full) asciiField(e.barcode ?? '', 32).copy(b, at);
    at += VOLTAG_LENGTH;
  }
  if (idLength > 0) {
    const id = identifier(c, e);
    b[at] = 0x02; // CODE SET: ASCII
    b[at + 1] = c.profile.capabilities.dvcid === 'serial' ? 0x00 : 0x01; // vendor specific / T10 vendor identification
    b[at + 3] = idLength;
    id.copy(b, at + 4);
    if (id.length < idLength) b.fill(0x20, at + 4 + id.length, at + 4 + idLength);
  }
  return b;
}

/**
 * MEDIUM TYPE (SMC-3): 1 data, 2 cleaning, 4 WORM; guessed from the label
 * as libraries do: "CLN" cleaning cartridges, LTO WORM suffixes LT..LZ.
 */
function mediumType(barcode: string): number {
  if (barcode.startsWith('CLN')) return 2;
  if (/L[T-Z]$/.test(barcode)) return 4;
  return 1;
}
