// Raw-CDB tape library I/O through the TypeScript initiator: MOVE MEDIUM and
// READ ELEMENT STATUS on the changer (SMC-3), WRITE(6)/READ(6)/WRITE
// FILEMARKS(6)/REWIND on a drive (SSC-4), variable-block mode.
import { createHash } from 'node:crypto';
import { type CommandResult, Initiator } from './initiator.ts';

export const GOOD = 0x00;
export const CHECK_CONDITION = 0x02;

export interface Sense { key: number; asc: number; ascq: number; fm: boolean; eom: boolean; ili: boolean; info: number }

export function sense(r: CommandResult): Sense | undefined {
  const b = r.sense;
  if (b.length < 14) return undefined;
  return { key: b[2]! & 0x0f, asc: b[12]!, ascq: b[13]!, fm: (b[2]! & 0x80) !== 0, eom: (b[2]! & 0x40) !== 0, ili: (b[2]! & 0x20) !== 0, info: b.readInt32BE(3) };
}

const describe = (what: string, r: CommandResult): string => {
  const s = sense(r);
  return `${what}: status ${r.status}${s ? ` sense ${s.key.toString(16)}/${s.asc.toString(16)}/${s.ascq.toString(16)}` : ''}`;
};

/** Deterministic block content: `length` bytes from a seed string. */
export function pattern(seed: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < length; at += block.length) {
    block.copy(out, at, 0, Math.min(block.length, length - at));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export type TapeRecord = { kind: 'block'; data: Buffer } | { kind: 'filemark' };
export type ReadResult = TapeRecord | { kind: 'eod' } | { kind: 'error'; why: string };

export class TapeLibraryClient {
  readonly ini: Initiator;

  private constructor(ini: Initiator) {
    this.ini = ini;
  }

  static async login(port: number, iqn: string, initiatorName?: string): Promise<TapeLibraryClient> {
    const ini = await Initiator.login({ host: '127.0.0.1', port, targetName: iqn, ...(initiatorName !== undefined && { initiatorName }) });
    return new TapeLibraryClient(ini);
  }

  /** A command, retried while it reports UNIT ATTENTION or NOT READY/becoming ready. */
  async cmd(lun: number, cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number } = {}): Promise<CommandResult> {
    for (let i = 0; ; i++) {
      const r = await this.ini.command(lun, cdb, opts);
      const s = sense(r);
      const retry = r.status === CHECK_CONDITION && s !== undefined && (s.key === 0x6 || (s.key === 0x2 && s.asc === 0x04 && s.ascq === 0x01));
      if (!retry || i >= 50) return r;
      if (s.key === 0x2) await new Promise((res) => setTimeout(res, 100));
    }
  }

  async ok(what: string, lun: number, cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number } = {}): Promise<CommandResult> {
    const r = await this.cmd(lun, cdb, opts);
    if (r.status !== GOOD) throw new Error(describe(what, r));
    return r;
  }

  /** MOVE MEDIUM (SMC-3 6.6): transport 0 = the default transport. */
  moveMedium(from: number, to: number): Promise<CommandResult> {
    const cdb = Buffer.alloc(12);
    cdb[0] = 0xa5;
    cdb.writeUInt16BE(from, 4);
    cdb.writeUInt16BE(to, 6);
    return this.ok(`MOVE MEDIUM ${from} -> ${to}`, 0, cdb);
  }

  /** READ ELEMENT STATUS with VOLTAG: address -> { barcode, source } for every full element. */
  async elementStatus(): Promise<Map<number, { barcode: string; source: number | undefined }>> {
    const cdb = Buffer.alloc(12);
    cdb[0] = 0xb8;
    cdb[1] = 0x10; // VOLTAG, all element types
    cdb.writeUInt16BE(0, 2);
    cdb.writeUInt16BE(0xffff, 4);
    cdb.writeUIntBE(65535, 7, 3);
    const r = await this.ok('READ ELEMENT STATUS', 0, cdb, { readLength: 65535 });
    const d = r.data;
    const out = new Map<number, { barcode: string; source: number | undefined }>();
    let p = 8;
    const end = Math.min(d.length, 8 + d.readUIntBE(5, 3));
    while (p + 8 <= end) {
      const pvoltag = (d[p + 1]! & 0x80) !== 0;
      const descLen = d.readUInt16BE(p + 2);
      const bytes = d.readUIntBE(p + 5, 3);
      for (let q = p + 8; q + descLen <= p + 8 + bytes; q += descLen) {
        const address = d.readUInt16BE(q);
        const full = (d[q + 2]! & 0x01) !== 0;
        if (!full) continue;
        const svalid = (d[q + 9]! & 0x80) !== 0;
        const barcode = pvoltag ? d.subarray(q + 12, q + 12 + 32).toString('ascii').trim() : '?';
        out.set(address, { barcode, source: svalid ? d.readUInt16BE(q + 10) : undefined });
      }
      p += 8 + bytes;
    }
    return out;
  }

  testUnitReady(lun: number): Promise<CommandResult> {
    return this.cmd(lun, Buffer.alloc(6));
  }

  rewind(lun: number): Promise<CommandResult> {
    return this.ok('REWIND', lun, Buffer.from([0x01, 0, 0, 0, 0, 0]));
  }

  /** WRITE(6), variable block: one block. */
  write(lun: number, data: Buffer): Promise<CommandResult> {
    const cdb = Buffer.from([0x0a, 0, 0, 0, 0, 0]);
    cdb.writeUIntBE(data.length, 2, 3);
    return this.cmd(lun, cdb, { dataOut: data });
  }

  /** WRITE FILEMARKS(6); IMMED=0 makes it a sync point. */
  writeFilemarks(lun: number, count: number, immed = false): Promise<CommandResult> {
    const cdb = Buffer.from([0x10, immed ? 1 : 0, 0, 0, 0, 0]);
    cdb.writeUIntBE(count, 2, 3);
    return this.cmd(lun, cdb);
  }

  /** READ(6), variable block, SILI: one record. */
  async read(lun: number, maxLength: number): Promise<ReadResult> {
    const cdb = Buffer.from([0x08, 0x02, 0, 0, 0, 0]);
    cdb.writeUIntBE(maxLength, 2, 3);
    const r = await this.cmd(lun, cdb, { readLength: maxLength });
    if (r.status === GOOD) return { kind: 'block', data: r.data };
    const s = sense(r);
    if (s?.fm === true) return { kind: 'filemark' };
    if (s?.key === 0x8 && s.asc === 0x00 && s.ascq === 0x05) return { kind: 'eod' };
    if (s?.key === 0x0 && s.ili) return { kind: 'block', data: r.data }; // shorter block than asked (SILI not honoured)
    return { kind: 'error', why: describe('READ(6)', r) };
  }

  async logout(): Promise<void> {
    await this.ini.logout().catch(() => undefined);
    this.ini.socket.destroy();
  }
}
