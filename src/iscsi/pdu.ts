// Initiator PDUs as a discriminated union, decoded from framed bytes
// (RFC 7143 §11). Decoding is pure and never throws: anything it cannot make
// sense of becomes { kind: 'invalid' } carrying the reason for a Reject.
import { InitiatorOpcode, RejectReason } from './constants.ts';
import type { TaskAttribute } from '../../scsi/command.ts';

/** One framed PDU as the parser cut it: header, AHS and data segment without padding. */
export interface RawPdu {
  readonly bhs: Buffer;
  readonly ahs: Buffer;
  readonly data: Buffer;
  /** The data digest did not match (the header digest is fatal and never gets here). */
  readonly dataDigestError: boolean;
}

interface Common {
  readonly raw: RawPdu;
  readonly immediate: boolean;
  readonly itt: number;
  readonly data: Buffer;
}

export interface NopOutPdu extends Common {
  readonly kind: 'nop-out';
  readonly lun: Buffer;
  readonly ttt: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
}

export interface ScsiCommandPdu extends Common {
  readonly kind: 'scsi-command';
  readonly final: boolean;
  readonly read: boolean;
  readonly write: boolean;
  readonly attribute: TaskAttribute;
  readonly lun: Buffer;
  readonly expectedLength: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
  /** The CDB including any Extended CDB AHS. */
  readonly cdb: Buffer;
  /** Bidirectional Expected Read-Data Length AHS, when present. */
  readonly bidiReadLength: number | undefined;
}

export interface TaskMgmtPdu extends Common {
  readonly kind: 'task-mgmt';
  readonly fn: number;
  readonly lun: Buffer;
  readonly referencedTaskTag: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
  readonly refCmdSN: number;
  readonly expDataSN: number;
}

export interface LoginRequestPdu extends Common {
  readonly kind: 'login';
  readonly transit: boolean;
  readonly continue: boolean;
  readonly csg: number;
  readonly nsg: number;
  readonly versionMax: number;
  readonly versionMin: number;
  /** ISID as 12 lowercase hex digits. */
  readonly isid: string;
  readonly tsih: number;
  readonly cid: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
}

export interface TextRequestPdu extends Common {
  readonly kind: 'text';
  readonly final: boolean;
  readonly continue: boolean;
  readonly lun: Buffer;
  readonly ttt: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
}

export interface DataOutPdu extends Common {
  readonly kind: 'data-out';
  readonly final: boolean;
  readonly lun: Buffer;
  readonly ttt: number;
  readonly expStatSN: number;
  readonly dataSN: number;
  readonly bufferOffset: number;
}

export interface LogoutRequestPdu extends Common {
  readonly kind: 'logout';
  readonly reason: number;
  readonly cid: number;
  readonly cmdSN: number;
  readonly expStatSN: number;
}

export interface SnackPdu extends Common {
  readonly kind: 'snack';
}

/** A PDU that cannot be processed; `reason` is what a Reject says. */
export interface InvalidPdu extends Common {
  readonly kind: 'invalid';
  readonly opcode: number;
  readonly reason: RejectReason;
  readonly detail: string;
}

export type InitiatorPdu =
  | NopOutPdu
  | ScsiCommandPdu
  | TaskMgmtPdu
  | LoginRequestPdu
  | TextRequestPdu
  | DataOutPdu
  | LogoutRequestPdu
  | SnackPdu
  | InvalidPdu;

const ATTRIBUTES: readonly (TaskAttribute | undefined)[] = [
  'untagged',
  'simple',
  'ordered',
  'head-of-queue',
  'aca',
];

/** AHS types (RFC 7143 §11.2.1.2). */
const AhsType = { EXTENDED_CDB: 1, BIDI_READ_LENGTH: 2 } as const;

