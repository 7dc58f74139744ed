// The well-behaved side of the library fuzzer: a session that puts the library
// into a medium state between fuzz phases (no cartridge, loaded at BOP, at EOD,
// write-protected), moves a cartridge to and fro during a phase, and checks
// afterwards that the drives and the changer still do their job. Every command
// it sends has a deadline; a deadline passed is an error, never a retry.
import { decodeSense, type DecodedSense } from './fuzz-common.ts';
import { type CommandResult, Initiator } from './initiator.ts';

export interface ElementInfo {
  readonly address: number;
  /** 1 transport, 2 storage, 3 import/export, 4 data transfer (SMC-3 table 6). */
  readonly type: number;
  readonly barcode: string | undefined;
  /** Data transfer elements: the drive's LUN (LU VALID). */
  readonly lun: number | undefined;
}

export class StageError extends Error {}

export class LibraryStage {
  readonly ini: Initiator;
  readonly #timeoutMs: number;
  readonly changerLun: number;

  private constructor(ini: Initiator, timeoutMs: number, changerLun: number) {
    this.ini = ini;
    this.#timeoutMs = timeoutMs;
    this.changerLun = changerLun;
  }

  static async open(host: string, port: number, iqn: string, isid: number, timeoutMs: number, changerLun = 0): Promise<LibraryStage> {
    const ini = await Initiator.login({ host, port, targetName: iqn, isid: Buffer.from([0x80, 0, 0, 0x5a, (isid >> 8) & 0xff, isid & 0xff]) });
    return new LibraryStage(ini, timeoutMs, changerLun);
  }

