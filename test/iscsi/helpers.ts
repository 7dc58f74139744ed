// Builders for initiator PDUs as wire bytes (semantic values in, bytes out),
// and a tiny in-test initiator over a socket. Not a test file.
import { connect, type Socket } from 'node:net';
import { crc32c } from '../../src/iscsi/crc32c.ts';

export interface BhsFields {
  opcode: number;
  immediate?: boolean;
  flags?: number;
  b2?: number;
  b3?: number;
  ahs?: Buffer;
  lun?: Buffer;
  itt?: number;
  /** Bytes 20..47 written at their BHS offsets. */
  u32?: Record<number, number>;
  u16?: Record<number, number>;
  bytes?: Record<number, Buffer>;
  data?: Buffer;
}

export function pdu(f: BhsFields, digests: { header?: boolean; data?: boolean } = {}): Buffer {
  const h = Buffer.alloc(48);
  h[0] = f.opcode | (f.immediate ? 0x40 : 0);
  h[1] = f.flags ?? 0;
  h[2] = f.b2 ?? 0;
  h[3] = f.b3 ?? 0;
  const ahs = f.ahs ?? Buffer.alloc(0);
  h[4] = ahs.length / 4;
  const data = f.data ?? Buffer.alloc(0);
  h.writeUIntBE(data.length, 5, 3);
  (f.lun ?? Buffer.alloc(8)).copy(h, 8);
  h.writeUInt32BE(f.itt ?? 0, 16);
  for (const [o, v] of Object.entries(f.u32 ?? {})) h.writeUInt32BE(v >>> 0, Number(o));
  for (const [o, v] of Object.entries(f.u16 ?? {})) h.writeUInt16BE(v, Number(o));
  for (const [o, v] of Object.entries(f.bytes ?? {})) v.copy(h, Number(o));
  const parts: Buffer[] = [h, ahs];
  if (digests.header) {
    const d = Buffer.alloc(4);
    d.writeUInt32LE(crc32c(Buffer.concat([h, ahs])));
    parts.push(d);
  }
  if (data.length > 0) {
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    parts.push(padded);
    if (digests.data) {
      const d = Buffer.alloc(4);
      d.writeUInt32LE(crc32c(padded));
      parts.push(d);
    }
  }
  return Buffer.concat(parts);
}

export const text = (pairs: Record<string, string> | [string, string][]): Buffer =>
  Buffer.from((Array.isArray(pairs) ? pairs : Object.entries(pairs)).map(([k, v]) => `${k}=${v}\0`).join(''));

export function parseTextData(b: Buffer): Map<string, string> {
  const m = new Map<string, string>();
  for (const item of b.toString().split('\0')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    m.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return m;
}

export const ISID = Buffer.from('400001370000', 'hex');

export interface LoginFields {
  transit?: boolean;
  csg: number;
  nsg: number;
  tsih?: number;
  itt?: number;
  cid?: number;
  cmdSN?: number;
  isid?: Buffer;
  data: Buffer;
  cont?: boolean;
}

export function loginPdu(f: LoginFields): Buffer {
  return pdu({
    opcode: 0x03,
    immediate: true,
    flags: (f.transit ? 0x80 : 0) | (f.cont ? 0x40 : 0) | (f.csg << 2) | f.nsg,
    lun: Buffer.concat([f.isid ?? ISID, Buffer.from([(f.tsih ?? 0) >> 8, (f.tsih ?? 0) & 0xff])]),
    itt: f.itt ?? 1,
    u16: { 20: f.cid ?? 0 },
    u32: { 24: f.cmdSN ?? 1 },
    data: f.data,
  });
}

export interface ScsiCmdFields {
  itt: number;
  cmdSN: number;
  cdb: Buffer;
  read?: boolean;
  write?: boolean;
  final?: boolean;
  edtl: number;
  lun?: number;
  data?: Buffer;
  immediate?: boolean;
  attr?: number;
}

export function scsiCmd(f: ScsiCmdFields, digests: { header?: boolean; data?: boolean } = {}): Buffer {
  const cdb = Buffer.alloc(16);
  f.cdb.copy(cdb);
  const lun = Buffer.alloc(8);
  lun[1] = f.lun ?? 0;
  return pdu(
    {
      opcode: 0x01,
      immediate: f.immediate,
      flags: ((f.final ?? true) ? 0x80 : 0) | (f.read ? 0x40 : 0) | (f.write ? 0x20 : 0) | (f.attr ?? 1),
      lun,
      itt: f.itt,
      u32: { 20: f.edtl, 24: f.cmdSN, 28: 0 },
      bytes: { 32: cdb },
      data: f.data,
    },
    digests,
  );
}

export function dataOut(
  f: { itt: number; ttt: number; dataSN: number; offset: number; final: boolean; data: Buffer },
  digests: { header?: boolean; data?: boolean } = {},
): Buffer {
  return pdu(
    {
      opcode: 0x05,
      flags: f.final ? 0x80 : 0,
      itt: f.itt,
      u32: { 20: f.ttt, 36: f.dataSN, 40: f.offset },
      data: f.data,
    },
    digests,
  );
}

/** A received target PDU, minimally decoded. */
export interface InPdu {
  opcode: number;
  flags: number;
  bhs: Buffer;
  data: Buffer;
  itt: number;
  statSN: number;
}

/** A minimal initiator: frames what the target sends. */
export class TestInitiator {
  readonly socket: Socket;
  headerDigest = false;
  dataDigest = false;
  #buf = Buffer.alloc(0);
  #queue: InPdu[] = [];
  #waiters: ((p: InPdu | undefined) => void)[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.#drain();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<TestInitiator> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new TestInitiator(s)));
      s.once('error', reject);
    });
  }

  #drain(): void {
    for (;;) {
      if (this.#buf.length < 48) return;
      const ahs = this.#buf[4]! * 4;
      const dl = this.#buf.readUIntBE(5, 3);
      const hd = this.headerDigest ? 4 : 0;
      const padded = (dl + 3) & ~3;
      const dd = this.dataDigest && dl > 0 ? 4 : 0;
      const total = 48 + ahs + hd + padded + dd;
      if (this.#buf.length < total) return;
      const bhs = this.#buf.subarray(0, 48);
      if (hd) {
        const want = crc32c(this.#buf.subarray(0, 48 + ahs));
        if (this.#buf.readUInt32LE(48 + ahs) !== want) throw new Error('bad header digest from target');
      }
      const start = 48 + ahs + hd;
      if (dd) {
        const want = crc32c(this.#buf.subarray(start, start + padded));
        if (this.#buf.readUInt32LE(start + padded) !== want) throw new Error('bad data digest from target');
      }
      const p: InPdu = {
        opcode: bhs[0]! & 0x3f,
        flags: bhs[1]!,
        bhs: Buffer.from(bhs),
        data: Buffer.from(this.#buf.subarray(start, start + dl)),
        itt: bhs.readUInt32BE(16),
        statSN: bhs.readUInt32BE(24),
      };
      this.#buf = this.#buf.subarray(total);
      const w = this.#waiters.shift();
      if (w) w(p);
      else this.#queue.push(p);
    }
  }

  send(b: Buffer): void {
    this.socket.write(b);
  }

  /** The next PDU, or undefined when the connection closed or `ms` passed. */
  next(ms = 3000): Promise<InPdu | undefined> {
    const q = this.#queue.shift();
    if (q) return Promise.resolve(q);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(undefined);
      }, ms);
      const w = (p: InPdu | undefined): void => {
        clearTimeout(t);
        resolve(p);
      };
      this.#waiters.push(w);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
