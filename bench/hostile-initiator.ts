// A hostile initiator over a raw socket: it logs in with the largest lengths
// the target allows, fills its CmdSN window with WRITEs announcing 64 MiB,
// adds immediate WRITEs, and answers every R2T except each command's first,
// so no command ever completes. As a reader it sends READs of 64 MiB instead
// (the window and the immediate ones) and then never reads its socket again.
// What it makes the target hold is what bench/hostile.ts measures.
import { connect, type Socket } from 'node:net';

const BHS = 48;
const pad4 = (n: number): number => (n + 3) & ~3;

export interface HostileOptions {
  readonly port: number;
  readonly targetName: string;
  readonly initiatorName: string;
  /** Announced length of each WRITE (default 64 MiB). */
  readonly length?: number;
  /** Immediate commands sent beside the windowed ones (default 400). */
  readonly immediate?: number;
  /** 'writer' (the default) or 'reader': READ(16)s from LBA 0, the socket never read after login. */
  readonly mode?: 'writer' | 'reader';
}

export interface HostileStats {
  commands: number;
  immediate: number;
  r2ts: number;
  bytesSent: number;
  rejects: number;
  responses: number;
  closed: boolean;
}

function bhs(opcode: number, flags: number, itt: number, fill: (b: Buffer) => void, dataLength = 0): Buffer {
  const b = Buffer.alloc(BHS);
  b[0] = opcode;
  b[1] = flags;
  b.writeUIntBE(dataLength, 5, 3);
  b.writeUInt32BE(itt, 16);
  fill(b);
  return b;
}

function text(keys: Record<string, string>): Buffer {
  return Buffer.from(Object.entries(keys).map(([k, v]) => `${k}=${v}\0`).join(''));
}

export class HostileInitiator {
  readonly stats: HostileStats = { commands: 0, immediate: 0, r2ts: 0, bytesSent: 0, rejects: 0, responses: 0, closed: false };
  readonly #socket: Socket;
  readonly #o: Required<HostileOptions>;
  #buf: Buffer = Buffer.alloc(0);
  #cmdSN = 1;
  #maxCmdSN = 1;
  #itt = 1;
  #loggedIn: (() => void) | undefined;
  readonly #zeros = Buffer.alloc(256 * 1024);

