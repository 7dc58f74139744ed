// Target PDUs (RFC 7143 §11) as a discriminated union, and their encoding to a
// 48-byte BHS plus an optional data segment. Digests and padding are added by
// the connection when it writes (see frame()).
import { BHS_LENGTH, RESERVED_TAG, TargetOpcode } from './constants.ts';
import { digestOf } from './crc32c.ts';

interface SeqNumbers {
  readonly statSN: number;
  readonly expCmdSN: number;
  readonly maxCmdSN: number;
}

/** Residual flags and count shared by SCSI Response and Data-In (RFC 7143 §11.4.5). */
export interface Residual {
  readonly overflow: boolean;
  readonly underflow: boolean;
  readonly count: number;
}

export const NO_RESIDUAL: Residual = { overflow: false, underflow: false, count: 0 };

export interface LoginResponse extends SeqNumbers {
  readonly kind: 'login-response';
  readonly transit: boolean;
  readonly continue: boolean;
  readonly csg: number;
  readonly nsg: number;
  readonly isid: string;
  readonly tsih: number;
  readonly itt: number;
  /** Status-Class << 8 | Status-Detail. */
  readonly status: number;
  readonly data: Buffer;
}

export interface TextResponse extends SeqNumbers {
  readonly kind: 'text-response';
  readonly final: boolean;
  readonly continue: boolean;
  readonly lun: Buffer | undefined;
  readonly itt: number;
  readonly ttt: number;
  readonly data: Buffer;
}

export interface ScsiResponse extends SeqNumbers {
  readonly kind: 'scsi-response';
  readonly itt: number;
  /** 0 = command completed at target, 1 = target failure. */
  readonly response: number;
  readonly status: number;
  readonly residual: Residual;
  readonly expDataSN: number;
  readonly sense: Buffer | undefined;
}

export interface DataIn extends SeqNumbers {
  readonly kind: 'data-in';
  readonly final: boolean;
  /** Present when the S bit is set: status, residual and StatSN are valid. */
  readonly status: number | undefined;
  readonly residual: Residual;
  readonly lun: Buffer;
  readonly itt: number;
  readonly dataSN: number;
  readonly bufferOffset: number;
  readonly data: Buffer;
}

export interface R2T extends SeqNumbers {
  readonly kind: 'r2t';
  readonly lun: Buffer;
  readonly itt: number;
  readonly ttt: number;
  readonly r2tSN: number;
  readonly bufferOffset: number;
  readonly desiredLength: number;
}

export interface NopIn extends SeqNumbers {
  readonly kind: 'nop-in';
  readonly lun: Buffer | undefined;
  readonly itt: number;
  readonly ttt: number;
  readonly data: Buffer | undefined;
}

export interface TaskMgmtResponse extends SeqNumbers {
  readonly kind: 'task-mgmt-response';
  readonly response: number;
  readonly itt: number;
}

export interface LogoutResponse extends SeqNumbers {
  readonly kind: 'logout-response';
  readonly response: number;
  readonly itt: number;
  readonly time2Wait: number;
  readonly time2Retain: number;
}

export interface Reject extends SeqNumbers {
  readonly kind: 'reject';
  readonly reason: number;
  readonly dataSN: number;
  /** The rejected PDU's header (BHS), returned as the data segment. */
  readonly header: Buffer;
}

export interface AsyncMessage extends SeqNumbers {
  readonly kind: 'async-message';
  readonly lun: Buffer | undefined;
  readonly event: number;
  readonly vcode: number;
  readonly parameter1: number;
  readonly parameter2: number;
  readonly parameter3: number;
  readonly data: Buffer | undefined;
}

export type TargetPdu =
  | LoginResponse
  | TextResponse
  | ScsiResponse
  | DataIn
  | R2T
  | NopIn
  | TaskMgmtResponse
  | LogoutResponse
  | Reject
  | AsyncMessage;

export interface EncodedPdu {
  readonly header: Buffer;
  readonly data: Buffer | undefined;
}

function residualFlags(r: Residual): number {
  return (r.overflow ? 0x04 : 0) | (r.underflow ? 0x02 : 0);
}

function seq(h: Buffer, p: SeqNumbers): void {
  h.writeUInt32BE(p.statSN >>> 0, 24);
  h.writeUInt32BE(p.expCmdSN >>> 0, 28);
  h.writeUInt32BE(p.maxCmdSN >>> 0, 32);
}

function lun(h: Buffer, l: Buffer | undefined): void {
  if (l !== undefined) l.copy(h, 8, 0, 8);
}

