// SPACE(6)/(16), LOCATE(10)/(16), READ POSITION, REWIND (SSC-4): moving over
// the partition and reporting where the drive is. Every move after writes is
// a sync point. A residue is the count not spaced, as a magnitude in both
// directions: IBM LTO drives report the absolute value, and Linux st negates
// a negative residue for reverse spacing ("Some drives get this wrong").
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { SpaceOutcome } from './medium.ts';
import type { Loaded, TapeDrive } from './tape-drive.ts';

/** SPACE CODE values (SSC-4 7.x table). */
const SpaceCode = { BLOCKS: 0, FILEMARKS: 1, SEQUENTIAL_FILEMARKS: 2, END_OF_DATA: 3 } as const;

/**
 * SPACE(6)
 *   byte 1  bits 3-0  CODE
 *   byte 2-4          COUNT (signed 24-bit)
 */
export async function space6(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  await space(d, cdb.bits(1, 0, 4), cdb.i24(2), 1);
}

/**
 * SPACE(16)
 *   byte 1  bits 3-0  CODE
 *   byte 4-11         COUNT (signed 64-bit)
 *   byte 12-13        PARAMETER LENGTH (no parameter data supported: must be 0)
 */
export async function space16(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.u16(12) !== 0) throw invalidCdbField(12);
  const count = cdb.i64(4);
  if (count > BigInt(Number.MAX_SAFE_INTEGER) || count < -BigInt(Number.MAX_SAFE_INTEGER)) throw invalidCdbField(4);
  await space(d, cdb.bits(1, 0, 4), Number(count), 1);
}

async function space(d: TapeDrive, code: number, count: number, codeByte: number): Promise<void> {
  if (code !== SpaceCode.BLOCKS && code !== SpaceCode.FILEMARKS && code !== SpaceCode.END_OF_DATA) {
    throw invalidCdbField(codeByte, 3);
  }
  const l = d.ready();
  d.positionConfirmed();
  await d.sync(l);
  if (code === SpaceCode.END_OF_DATA) {
    await l.medium.spaceToEndOfData();
    return;
  }
  if (count === 0) return;
  const out = code === SpaceCode.BLOCKS ? await l.medium.spaceBlocks(count) : await l.medium.spaceFilemarks(count);
  reportStop(count, out);
}

/**
 * SSC-4 SPACE: a filemark met while spacing blocks -> NO SENSE, FM, 00/01
 * (positioned past it in the direction of travel); EOD -> BLANK CHECK 00/05;
 * BOP going backwards -> NO SENSE, EOM, 00/04. INFORMATION = residue.
 */
function reportStop(count: number, out: SpaceOutcome): void {
  if (out.stoppedBy === undefined) return;
  const info = Math.abs(count) - out.spaced;
  switch (out.stoppedBy) {
    case 'filemark':
      throw new ScsiError(Sense.filemarkDetected, { filemark: true, info });
    case 'end-of-data':
      throw new ScsiError(Sense.endOfDataDetected, { info });
    case 'beginning-of-partition':
      throw new ScsiError(Sense.beginningOfPartitionDetected, { eom: true, info });
  }
}

/**
 * LOCATE(10)
 *   byte 1  bit 2  BT (block address type: ours are logical object identifiers either way)
 *           bit 1  CP (change partition)   bit 0 IMMED
 *   byte 3-6       LOGICAL OBJECT IDENTIFIER
 *   byte 8         PARTITION (only 0 exists)
 */
export async function locate10(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bit(1, 1) && cdb.u8(8) !== 0) throw invalidCdbField(8);
  const l = d.ready();
  d.positionConfirmed();
  await d.sync(l);
  await locateObject(l, cdb.u32(3));
}

/**
 * LOCATE(16)
 *   byte 1  bits 5-3  DEST_TYPE (0 logical object, 1 logical file, 3 EOD)
 *           bit 1 CP   bit 0 IMMED
 *   byte 2  bit 0     BAM (0: implicit address mode)
 *   byte 3            PARTITION
 *   byte 4-11         LOGICAL IDENTIFIER
 */
