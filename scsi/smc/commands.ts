// The medium changer's command table (SMC-3 over the SPC-4 defaults).
import type { CommandTable, TableEntry } from '../command-table.ts';
import { Op } from '../opcodes.ts';
import { withSpcCommands } from '../spc/commands.ts';
import type { MediaChanger } from './media-changer.ts';
import {
  exchangeMedium,
  initializeElementStatus,
  initializeElementStatusWithRange,
  moveMedium,
  positionToElement,
  preventAllowChanger,
} from './move-medium.ts';
import { readElementStatus } from './read-element-status.ts';

/** SMC-3 opcodes the shared table names differently. */
const ChangerOp = {
  POSITION_TO_ELEMENT: 0x2b,
  INITIALIZE_ELEMENT_STATUS_WITH_RANGE: 0x37,
  /** The pre-SMC-3 vendor opcode some libraries and tools still use. */
  INITIALIZE_ELEMENT_STATUS_WITH_RANGE_LEGACY: 0xe7,
} as const;

const iesRange = { name: 'INITIALIZE ELEMENT STATUS WITH RANGE', direction: 'none', usage: [0x37, 0x03, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0x07], run: initializeElementStatusWithRange } as const;

const base: Array<[number, TableEntry<MediaChanger>]> = [
  [Op.INITIALIZE_ELEMENT_STATUS, { name: 'INITIALIZE ELEMENT STATUS', direction: 'none', usage: [0x07, 0, 0, 0, 0, 0x07], run: initializeElementStatus }],
  [Op.PREVENT_ALLOW_MEDIUM_REMOVAL, { name: 'PREVENT ALLOW MEDIUM REMOVAL', direction: 'none', usage: [0x1e, 0, 0, 0, 0x03, 0x07], run: preventAllowChanger }],
  [ChangerOp.POSITION_TO_ELEMENT, { name: 'POSITION TO ELEMENT', direction: 'none', usage: [0x2b, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07], run: positionToElement }],
  [ChangerOp.INITIALIZE_ELEMENT_STATUS_WITH_RANGE, iesRange],
  [ChangerOp.INITIALIZE_ELEMENT_STATUS_WITH_RANGE_LEGACY, { ...iesRange, usage: [0xe7, 0x03, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0x07] }],
  [Op.MOVE_MEDIUM, { name: 'MOVE MEDIUM', direction: 'none', usage: [0xa5, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07], run: moveMedium }],
  [Op.READ_ELEMENT_STATUS, { name: 'READ ELEMENT STATUS', direction: 'in', usage: [0xb8, 0x1f, 0xff, 0xff, 0xff, 0xff, 0x03, 0xff, 0xff, 0xff, 0, 0x07], allowedUnderConflict: true, run: readElementStatus }],
];

const exchange: [number, TableEntry<MediaChanger>] = [
  Op.EXCHANGE_MEDIUM,
  { name: 'EXCHANGE MEDIUM', direction: 'none', usage: [0xa6, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03, 0x07], run: exchangeMedium },
];

/** Without EXCHANGE MEDIUM (personalities whose product lacks it): the opcode is then invalid. */
export const changerCommands: CommandTable<MediaChanger> = withSpcCommands<MediaChanger>(new Map(base));
export const changerCommandsWithExchange: CommandTable<MediaChanger> = withSpcCommands<MediaChanger>(new Map([...base, exchange]));