export function decodePdu(raw: RawPdu): InitiatorPdu {
  // Every case spells the common fields out: an object spread followed by
  // more properties costs microseconds per PDU in V8, on the hot path.
  const b = raw.bhs;
  const opcode = b[0]! & 0x3f;
  const immediate = (b[0]! & 0x40) !== 0;
  const itt = b.readUInt32BE(16);
  const data = raw.data;
  const flags = b[1]!;
  switch (opcode) {
    case InitiatorOpcode.NOP_OUT:
      return {
        raw, immediate, itt, data,
        kind: 'nop-out',
        lun: b.subarray(8, 16),
        ttt: b.readUInt32BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
      };
    case InitiatorOpcode.SCSI_COMMAND: {
      const attribute = ATTRIBUTES[flags & 0x07];
      if (attribute === undefined) return invalidPdu(raw, opcode, RejectReason.INVALID_PDU_FIELD, 'task attribute');
      let cdb = b.subarray(32, 48);
      let bidiReadLength: number | undefined;
      for (let o = 0; o + 4 <= raw.ahs.length; ) {
        const len = raw.ahs.readUInt16BE(o);
        const type = raw.ahs[o + 2]!;
        if (o + 3 + len > raw.ahs.length) return invalidPdu(raw, opcode, RejectReason.INVALID_PDU_FIELD, 'AHS length');
        if (type === AhsType.EXTENDED_CDB && len >= 1) {
          cdb = Buffer.concat([cdb, raw.ahs.subarray(o + 4, o + 3 + len)]);
        } else if (type === AhsType.BIDI_READ_LENGTH && len === 5) {
          bidiReadLength = raw.ahs.readUInt32BE(o + 4);
        } else {
          return invalidPdu(raw, opcode, RejectReason.INVALID_PDU_FIELD, `AHS type ${type}`);
        }
        o += (3 + len + 3) & ~3;
      }
      return {
        raw, immediate, itt, data,
        kind: 'scsi-command',
        final: (flags & 0x80) !== 0,
        read: (flags & 0x40) !== 0,
        write: (flags & 0x20) !== 0,
        attribute,
        lun: b.subarray(8, 16),
        expectedLength: b.readUInt32BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
        cdb,
        bidiReadLength,
      };
    }
    case InitiatorOpcode.TASK_MGMT_REQUEST:
      if ((flags & 0x80) === 0) return invalidPdu(raw, opcode, RejectReason.PROTOCOL_ERROR, 'TMF without F bit');
      return {
        raw, immediate, itt, data,
        kind: 'task-mgmt',
        fn: flags & 0x7f,
        lun: b.subarray(8, 16),
        referencedTaskTag: b.readUInt32BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
        refCmdSN: b.readUInt32BE(32),
        expDataSN: b.readUInt32BE(36),
      };
    case InitiatorOpcode.LOGIN_REQUEST:
      return {
        raw, immediate, itt, data,
        kind: 'login',
        transit: (flags & 0x80) !== 0,
        continue: (flags & 0x40) !== 0,
        csg: (flags >> 2) & 0x03,
        nsg: flags & 0x03,
        versionMax: b[2]!,
        versionMin: b[3]!,
        isid: b.toString('hex', 8, 14),
        tsih: b.readUInt16BE(14),
        cid: b.readUInt16BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
      };
    case InitiatorOpcode.TEXT_REQUEST:
      return {
        raw, immediate, itt, data,
        kind: 'text',
        final: (flags & 0x80) !== 0,
        continue: (flags & 0x40) !== 0,
        lun: b.subarray(8, 16),
        ttt: b.readUInt32BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
      };
    case InitiatorOpcode.DATA_OUT:
      return {
        raw, immediate, itt, data,
        kind: 'data-out',
        final: (flags & 0x80) !== 0,
        lun: b.subarray(8, 16),
        ttt: b.readUInt32BE(20),
        expStatSN: b.readUInt32BE(28),
        dataSN: b.readUInt32BE(36),
        bufferOffset: b.readUInt32BE(40),
      };
    case InitiatorOpcode.LOGOUT_REQUEST:
      return {
        raw, immediate, itt, data,
        kind: 'logout',
        reason: flags & 0x7f,
        cid: b.readUInt16BE(20),
        cmdSN: b.readUInt32BE(24),
        expStatSN: b.readUInt32BE(28),
      };
    case InitiatorOpcode.SNACK_REQUEST:
      return { raw, immediate, itt, data, kind: 'snack' };
    default:
      return invalidPdu(raw, opcode, RejectReason.COMMAND_NOT_SUPPORTED, `opcode 0x${opcode.toString(16)}`);
  }
}

function invalidPdu(raw: RawPdu, opcode: number, reason: RejectReason, detail: string): InvalidPdu {
  const b = raw.bhs;
  return { raw, immediate: (b[0]! & 0x40) !== 0, itt: b.readUInt32BE(16), data: raw.data, kind: 'invalid', opcode, reason, detail };
}