export async function locate16(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const destType = cdb.bits(1, 3, 3);
  if (cdb.bit(1, 1) && cdb.u8(3) !== 0) throw invalidCdbField(3);
  if (destType !== 0 && destType !== 1 && destType !== 3) throw invalidCdbField(1, 5);
  const id = cdb.u64(4);
  const l = d.ready();
  d.positionConfirmed();
  await d.sync(l);
  if (destType === 3) {
    await l.medium.spaceToEndOfData();
    return;
  }
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    await l.medium.spaceToEndOfData();
    throw new ScsiError(Sense.endOfDataDetected);
  }
  if (destType === 0) {
    await locateObject(l, Number(id));
    return;
  }
  // Logical file identifier n: the first object after the n-th filemark.
  await l.medium.rewind();
  if (id === 0n) return;
  const out = await l.medium.spaceFilemarks(Number(id));
  if (out.stoppedBy !== undefined) throw new ScsiError(Sense.endOfDataDetected);
}

/** SSC-4 LOCATE: "If end-of-data is encountered ... BLANK CHECK, END-OF-DATA DETECTED", positioned at EOD. */
async function locateObject(l: Loaded, objectId: number): Promise<void> {
  if (!(await l.medium.locate(objectId))) throw new ScsiError(Sense.endOfDataDetected);
}

/**
 * REWIND
 *   byte 1  bit 0  IMMED
 * A sync point.
 */
export async function rewind(d: TapeDrive, _cmd: ScsiCommand, _cdb: CdbReader): Promise<void> {
  const l = d.ready();
  d.positionConfirmed();
  await d.sync(l);
  await l.medium.rewind();
}

/** READ POSITION service actions (SSC-4 7.x table). */
const ReadPositionForm = { SHORT: 0x00, SHORT_VENDOR: 0x01, LONG: 0x06, EXTENDED: 0x08 } as const;

/**
 * READ POSITION
 *   byte 1  bits 4-0  SERVICE ACTION: 00h short (block id), 01h short (vendor
 *                     specific: the same numbers here; Linux st sends this,
 *                     the old BT bit), 06h long, 08h extended
 *   byte 7-8          ALLOCATION LENGTH (extended form)
 * Every written object is on the medium when the medium accepted it, so the
 * buffer counts are zero and first == last position. Linux st reads byte 0
 * bit 2 (LOLU) as "position unknown": it is never set here.
 */
export async function readPosition(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<Buffer> {
  const form = cdb.bits(1, 0, 5);
  const l = d.ready();
  const p = l.medium.position();
  const bop = p.objectId === 0;
  const eop = p.objectId === p.eodObjectId && l.medium.usedBytes() >= d.limits(l).earlyWarning && l.medium.usedBytes() > 0;
  const flags = (bop ? 0x80 : 0) | (eop ? 0x40 : 0);
  switch (form) {
    case ReadPositionForm.SHORT:
    case ReadPositionForm.SHORT_VENDOR: {
      // byte 0 BOP EOP LOCU BYCU - LOLU PERR BPEW; 1 partition; 4-7 first; 8-11 last;
      // 13-15 objects in buffer; 16-19 bytes in buffer
      const b = Buffer.alloc(20);
      if (p.objectId > 0xffffffff) {
        b[0] = flags | 0x04; // BPU/LOLU: the position does not fit the short form
        return b;
      }
      b[0] = flags;
      b.writeUInt32BE(p.objectId, 4);
      b.writeUInt32BE(p.objectId, 8);
      return b;
    }
    case ReadPositionForm.LONG: {
      // byte 0 BOP EOP - - MPU LONU - BPEW; 4-7 partition; 8-15 logical object number;
      // 16-23 logical file identifier; 24-31 obsolete (set identifier)
      const b = Buffer.alloc(32);
      b[0] = flags;
      b.writeBigUInt64BE(BigInt(p.objectId), 8);
      b.writeBigUInt64BE(BigInt(p.fileNumber), 16);
      return b;
    }
    case ReadPositionForm.EXTENDED: {
      // byte 0 flags as short; 1 partition; 2-3 additional length (1Ch);
      // 5-7 objects in buffer; 8-15 first; 16-23 last; 24-31 bytes in buffer
      const b = Buffer.alloc(32);
      b[0] = flags;
      b.writeUInt16BE(0x1c, 2);
      b.writeBigUInt64BE(BigInt(p.objectId), 8);
      b.writeBigUInt64BE(BigInt(p.objectId), 16);
      return b.subarray(0, cdb.u16(7));
    }
    default:
      throw invalidCdbField(1, 4);
  }
}
