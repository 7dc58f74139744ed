// LOAD UNLOAD, ERASE, PREVENT ALLOW MEDIUM REMOVAL, TEST UNIT READY (SSC-4):
// the commands that change whether and how a cartridge is in the drive.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField } from '../sense.ts';
import type { TapeDrive } from './tape-drive.ts';
import { MEDIUM_FORMAT_CODE } from './media-source.ts';
import { TapeSense } from './tape-sense.ts';

/** TEST UNIT READY: GOOD only with a threaded cartridge (04/01 loading, 04/02 held, 3A/00 none). */
export function testUnitReadyTape(d: TapeDrive, _cmd: ScsiCommand, _cdb: CdbReader): void {
  d.ready();
}

/**
 * LOAD UNLOAD
 *   byte 1  bit 0  IMMED
 *   byte 4  bit 3  HOLD   bit 2 EOT   bit 1 RETEN   bit 0 LOAD
 * LOAD=1 threads the cartridge (again) and positions at BOP; LOAD=0 is a sync
 * point, rewinds and unloads: without HOLD the cartridge is ejected and waits
 * for the changer's picker, with HOLD it stays in the drive (LOAD brings it
 * back). SSC-4: EOT=1 with LOAD=1 is INVALID FIELD IN CDB; an unload while
 * removal is prevented is ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED.
 */
export async function loadUnload(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const load = cdb.bit(4, 0);
  const eot = cdb.bit(4, 2);
  const hold = cdb.bit(4, 3);
  if (load && eot) throw invalidCdbField(4, 2);
  const bay = d.bay;
  if (load) {
    switch (bay.kind) {
      case 'empty':
        throw new ScsiError(Sense.mediumNotPresent);
      case 'loading':
        throw new ScsiError(Sense.becomingReady);
      case 'ready': {
        await d.sync(bay);
        await bay.medium.rewind();
        d.positionConfirmed();
        return;
      }
      case 'held':
      case 'ejected':
        try {
          await d.thread(bay.barcode, cmd.nexus.initiatorPort);
        } catch (err) {
          d.log.warn('tape load failed', { serial: d.serial, barcode: bay.barcode, err: err instanceof Error ? err.message : String(err) });
          // The cartridge's description in the store failed its checks (forged, altered, or its newest version gone).
          if ((err as { code?: unknown }).code === MEDIUM_FORMAT_CODE) throw new ScsiError(Sense.mediumFormatCorrupted);
          throw new ScsiError(TapeSense.incompatibleMedium);
        }
        return;
    }
  }
  if (bay.kind === 'empty' || bay.kind === 'ejected') throw new ScsiError(Sense.mediumNotPresent);
  if (bay.kind === 'loading') throw new ScsiError(Sense.becomingReady);
  if (d.removalPrevented()) throw new ScsiError(Sense.mediumRemovalPrevented);
  await d.unthread(!hold);
}

/**
 * ERASE(6)
 *   byte 1  bit 1  IMMED   bit 0 LONG
 * Short and long erase both make the position EOD (everything after it is
 * gone). WORM cartridges can only be erased at EOD (nothing to erase).
 */
export async function erase6(d: TapeDrive, _cmd: ScsiCommand, _cdb: CdbReader): Promise<void> {
  await erase(d);
}

/**
 * ERASE(16)
 *   byte 1  bit 3 FCS  bit 2 LCS  bit 1 IMMED  bit 0 LONG
 *   byte 3         PARTITION
 *   byte 4-11      LOGICAL OBJECT IDENTIFIER (must be the current position)
 */
export async function erase16(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bits(1, 2, 2) !== 0) throw invalidCdbField(1, 2);
  if (cdb.u8(3) !== 0) throw invalidCdbField(3);
  const l = d.ready();
  if (cdb.u64(4) !== BigInt(l.medium.position().objectId)) throw invalidCdbField(4);
  await erase(d);
}

async function erase(d: TapeDrive): Promise<void> {
  const l = d.atPosition();
  d.checkWritable(l);
  d.checkAppendOnly(l);
  await l.medium.erase();
  d.markDirty();
  await d.flush(l);
}

/**
 * PREVENT ALLOW MEDIUM REMOVAL
 *   byte 4  bits 1-0  PREVENT (00b allow, 01b prevent; 1xb obsolete for tape)
 * Per I_T nexus: removal stays prevented while any nexus prevents it.
 */
export function preventAllowTape(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): void {
  const prevent = cdb.bits(4, 0, 2);
  if (prevent > 1) throw invalidCdbField(4, 1);
  d.setPrevent(cmd.nexus.initiatorPort, prevent === 1);
}