  private constructor(socket: Socket, o: Required<HostileOptions>) {
    this.#socket = socket;
    this.#o = o;
    socket.on('data', (c: Buffer) => this.#onData(c));
    socket.on('close', () => (this.stats.closed = true));
    socket.on('error', () => {});
  }

  static async start(options: HostileOptions): Promise<HostileInitiator> {
    const o = { length: 64 * 1024 * 1024, immediate: 400, mode: 'writer' as const, ...options };
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: o.port }, () => resolve(s));
      s.once('error', reject);
    });
    const h = new HostileInitiator(socket, o);
    await h.#login();
    h.#flood();
    return h;
  }

  stop(): void {
    this.#socket.destroy();
  }

  #login(): Promise<void> {
    const data = text({
      InitiatorName: this.#o.initiatorName, TargetName: this.#o.targetName, SessionType: 'Normal',
      HeaderDigest: 'None', DataDigest: 'None', MaxRecvDataSegmentLength: this.#o.mode === 'reader' ? '16777215' : '262144', MaxBurstLength: '16776192',
      FirstBurstLength: '16776192', InitialR2T: 'Yes', ImmediateData: 'No', MaxOutstandingR2T: '65535',
    });
    const isid = Buffer.from([0x80, 0, 0, 0x0b, 0xad, Math.floor(Math.random() * 256)]);
    const login = bhs(0x43, 0x87, 0, (b) => {
      isid.copy(b, 8);
      b.writeUInt32BE(1, 24);
    }, data.length);
    return new Promise((resolve) => {
      this.#loggedIn = resolve;
      this.#socket.write(Buffer.concat([login, data, Buffer.alloc(pad4(data.length) - data.length)]));
    });
  }

  #command(itt: number, cmdSN: number, immediate: boolean): Buffer {
    return this.#o.mode === 'reader' ? this.#read(itt, cmdSN, immediate) : this.#write(itt, cmdSN, immediate);
  }

  #read(itt: number, cmdSN: number, immediate: boolean): Buffer {
    return bhs(0x01 | (immediate ? 0x40 : 0), 0xc1, itt, (b) => {
      b.writeUInt32BE(this.#o.length, 20);
      b.writeUInt32BE(cmdSN, 24);
      b[32] = 0x88; // READ(16) of the length in 512-byte blocks from LBA 0
      b.writeUInt32BE(this.#o.length / 512, 42);
    });
  }

  #write(itt: number, cmdSN: number, immediate: boolean): Buffer {
    return bhs(0x01 | (immediate ? 0x40 : 0), 0xa1, itt, (b) => {
      b.writeUInt32BE(this.#o.length, 20);
      b.writeUInt32BE(cmdSN, 24);
      b[32] = 0x2a; // WRITE(10) of the announced length in 512-byte blocks
      b.writeUInt16BE(Math.min(0xffff, this.#o.length / 512), 39);
    });
  }

  /** Every command the window allows, plus the immediate ones. */
  #flood(): void {
    const out: Buffer[] = [];
    while (((this.#maxCmdSN - this.#cmdSN) | 0) >= 0) {
      out.push(this.#command(this.#itt++, this.#cmdSN++, false));
      this.stats.commands++;
    }
    for (; this.stats.immediate < this.#o.immediate; this.stats.immediate++) out.push(this.#command(this.#itt++, this.#cmdSN, true));
    if (out.length > 0) this.#socket.write(Buffer.concat(out));
    if (this.#o.mode === 'reader') this.#socket.pause(); // and never read again
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= BHS) {
      const total = BHS + this.#buf[4]! * 4 + pad4(this.#buf.readUIntBE(5, 3));
      if (this.#buf.length < total) return;
      const h = Buffer.from(this.#buf.subarray(0, BHS));
      this.#buf = this.#buf.subarray(total);
      this.#onPdu(h);
    }
  }

  #onPdu(h: Buffer): void {
    const opcode = h[0]! & 0x3f;
    const max = h.readUInt32BE(32);
    if (opcode === 0x23) {
      if (h.readUInt16BE(36) !== 0) throw new Error(`hostile login refused: 0x${h.readUInt16BE(36).toString(16)}`);
      this.#cmdSN = h.readUInt32BE(28);
      this.#maxCmdSN = max;
      this.#loggedIn?.();
      return;
    }
    if (opcode === 0x3f) this.stats.rejects++;
    if (opcode === 0x21) this.stats.responses++;
    if (opcode === 0x20 && h.readUInt32BE(16) === 0xffffffff) {
      // Answer the target's ping, so it is not the keep-alive that ends the session.
      this.#socket.write(bhs(0x40, 0x80, 0xffffffff, (b) => {
        b.writeUInt32BE(h.readUInt32BE(20), 20);
        b.writeUInt32BE(this.#cmdSN, 24);
      }));
    }
    if (opcode !== 0x3f && ((max - this.#maxCmdSN) | 0) > 0) {
      this.#maxCmdSN = max;
      this.#flood();
    }
    if (opcode === 0x31) this.#onR2T(h);
  }

  #onR2T(h: Buffer): void {
    this.stats.r2ts++;
    const itt = h.readUInt32BE(16);
    const ttt = h.readUInt32BE(20);
    const r2tSN = h.readUInt32BE(36);
    const offset = h.readUInt32BE(40);
    const length = h.readUInt32BE(44);
    if (r2tSN === 0) return; // the first burst stays unanswered: the command never completes
    const seg = this.#zeros.length;
    for (let done = 0, sn = 0; done < length; done += seg, sn++) {
      const n = Math.min(seg, length - done);
      const hdr = bhs(0x05, done + n === length ? 0x80 : 0, itt, (b) => {
        b.writeUInt32BE(ttt, 20);
        b.writeUInt32BE(sn, 36);
        b.writeUInt32BE(offset + done, 40);
      }, n);
      this.#socket.write(hdr);
      this.#socket.write(n === seg ? this.#zeros : this.#zeros.subarray(0, n));
      this.stats.bytesSent += n;
    }
  }
}
