// PERSISTENT RESERVE IN (SPC-4 6.15): READ KEYS, READ RESERVATION,
// REPORT CAPABILITIES, READ FULL STATUS.
import type { CdbReader } from '../cdb.ts';
import type { Nexus, ScsiCommand } from '../command.ts';
import type { ScsiLogicalUnit } from '../logical-unit.ts';
import { PrIn } from '../opcodes.ts';
import { invalidCdbField } from '../sense.ts';
import { isAllRegistrants, type Reservations } from './reservations.ts';

/**
 * PERSISTENT RESERVE IN
 *   byte 1  bits 4-0  SERVICE ACTION
 *   byte 7-8          ALLOCATION LENGTH
 * "The ADDITIONAL LENGTH field ... shall not be altered based on the allocation length."
 */
export function persistentReserveIn(lu: ScsiLogicalUnit, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const r = lu.reservations;
  let data: Buffer;
  switch (cdb.serviceAction) {
    case PrIn.READ_KEYS: data = readKeys(r); break;
    case PrIn.READ_RESERVATION: data = readReservation(r); break;
    case PrIn.REPORT_CAPABILITIES: data = reportCapabilities(); break;
    case PrIn.READ_FULL_STATUS: data = readFullStatus(r); break;
    default: throw invalidCdbField(1, 4);
  }
  return data.subarray(0, cdb.u16(7));
}

function header(r: Reservations, additional: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(r.generation >>> 0, 0);
  b.writeUInt32BE(additional, 4);
  return b;
}

function readKeys(r: Reservations): Buffer {
  const keys = [...r.registrations.values()].map((reg) => {
    const k = Buffer.alloc(8);
    k.writeBigUInt64BE(reg.key);
    return k;
  });
  return Buffer.concat([header(r, 8 * keys.length), ...keys]);
}

/** "If the persistent reservation is an all registrants type, the RESERVATION KEY field shall be set to zero." */
function readReservation(r: Reservations): Buffer {
  const res = r.reservation;
  if (res === undefined) return header(r, 0);
  const d = Buffer.alloc(16);
  d.writeBigUInt64BE(isAllRegistrants(res.type) ? 0n : res.key, 0);
  d[13] = res.type & 0x0f; // SCOPE 0h: logical unit
  return Buffer.concat([header(r, 16), d]);
}

/**
 *   byte 0-1  LENGTH (8)
 *   byte 2    RLR_C(7) CRH(4) SIP_C(3) ATP_C(2) PTPL_C(0)
 *   byte 3    TMV(7) ALLOW COMMANDS(6-4) PTPL_A(0)
 *   byte 4-5  PERSISTENT RESERVATION TYPE MASK: WR_EX_AR EX_AC_RO WR_EX_RO . EX_AC . WR_EX . | ... EX_AC_AR
 */
function reportCapabilities(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(8, 0);
  b[2] = 0x10; // CRH: RESERVE/RELEASE conflict while persistent reservations exist
  b[3] = 0x80; // TMV: the type mask is valid
  b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;
  b[5] = 0x01;
  return b;
}

/** iSCSI TransportID, format 01b: "<name>,i,0x<isid>" null-terminated, padded to 4 (SPC-4 7.6.4.6). */
export function iscsiTransportId(nexus: Nexus): Buffer {
  const name = Buffer.from(`${nexus.initiatorName},i,0x${nexus.isid}`, 'utf8');
  const len = Math.max(20, (name.length + 1 + 3) & ~3);
  const b = Buffer.alloc(4 + len);
  b[0] = 0x40 | 0x05; // FORMAT CODE 01b, PROTOCOL IDENTIFIER 5h (iSCSI)
  b.writeUInt16BE(len, 2);
  name.copy(b, 4);
  return b;
}

function readFullStatus(r: Reservations): Buffer {
  const descs = [...r.registrations.entries()].map(([port, reg]) => {
    const tid = iscsiTransportId(reg.nexus);
    const d = Buffer.alloc(24);
    d.writeBigUInt64BE(reg.key, 0);
    if (r.holds(port)) {
      d[12] = 0x01; // R_HOLDER
      d[13] = (r.reservation?.type ?? 0) & 0x0f;
    }
    d.writeUInt16BE(reg.nexus.relativeTargetPortId & 0xffff, 18);
    d.writeUInt32BE(tid.length, 20);
    return Buffer.concat([d, tid]);
  });
  const body = Buffer.concat(descs);
  return Buffer.concat([header(r, body.length), body]);
}
