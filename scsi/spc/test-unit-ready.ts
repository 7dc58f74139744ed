// TEST UNIT READY (SPC-4 6.37): GOOD when ready; the dispatcher already
// answered NOT READY 3A/00 if the device needs and lacks a medium.
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';

/**
 * TEST UNIT READY
 *   byte 1-4  reserved
 *   byte 5    CONTROL
 */
export function testUnitReady(_lu: ScsiLogicalUnit, _cmd: ScsiCommand, _cdb: CdbReader): void {}
