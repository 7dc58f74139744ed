// MOVE MEDIUM, EXCHANGE MEDIUM, INITIALIZE ELEMENT STATUS (WITH RANGE),
// POSITION TO ELEMENT, PREVENT ALLOW MEDIUM REMOVAL (SMC-3 6.x). The picker
// is instantaneous: moves complete before GOOD.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import { ElementType, type Element } from './elements.ts';
import type { MediaChanger } from './media-changer.ts';

/** MEDIUM TRANSPORT ELEMENT ADDRESS: 0 names the default transport (SMC-3). */
function checkTransport(c: MediaChanger, address: number): void {
  if (address === 0) return;
  if (c.elements.get(address)?.type !== ElementType.MEDIUM_TRANSPORT) throw new ScsiError(Sense.invalidElementAddress);
}

/** A source or destination: storage, import/export or data transfer (the picker holds nothing). */
function element(c: MediaChanger, address: number): Element {
  const e = c.elements.get(address);
  if (e === undefined || e.type === ElementType.MEDIUM_TRANSPORT) throw new ScsiError(Sense.invalidElementAddress);
  return e;
}

/**
 * MOVE MEDIUM
 *   byte 2-3   MEDIUM TRANSPORT ADDRESS
 *   byte 4-5   SOURCE ADDRESS
 *   byte 6-7   DESTINATION ADDRESS
 *   byte 10    bit 0 INVERT (not supported)
 * Errors, in this order: invalid address 21/01; source empty 3B/0E;
 * destination full 3B/0D; source is a drive whose removal an initiator
 * prevents 53/02. A cartridge still threaded in a drive is unloaded by the
 * library first (SMC-3 leaves it to the changer; real libraries do this).
 */
export async function moveMedium(c: MediaChanger, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bit(10, 0)) throw invalidCdbField(10, 0);
  checkTransport(c, cdb.u16(2));
  const src = element(c, cdb.u16(4));
  const dst = element(c, cdb.u16(6));
  if (src.barcode === undefined) throw new ScsiError(Sense.mediumSourceElementEmpty);
  if (src === dst) return;
  if (dst.barcode !== undefined) throw new ScsiError(Sense.mediumDestinationElementFull);
  if (src.drive?.removalPrevented() === true) throw new ScsiError(Sense.mediumRemovalPrevented);
  await c.move(src, dst);
}

/**
 * EXCHANGE MEDIUM
 *   byte 2-3   MEDIUM TRANSPORT ADDRESS
 *   byte 4-5   SOURCE ADDRESS
 *   byte 6-7   FIRST DESTINATION ADDRESS
 *   byte 8-9   SECOND DESTINATION ADDRESS
 *   byte 10    bit 1 INV1   bit 0 INV2 (not supported)
 * The source's cartridge goes to the first destination, whose cartridge goes
 * to the second destination (which may be the source: a swap).
 */
export async function exchangeMedium(c: MediaChanger, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (!c.profile.capabilities.exchangeMedium) throw new ScsiError(Sense.invalidCommandOperationCode);
  if (cdb.bits(10, 0, 2) !== 0) throw invalidCdbField(10, cdb.bit(10, 1) ? 1 : 0);
  checkTransport(c, cdb.u16(2));
  const src = element(c, cdb.u16(4));
  const dst1 = element(c, cdb.u16(6));
  const dst2 = element(c, cdb.u16(8));
  if (src.barcode === undefined || dst1.barcode === undefined) throw new ScsiError(Sense.mediumSourceElementEmpty);
  if (dst2 !== src && dst2.barcode !== undefined) throw new ScsiError(Sense.mediumDestinationElementFull);
  if (src === dst1) throw invalidCdbField(6);
  for (const e of [src, dst1]) if (e.drive?.removalPrevented() === true) throw new ScsiError(Sense.mediumRemovalPrevented);
  await c.exchange(src, dst1, dst2);
}

/** INITIALIZE ELEMENT STATUS: the inventory is always known, nothing to scan. */
export function initializeElementStatus(_c: MediaChanger, _cmd: ScsiCommand, _cdb: CdbReader): void {}

/**
 * INITIALIZE ELEMENT STATUS WITH RANGE
 *   byte 1  bit 1 FAST   bit 0 RANGE
 *   byte 2-3   STARTING ELEMENT ADDRESS
 *   byte 6-7   NUMBER OF ELEMENTS
 */
export function initializeElementStatusWithRange(c: MediaChanger, _cmd: ScsiCommand, cdb: CdbReader): void {
  if (cdb.bit(1, 0) && c.elements.get(cdb.u16(2)) === undefined) throw new ScsiError(Sense.invalidElementAddress);
}

/**
 * POSITION TO ELEMENT
 *   byte 2-3   MEDIUM TRANSPORT ADDRESS
 *   byte 4-5   DESTINATION ADDRESS
 *   byte 8     bit 0 INVERT (not supported)
 */
export function positionToElement(c: MediaChanger, _cmd: ScsiCommand, cdb: CdbReader): void {
  if (cdb.bit(8, 0)) throw invalidCdbField(8, 0);
  checkTransport(c, cdb.u16(2));
  element(c, cdb.u16(4));
}

/**
 * PREVENT ALLOW MEDIUM REMOVAL
 *   byte 4  bits 1-0  PREVENT (00b allow, 01b prevent)
 * SMC-3: prevents the operator from removing cartridges through the
 * import/export elements; per I_T nexus.
 */
export function preventAllowChanger(c: MediaChanger, cmd: ScsiCommand, cdb: CdbReader): void {
  const prevent = cdb.bits(4, 0, 2);
  if (prevent > 1) throw invalidCdbField(4, 1);
  c.setPrevent(cmd.nexus.initiatorPort, prevent === 1);
}