export function encodePdu(p: TargetPdu): EncodedPdu {
  const h = Buffer.allocUnsafe(BHS_LENGTH).fill(0);
  let data: Buffer | undefined;
  switch (p.kind) {
    case 'login-response':
      h[0] = TargetOpcode.LOGIN_RESPONSE;
      h[1] = (p.transit ? 0x80 : 0) | (p.continue ? 0x40 : 0) | ((p.csg & 3) << 2) | (p.nsg & 3);
      h[2] = 0; // Version-max
      h[3] = 0; // Version-active
      h.write(p.isid, 8, 6, 'hex');
      h.writeUInt16BE(p.tsih, 14);
      h.writeUInt32BE(p.itt, 16);
      seq(h, p);
      h.writeUInt16BE(p.status, 36);
      data = p.data;
      break;
    case 'text-response':
      h[0] = TargetOpcode.TEXT_RESPONSE;
      h[1] = (p.final ? 0x80 : 0) | (p.continue ? 0x40 : 0);
      lun(h, p.lun);
      h.writeUInt32BE(p.itt, 16);
      h.writeUInt32BE(p.ttt, 20);
      seq(h, p);
      data = p.data;
      break;
    case 'scsi-response':
      h[0] = TargetOpcode.SCSI_RESPONSE;
      h[1] = 0x80 | residualFlags(p.residual);
      h[2] = p.response;
      h[3] = p.status;
      h.writeUInt32BE(p.itt, 16);
      seq(h, p);
      h.writeUInt32BE(p.expDataSN >>> 0, 36);
      h.writeUInt32BE(p.residual.count >>> 0, 44);
      if (p.sense !== undefined && p.sense.length > 0) {
        // RFC 7143 §11.4.7.2: SenseLength (2 bytes) then the sense data.
        data = Buffer.allocUnsafe(2 + p.sense.length);
        data.writeUInt16BE(p.sense.length, 0);
        p.sense.copy(data, 2);
      }
      break;
    case 'data-in':
      h[0] = TargetOpcode.DATA_IN;
      h[1] = (p.final ? 0x80 : 0) | (p.status !== undefined ? 0x01 | residualFlags(p.residual) : 0);
      if (p.status !== undefined) h[3] = p.status;
      lun(h, p.lun);
      h.writeUInt32BE(p.itt, 16);
      h.writeUInt32BE(RESERVED_TAG, 20);
      seq(h, p);
      if (p.status === undefined) h.writeUInt32BE(0, 24); // StatSN is reserved without the S bit
      h.writeUInt32BE(p.dataSN >>> 0, 36);
      h.writeUInt32BE(p.bufferOffset >>> 0, 40);
      if (p.status !== undefined) h.writeUInt32BE(p.residual.count >>> 0, 44);
      data = p.data;
      break;
    case 'r2t':
      h[0] = TargetOpcode.R2T;
      h[1] = 0x80;
      lun(h, p.lun);
      h.writeUInt32BE(p.itt, 16);
      h.writeUInt32BE(p.ttt, 20);
      seq(h, p);
      h.writeUInt32BE(p.r2tSN >>> 0, 36);
      h.writeUInt32BE(p.bufferOffset >>> 0, 40);
      h.writeUInt32BE(p.desiredLength >>> 0, 44);
      break;
    case 'nop-in':
      h[0] = TargetOpcode.NOP_IN;
      h[1] = 0x80;
      lun(h, p.lun);
      h.writeUInt32BE(p.itt, 16);
      h.writeUInt32BE(p.ttt, 20);
      seq(h, p);
      data = p.data;
      break;
    case 'task-mgmt-response':
      h[0] = TargetOpcode.TASK_MGMT_RESPONSE;
      h[1] = 0x80;
      h[2] = p.response;
      h.writeUInt32BE(p.itt, 16);
      seq(h, p);
      break;
    case 'logout-response':
      h[0] = TargetOpcode.LOGOUT_RESPONSE;
      h[1] = 0x80;
      h[2] = p.response;
      h.writeUInt32BE(p.itt, 16);
      seq(h, p);
      h.writeUInt16BE(p.time2Wait, 40);
      h.writeUInt16BE(p.time2Retain, 42);
      break;
    case 'reject':
      h[0] = TargetOpcode.REJECT;
      h[1] = 0x80;
      h[2] = p.reason;
      h.writeUInt32BE(RESERVED_TAG, 16);
      seq(h, p);
      h.writeUInt32BE(p.dataSN >>> 0, 36);
      data = p.header.subarray(0, BHS_LENGTH);
      break;
    case 'async-message':
      h[0] = TargetOpcode.ASYNC_MESSAGE;
      h[1] = 0x80;
      lun(h, p.lun);
      h.writeUInt32BE(RESERVED_TAG, 16);
      h.writeUInt32BE(RESERVED_TAG, 20);
      seq(h, p);
      h[36] = p.event;
      h[37] = p.vcode;
      h.writeUInt16BE(p.parameter1, 38);
      h.writeUInt16BE(p.parameter2, 40);
      h.writeUInt16BE(p.parameter3, 42);
      data = p.data;
      break;
    default: {
      const never: never = p;
      throw new Error(`unencodable PDU ${String(never)}`);
    }
  }
  const length = data?.length ?? 0;
  h.writeUIntBE(length, 5, 3);
  return { header: h, data: length > 0 ? data : undefined };
}

const PADS: readonly Buffer[] = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(2), Buffer.alloc(3)];

/**
 * The buffers to write for one PDU: header [+ header digest] [+ data + pad [+ data digest]].
 * Data is never copied.
 */
export function frame(pdu: EncodedPdu, headerDigest: boolean, dataDigest: boolean): Buffer[] {
  const out: Buffer[] = [pdu.header];
  if (headerDigest) out.push(digestOf(pdu.header));
  const data = pdu.data;
  if (data !== undefined && data.length > 0) {
    out.push(data);
    const pad = PADS[(4 - (data.length & 3)) & 3]!;
    if (pad.length > 0) out.push(pad);
    if (dataDigest) out.push(digestOf(data, pad));
  }
  return out;
}