  /** One command under the deadline, retried through unit attentions and "becoming ready". */
  async cmd(what: string, lun: number, cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number } = {}): Promise<CommandResult & { decoded?: DecodedSense }> {
    for (let attempt = 0; ; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new StageError(`${what}: no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs); });
      const r = await Promise.race([this.ini.command(lun, cdb, opts), deadline]).finally(() => clearTimeout(timer));
      if (r.status !== 0x02) return r;
      const s = decodeSense(r.sense);
      if (typeof s === 'string') throw new StageError(`${what}: ${s}`);
      const retry = s.key === 0x6 || (s.key === 0x2 && s.asc === 0x04 && s.ascq === 0x01);
      if (!retry || attempt >= 40) return { ...r, decoded: s };
      if (s.key === 0x2) await new Promise((res) => setTimeout(res, 50));
    }
  }

  async ok(what: string, lun: number, cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number } = {}): Promise<CommandResult> {
    const r = await this.cmd(what, lun, cdb, opts);
    if (r.status !== 0x00) throw new StageError(`${what} on LUN ${lun}: status ${r.status}${r.decoded ? ` sense ${r.decoded.key.toString(16)}/${r.decoded.asc.toString(16)}/${r.decoded.ascq.toString(16)}` : ''}`);
    return r;
  }

  /**
   * Undo what fuzzing left behind that a host would clear with a reset: LOGICAL UNIT RESET
   * (SPC-2 reservations, PREVENT) and the persistent reservations (register, then CLEAR).
   */
  async clear(luns: readonly number[]): Promise<void> {
    for (const lun of luns) {
      const rsp = await Promise.race([this.ini.taskManagement(5, lun), new Promise<number>((r) => setTimeout(() => r(-1), this.#timeoutMs))]);
      if (rsp !== 0) throw new StageError(`LOGICAL UNIT RESET of LUN ${lun}: response ${rsp}`);
      const key = Buffer.alloc(24);
      key.writeUInt32BE(0x5157, 12); // SERVICE ACTION RESERVATION KEY
      await this.ok('PR OUT REGISTER AND IGNORE EXISTING KEY', lun, Buffer.from([0x5f, 0x06, 0, 0, 0, 0, 0, 0, 24, 0]), { dataOut: key });
      const clear = Buffer.alloc(24);
      clear.writeUInt32BE(0x5157, 4); // RESERVATION KEY
      await this.ok('PR OUT CLEAR', lun, Buffer.from([0x5f, 0x03, 0, 0, 0, 0, 0, 0, 24, 0]), { dataOut: clear });
    }
  }

  /** READ ELEMENT STATUS, all types, VOLTAG: every element in address order. */
  async elements(): Promise<ElementInfo[]> {
    const r = await this.ok('READ ELEMENT STATUS', this.changerLun, Buffer.from([0xb8, 0x10, 0, 0, 0xff, 0xff, 0, 0x00, 0xff, 0xff, 0, 0]), { readLength: 0xffff });
    return parseElementStatus(r.data);
  }

  async move(from: number, to: number): Promise<CommandResult & { decoded?: DecodedSense }> {
    const c = Buffer.alloc(12);
    c[0] = 0xa5;
    c.writeUInt16BE(from, 4);
    c.writeUInt16BE(to, 6);
    return this.cmd(`MOVE MEDIUM ${from} -> ${to}`, this.changerLun, c);
  }

  async mustMove(from: number, to: number): Promise<void> {
    const r = await this.move(from, to);
    if (r.status !== 0) throw new StageError(`MOVE MEDIUM ${from} -> ${to}: status ${r.status} ${r.sense.toString('hex')}`);
  }

  /** Every drive back to a free storage slot. */
  async unloadAll(): Promise<void> {
    const els = await this.elements();
    const free = els.filter((e) => e.type === 2 && e.barcode === undefined);
    for (const d of els.filter((e) => e.type === 4 && e.barcode !== undefined)) {
      const slot = free.shift();
      if (slot === undefined) throw new StageError('no free storage slot to unload into');
      await this.mustMove(d.address, slot.address);
    }
  }

  /** Put `barcode` into the drive at LUN `lun` (emptying the drive first), wherever it is. */
  async load(barcode: string, lun: number): Promise<void> {
    let els = await this.elements();
    const drive = els.find((e) => e.type === 4 && e.lun === lun);
    if (drive === undefined) throw new StageError(`no data transfer element reports LUN ${lun}`);
    if (drive.barcode === barcode) return this.thread(lun);
    if (drive.barcode !== undefined) {
      const slot = els.find((e) => e.type === 2 && e.barcode === undefined);
      if (slot === undefined) throw new StageError('no free storage slot');
      await this.mustMove(drive.address, slot.address);
      els = await this.elements();
    }
    const at = els.find((e) => e.barcode === barcode);
    if (at === undefined) throw new StageError(`${barcode} is nowhere in the library`);
    await this.mustMove(at.address, drive.address);
    await this.thread(lun);
  }

  /** LOAD UNLOAD with LOAD: a cartridge left unloaded (held or ejected) in the drive is threaded again. */
  async thread(lun: number): Promise<void> {
    await this.ok('LOAD', lun, Buffer.from([0x1b, 0, 0, 0, 0x01, 0]));
  }

  /** MODE SELECT(6): variable-block mode, buffered mode 1, density unchanged. */
  async variableBlocks(lun: number): Promise<void> {
    const list = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    await this.ok('MODE SELECT(6) variable blocks', lun, Buffer.from([0x15, 0x10, 0, 0, list.length, 0]), { dataOut: list });
  }

  rewind(lun: number): Promise<CommandResult> {
    return this.ok('REWIND', lun, Buffer.from([0x01, 0, 0, 0, 0, 0]));
  }

  async write(lun: number, data: Buffer): Promise<void> {
    const c = Buffer.from([0x0a, 0, 0, 0, 0, 0]);
    c.writeUIntBE(data.length, 2, 3);
    await this.ok(`WRITE(6) ${data.length}`, lun, c, { dataOut: data });
  }

  async writeFilemarks(lun: number, n: number): Promise<void> {
    await this.ok('WRITE FILEMARKS(6)', lun, Buffer.from([0x10, 0, 0, 0, n, 0]));
  }

  /** READ(6) variable, SILI: a record's bytes, or 'filemark' / 'eod' / the sense that ended it. */
  async read(lun: number, max: number): Promise<Buffer | string> {
    const c = Buffer.from([0x08, 0x02, 0, 0, 0, 0]);
    c.writeUIntBE(max, 2, 3);
    const r = await this.cmd('READ(6)', lun, c, { readLength: max });
    if (r.status === 0) return r.data;
    const s = r.decoded;
    if (s === undefined) return `status ${r.status}`;
    const fm = s.format === 'fixed' ? (r.sense[2]! & 0x80) !== 0 : s.asc === 0x00 && s.ascq === 0x01;
    if (fm) return 'filemark';
    if (s.key === 0x8 && s.asc === 0x00 && s.ascq === 0x05) return 'eod';
    return `sense ${s.key.toString(16)}/${s.asc.toString(16)}/${s.ascq.toString(16)}`;
  }

  /** MODE SENSE(6) header: is the loaded cartridge write-protected (WP, SSC-4 8.3.3)? */
  async writeProtected(lun: number): Promise<boolean> {
    const r = await this.ok('MODE SENSE(6)', lun, Buffer.from([0x1a, 0x08, 0x3f, 0, 0xff, 0]), { readLength: 0xff });
    return (r.data[2]! & 0x80) !== 0;
  }

  async close(): Promise<void> {
    await Promise.race([this.ini.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    this.ini.destroy();
  }
}

/** Element status data (SMC-3 6.11.2): header, then pages of fixed-length descriptors. */
export function parseElementStatus(d: Buffer): ElementInfo[] {
  const out: ElementInfo[] = [];
  const end = Math.min(d.length, 8 + d.readUIntBE(5, 3));
  for (let p = 8; p + 8 <= end;) {
    const type = d[p]! & 0x0f;
    const pvoltag = (d[p + 1]! & 0x80) !== 0;
    const descLen = d.readUInt16BE(p + 2);
    const bytes = d.readUIntBE(p + 5, 3);
    for (let q = p + 8; descLen > 0 && q + descLen <= Math.min(end, p + 8 + bytes); q += descLen) {
      const full = (d[q + 2]! & 0x01) !== 0;
      out.push({
        address: d.readUInt16BE(q),
        type,
        barcode: full ? (pvoltag ? d.subarray(q + 12, q + 44).toString('ascii').trim() : '?') : undefined,
        lun: type === 4 && (d[q + 6]! & 0x10) !== 0 ? d[q + 6]! & 0x07 : undefined,
      });
    }
    p += 8 + bytes;
  }
  return out;
}
