// PERSISTENT RESERVE OUT, REGISTER AND MOVE (SPC-4 5.13.8): the holder
// registers another I_T nexus, named by TransportID, and moves the
// reservation to it.
import { FieldReader, type CdbReader } from '../cdb.ts';
import type { HandlerOutcome } from '../command-table.ts';
import { Status, type ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { ScsiError, Sense, invalidParameterField } from '../sense.ts';
import { isAllRegistrants } from './reservations.ts';
import { unregister } from './persistent-reserve-out.ts';

const CONFLICT = { status: Status.RESERVATION_CONFLICT } as const;

/**
 * Parameter list: 0-7 RESERVATION KEY, 8-15 SERVICE ACTION RESERVATION KEY,
 *   17: UNREG(1) APTPL(0), 18-19 RELATIVE TARGET PORT IDENTIFIER,
 *   20-23 TRANSPORTID PARAMETER DATA LENGTH, 24.. TransportID.
 * Only iSCSI TransportIDs with an ISID (format 01b) name an I_T nexus here.
 */
export function registerAndMove(lu: ScsiLogicalUnit, cmd: ScsiCommand, cdb: CdbReader, data: Buffer): HandlerOutcome {
  const r = lu.reservations;
  const port = cmd.nexus.initiatorPort;
  if (data.length < 24 || data.length !== cdb.u32(5)) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data);
  if (r.keyOf(port) !== p.u64(0)) return CONFLICT;
  const res = r.reservation;
  if (res === undefined || isAllRegistrants(res.type) || res.holder !== port) return CONFLICT;
  if (p.bit(17, 0)) throw invalidParameterField(17, 0);
  const saKey = p.u64(8);
  if (saKey === 0n) throw invalidParameterField(8);
  const tidLen = p.u32(20);
  if (24 + tidLen > data.length) throw new ScsiError(Sense.parameterListLengthError);
  const dest = parseIscsiTransportId(data.subarray(24, 24 + tidLen));
  if (dest === undefined) throw invalidParameterField(24);
  if (dest === port) return CONFLICT; // "the I_T nexus ... is the one that received the command"
  const known = [...r.registrations.values()].find((reg) => reg.nexus.initiatorPort === dest)?.nexus;
  const nexus = known ?? { ...cmd.nexus, initiatorPort: dest, initiatorName: dest.split(',')[0] ?? dest, isid: dest.split(',0x')[1] ?? '' };
  r.registrations.set(dest, { key: saKey, nexus });
  r.reservation = { holder: dest, type: res.type, key: saKey };
  if (p.bit(17, 1)) unregister(lu, port);
  r.generation++;
  return undefined;
}

/** "<name>,i,0x<isid>" from a format 01b iSCSI TransportID, lower-cased ISID. */
function parseIscsiTransportId(tid: Buffer): string | undefined {
  if (tid.length < 4 || ((tid[0] ?? 0) & 0x0f) !== 0x05 || ((tid[0] ?? 0) >> 6) !== 1) return undefined;
  const text = tid.subarray(4, 4 + tid.readUInt16BE(2)).toString('utf8').replace(/\0.*$/s, '');
  const m = /^(.+),i,0x([0-9a-fA-F]{12})$/.exec(text);
  return m === null ? undefined : `${m[1]},i,0x${(m[2] ?? '').toLowerCase()}`;
}
