// A minimal iSCSI initiator for black-box tests: login without authentication,
// SCSI commands with immediate data and R2T, raw PDUs for fuzzing. It trusts
// nothing the target sends and reports what it got; it is not the code under test.
import { connect, type Socket } from 'node:net';

export const BHS = 48;

/** Target PDU opcodes (RFC 7143 11.1). */
export const TargetOp = {
  NOP_IN: 0x20, SCSI_RESPONSE: 0x21, TMF_RESPONSE: 0x22, LOGIN_RESPONSE: 0x23, TEXT_RESPONSE: 0x24,
  DATA_IN: 0x25, LOGOUT_RESPONSE: 0x26, R2T: 0x31, ASYNC: 0x32, REJECT: 0x3f,
} as const;

export interface RawPdu {
  readonly bhs: Buffer;
  readonly data: Buffer;
  readonly opcode: number;
  readonly itt: number;
}

export interface CommandResult {
  readonly status: number;
  readonly sense: Buffer;
  readonly data: Buffer;
  readonly residual: number;
  readonly underflow: boolean;
  readonly overflow: boolean;
}

export interface LoginOptions {
  readonly host: string;
  readonly port: number;
  readonly targetName: string;
  readonly initiatorName?: string;
  readonly isid?: Buffer;
  readonly keys?: Record<string, string>;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export function textKeys(keys: Record<string, string>): Buffer {
  return Buffer.from(Object.entries(keys).map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

export function parseTextKeys(data: Buffer): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of data.toString('utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** Frames target PDUs from a byte stream (no digests). */
class Framer {
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): RawPdu[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: RawPdu[] = [];
    for (;;) {
      if (this.#buf.length < BHS) break;
      const ahs = this.#buf[4]! * 4;
      const dlen = this.#buf.readUIntBE(5, 3);
      const total = BHS + ahs + pad4(dlen);
      if (this.#buf.length < total) break;
      const bhs = this.#buf.subarray(0, BHS);
      out.push({ bhs, data: this.#buf.subarray(BHS + ahs, BHS + ahs + dlen), opcode: bhs[0]! & 0x3f, itt: bhs.readUInt32BE(16) });
      this.#buf = this.#buf.subarray(total);
    }
    return out;
  }
}

export class Initiator {
  readonly socket: Socket;
  #framer = new Framer();
  #waiters = new Map<number, (p: RawPdu) => void>();
  #closed = false;
  #closeWaiters: (() => void)[] = [];
  #dataIn = new Map<number, Buffer[]>();
  /** PDUs no waiter claimed (Reject, Async, NOP-In pings), newest last. */
  readonly unsolicited: RawPdu[] = [];
  cmdSN = 1;
  expStatSN = 0;
  #itt = 1;
  maxRecv = 262144;
  firstBurst = 65536;
  immediateData = true;
  initialR2T = true;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      for (const p of this.#framer.push(c)) this.#route(p);
    });
    const onClose = (): void => {
      this.#closed = true;
      for (const w of this.#closeWaiters) w();
      this.#closeWaiters = [];
    };
    socket.on('close', onClose);
    socket.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  static async connect(host: string, port: number): Promise<Initiator> {
    const s = connect({ host, port, noDelay: true });
    await new Promise<void>((res, rej) => {
      s.once('connect', res);
      s.once('error', rej);
    });
    return new Initiator(s);
  }

  /** Connect and log in (AuthMethod=None) straight to full feature phase. */
  static async login(o: LoginOptions): Promise<Initiator> {
    const ini = await Initiator.connect(o.host, o.port);
    const operational: Record<string, string> = {
      HeaderDigest: 'None', DataDigest: 'None', MaxRecvDataSegmentLength: '262144',
      ImmediateData: 'Yes', InitialR2T: 'No', FirstBurstLength: '65536', MaxBurstLength: '262144',
      ErrorRecoveryLevel: '0',
    };
    const keys = {
      InitiatorName: o.initiatorName ?? 'iqn.2026-11.org.s3vtl:test-initiator',
      TargetName: o.targetName, SessionType: 'Normal', AuthMethod: 'None', ...operational, ...o.keys,
    };
    const rsp = await ini.loginStep(0, 3, true, keys, o.isid);
    const cls = rsp.bhs[36]!;
    if (cls !== 0) throw new Error(`login refused: class ${cls} detail ${rsp.bhs[37]}`);
    let got = parseTextKeys(rsp.data);
    if ((rsp.bhs[1]! & 0x03) !== 3) {
      // The target went to operational negotiation first (tgt answers NotUnderstood to
      // operational keys in the security stage): offer them again there, take its answers.
      const again = Object.fromEntries(Object.entries(keys).filter(([k]) => k in operational));
      const r2 = await ini.loginStep(1, 3, true, again, o.isid);
      if (r2.bhs[36] !== 0) throw new Error(`login refused at stage 1: class ${r2.bhs[36]}`);
      got = parseTextKeys(r2.data);
    }
    // RFC 7143 defaults for whatever the target did not answer with a value.
    const num = (k: string, dflt: number) => (got.has(k) && Number.isFinite(Number(got.get(k))) ? Number(got.get(k)) : dflt);
    ini.immediateData = (got.get('ImmediateData') ?? 'Yes') === 'Yes';
    ini.initialR2T = got.get('InitialR2T') !== 'No';
    ini.firstBurst = num('FirstBurstLength', 65536);
    ini.maxRecv = Math.min(262144, num('MaxRecvDataSegmentLength', 8192));
    return ini;
  }

  /** One Login Request; resolves with the Login Response. */
  loginStep(csg: number, nsg: number, transit: boolean, keys: Record<string, string>, isid?: Buffer): Promise<RawPdu> {
    const data = textKeys(keys);
    const bhs = Buffer.alloc(BHS);
    bhs[0] = 0x40 | 0x03;
    bhs[1] = (transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0);
    (isid ?? Buffer.from([0x80, 0x00, 0x00, 0x01, 0x00, 0x00])).copy(bhs, 8);
    const itt = this.#itt++;
    bhs.writeUInt32BE(itt, 16);
    bhs.writeUInt32BE(this.cmdSN, 24);
    bhs.writeUInt32BE(this.expStatSN, 28);
    const p = this.expect(itt);
    this.sendPdu(bhs, data);
    return p.then((r) => {
      this.expStatSN = r.bhs.readUInt32BE(24) + 1;
      return r;
    });
  }

  /** Send a BHS (48 bytes, length fields set here) and data segment. */
  sendPdu(bhs: Buffer, data: Buffer = Buffer.alloc(0)): void {
    bhs[4] = 0;
    bhs.writeUIntBE(data.length, 5, 3);
    const padded = pad4(data.length);
    this.socket.write(padded === data.length ? Buffer.concat([bhs, data]) : Buffer.concat([bhs, data, Buffer.alloc(padded - data.length)]));
  }

  /** Send arbitrary bytes (fuzzing). */
  sendRaw(bytes: Buffer): void {
    if (!this.#closed) this.socket.write(bytes);
  }

  nextItt(): number {
    const i = this.#itt;
    this.#itt = (this.#itt + 1) >>> 0 || 1;
    return i;
  }

  expect(itt: number): Promise<RawPdu> {
    return new Promise((res, rej) => {
      if (this.#closed) return rej(new ConnectionClosed());
      this.#waiters.set(itt, res);
      this.#closeWaiters.push(() => {
        if (this.#waiters.delete(itt)) rej(new ConnectionClosed());
      });
    });
  }

  waitClosed(): Promise<void> {
    return this.#closed ? Promise.resolve() : new Promise((res) => this.#closeWaiters.push(res));
  }

  #route(p: RawPdu): void {
    if (p.opcode === TargetOp.DATA_IN) {
      const parts = this.#dataIn.get(p.itt) ?? [];
      parts.push(Buffer.from(p.data));
      this.#dataIn.set(p.itt, parts);
      if ((p.bhs[1]! & 0x01) === 0) return; // no status yet
    }
    if (p.opcode === TargetOp.R2T) {
      const w = this.#waiters.get(p.itt);
      if (w) w(p); // the command's R2T handler re-arms itself
      return;
    }
    if (p.opcode === TargetOp.NOP_IN && p.bhs.readUInt32BE(16) === 0xffffffff) {
      if (p.bhs.readUInt32BE(20) !== 0xffffffff) this.nopOut(p.bhs.readUInt32BE(20), p.bhs.subarray(8, 16));
      return;
    }
    if (p.opcode !== TargetOp.R2T && p.opcode !== TargetOp.ASYNC && p.opcode !== TargetOp.REJECT) {
      const stat = p.bhs.readUInt32BE(24);
      if (p.opcode !== TargetOp.DATA_IN || (p.bhs[1]! & 0x01)) this.expStatSN = (stat + 1) >>> 0;
    }
    // A Reject carries the rejected header: it ends the command whose ITT that header names.
    const rejected = p.opcode === TargetOp.REJECT && p.data.length >= BHS ? this.#waiters.get(p.data.readUInt32BE(16)) : undefined;
    if (rejected) {
      this.#waiters.delete(p.data.readUInt32BE(16));
      this.unsolicited.push(p);
      rejected(p);
      return;
    }
    const w = this.#waiters.get(p.itt);
    if (w && p.opcode !== TargetOp.REJECT && p.opcode !== TargetOp.ASYNC) {
      this.#waiters.delete(p.itt);
      w(p);
    } else {
      this.unsolicited.push(p);
      if (this.unsolicited.length > 1000) this.unsolicited.shift();
    }
  }

  nopOut(ttt: number, lun: Buffer): void {
    const b = Buffer.alloc(BHS);
    b[0] = 0x40; b[1] = 0x80;
    lun.copy(b, 8);
    b.writeUInt32BE(0xffffffff, 16);
    b.writeUInt32BE(ttt, 20);
    b.writeUInt32BE(this.cmdSN, 24);
    b.writeUInt32BE(this.expStatSN, 28);
    this.sendPdu(b);
  }

  /** Ping: NOP-Out with a fresh ITT; resolves with the NOP-In. */
  ping(): Promise<RawPdu> {
    const b = Buffer.alloc(BHS);
    b[0] = 0x40; b[1] = 0x80;
    const itt = this.nextItt();
    b.writeUInt32BE(itt, 16);
    b.writeUInt32BE(0xffffffff, 20);
    b.writeUInt32BE(this.cmdSN, 24);
    b.writeUInt32BE(this.expStatSN, 28);
    const p = this.expect(itt);
    this.sendPdu(b);
    return p;
  }

  /** One SCSI command; `dataOut` for writes, `readLength` for reads. */
  async command(lun: number, cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number; edtl?: number } = {}): Promise<CommandResult> {
    const out = opts.dataOut ?? Buffer.alloc(0);
    const edtl = opts.edtl ?? (opts.dataOut ? out.length : opts.readLength ?? 0);
    const b = Buffer.alloc(BHS);
    b[0] = 0x01;
    b[1] = 0x80 | (opts.readLength !== undefined ? 0x40 : 0) | (opts.dataOut ? 0x20 : 0) | 0x01;
    b.writeUInt16BE(lun < 256 ? lun : 0x4000 | lun, 8);
    const itt = this.nextItt();
    b.writeUInt32BE(itt, 16);
    b.writeUInt32BE(edtl, 20);
    b.writeUInt32BE(this.cmdSN, 24);
    this.cmdSN = (this.cmdSN + 1) >>> 0;
    b.writeUInt32BE(this.expStatSN, 28);
    cdb.copy(b, 32, 0, Math.min(16, cdb.length));
    const immediate = this.immediateData ? out.subarray(0, Math.min(this.firstBurst, this.maxRecv, edtl)) : Buffer.alloc(0);
    let sent = immediate.length;
    const done = new Promise<RawPdu>((res, rej) => {
      const onPdu = (p: RawPdu): void => {
        if (p.opcode === TargetOp.R2T) {
          this.#waiters.set(itt, onPdu);
          this.#answerR2T(p, out, lun);
          return;
        }
        if (p.opcode === TargetOp.REJECT) return rej(new CommandRejected(p.bhs[2]!));
        res(p);
      };
      if (this.#closed) return rej(new ConnectionClosed());
      this.#waiters.set(itt, onPdu);
      this.#closeWaiters.push(() => {
        if (this.#waiters.delete(itt)) rej(new ConnectionClosed());
      });
    });
    this.sendPdu(b, immediate);
    if (!this.initialR2T && sent < Math.min(this.firstBurst, out.length)) {
      const end = Math.min(this.firstBurst, out.length);
      this.#dataOut(itt, 0xffffffff, lun, out, sent, end - sent);
      sent = end;
    }
    const rsp = await done;
    const data = Buffer.concat(this.#dataIn.get(itt) ?? []);
    this.#dataIn.delete(itt);
    const flags = rsp.bhs[1]!;
    const status = rsp.opcode === TargetOp.DATA_IN ? rsp.bhs[3]! : rsp.bhs[3]!;
    const senseLen = rsp.opcode === TargetOp.SCSI_RESPONSE && rsp.data.length >= 2 ? rsp.data.readUInt16BE(0) : 0;
    return {
      status,
      sense: Buffer.from(rsp.data.subarray(2, 2 + senseLen)),
      data,
      residual: rsp.bhs.readUInt32BE(44),
      underflow: (flags & 0x02) !== 0,
      overflow: (flags & 0x04) !== 0,
    };
  }

  #answerR2T(r2t: RawPdu, out: Buffer, lun: number): void {
    const ttt = r2t.bhs.readUInt32BE(20);
    const offset = r2t.bhs.readUInt32BE(40);
    const len = r2t.bhs.readUInt32BE(44);
    this.#dataOut(r2t.itt, ttt, lun, out, offset, len);
  }

  #dataOut(itt: number, ttt: number, lun: number, out: Buffer, offset: number, len: number): void {
    let dataSN = 0;
    for (let at = offset; at < offset + len; at += this.maxRecv) {
      const n = Math.min(this.maxRecv, offset + len - at);
      const b = Buffer.alloc(BHS);
      b[0] = 0x05;
      b[1] = at + n >= offset + len ? 0x80 : 0;
      b.writeUInt16BE(lun < 256 ? lun : 0x4000 | lun, 8);
      b.writeUInt32BE(itt, 16);
      b.writeUInt32BE(ttt, 20);
      b.writeUInt32BE(this.expStatSN, 28);
      b.writeUInt32BE(dataSN++, 36);
      b.writeUInt32BE(at, 40);
      this.sendPdu(b, out.subarray(at, at + n));
    }
  }

  /** A task management function (RFC 7143 11.5), e.g. 5 = LOGICAL UNIT RESET; resolves with the RESPONSE byte. */
  async taskManagement(fn: number, lun: number): Promise<number> {
    const b = Buffer.alloc(BHS);
    b[0] = 0x40 | 0x02; b[1] = 0x80 | fn;
    b.writeUInt16BE(lun < 256 ? lun : 0x4000 | lun, 8);
    const itt = this.nextItt();
    b.writeUInt32BE(itt, 16);
    b.writeUInt32BE(0xffffffff, 20);
    b.writeUInt32BE(this.cmdSN, 24);
    b.writeUInt32BE(this.expStatSN, 28);
    const p = this.expect(itt);
    this.sendPdu(b);
    return (await p).bhs[2]!;
  }

  async logout(): Promise<void> {
    const b = Buffer.alloc(BHS);
    b[0] = 0x40 | 0x06; b[1] = 0x80;
    const itt = this.nextItt();
    b.writeUInt32BE(itt, 16);
    b.writeUInt32BE(this.cmdSN, 24);
    b.writeUInt32BE(this.expStatSN, 28);
    const p = this.expect(itt);
    this.sendPdu(b);
    await p;
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class ConnectionClosed extends Error {
  constructor() {
    super('connection closed by the target');
    this.name = 'ConnectionClosed';
  }
}

/** The target answered a command with a Reject PDU (RFC 7143 11.17); `reason` is its REASON code. */
export class CommandRejected extends Error {
  readonly reason: number;
  constructor(reason: number) {
    super(`command rejected, reason ${reason.toString(16)}h`);
    this.name = 'CommandRejected';
    this.reason = reason;
  }
}

/** Decode sense key/ASC/ASCQ from fixed (70h/71h) or descriptor (72h/73h) sense. */
export function senseTriple(sense: Buffer): { key: number; asc: number; ascq: number } | undefined {
  const rc = (sense[0] ?? 0) & 0x7f;
  if (rc === 0x70 || rc === 0x71) return sense.length >= 14 ? { key: sense[2]! & 0x0f, asc: sense[12]!, ascq: sense[13]! } : undefined;
  if (rc === 0x72 || rc === 0x73) return sense.length >= 4 ? { key: sense[1]! & 0x0f, asc: sense[2]!, ascq: sense[3]! } : undefined;
  return undefined;
}
