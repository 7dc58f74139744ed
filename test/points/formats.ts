// Byte-for-byte builders of what Amanda and Bacula write at the start of a
// tape file, from their documented layouts (Amanda common-src/fileheader.c;
// Bacula src/stored/block.h, record.h, label.c), for the recognizers' tests.

/** Amanda's 32 KiB header block: the text, a form feed line, NUL padding. */
export function amandaBlock(firstLine: string, more: string[] = []): Buffer {
  const b = Buffer.alloc(32 * 1024);
  b.write([firstLine, ...more, '\f', ''].join('\n'), 'latin1');
  return b;
}

/** Bacula's serializer: big-endian integers, NUL-terminated strings. */
export class Ser {
  readonly #parts: Buffer[] = [];
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.#parts.push(b);
    return this;
  }
  i32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.#parts.push(b);
    return this;
  }
  u64(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    this.#parts.push(b);
    return this;
  }
  btime(d: Date): this {
    return this.u64(BigInt(d.getTime()) * 1000n);
  }
  f64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(n);
    this.#parts.push(b);
    return this;
  }
  str(s: string): this {
    this.#parts.push(Buffer.from(s + '\0', 'latin1'));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export const BACULA_ID = 'Bacula 1.0 immortal\n';

export function volumeLabel(o: { type?: -1 | -2; volume: string; pool: string; labelled: Date; host?: string }): { fileIndex: number; stream: number; data: Buffer } {
  const data = new Ser().str(BACULA_ID).u32(11).btime(o.labelled).btime(o.labelled).f64(0).f64(0)
    .str(o.volume).str('').str(o.pool).str('Backup').str('LTO-6').str(o.host ?? 'sd.example').str('bacula-sd')
    .str('Ver. 9.6.7 10 March 2020 ').str('Build Mar 10 2020 12:00:00 ').str('').u64(0n).u32(0).u32(0).u32(64512).bytes();
  return { fileIndex: o.type ?? -2, stream: 1, data };
}

export interface SessionOptions {
  readonly jobId: number;
  readonly jobName: string;
  readonly client: string;
  readonly level: string;
  readonly start: Date;
  readonly end?: { files: number; bytes: bigint; status: string };
}

export function sessionLabel(o: SessionOptions): { fileIndex: number; stream: number; data: Buffer } {
  const s = new Ser().str(BACULA_ID).u32(11).u32(o.jobId).btime(o.start).f64(0)
    .str('Default').str('Backup').str(o.jobName).str(o.client)
    .str(`${o.jobName}.2026-12-06_10.00.00_0${o.jobId}`).str('Full Set').u32('B'.charCodeAt(0)).u32(o.level.charCodeAt(0))
    .str('md5sumofthefileset');
  if (o.end !== undefined) {
    s.u32(o.end.files).u64(o.end.bytes).u32(1).u32(9).u32(0).u32(0).u32(0).u32(o.end.status.charCodeAt(0));
  }
  return { fileIndex: o.end === undefined ? -4 : -5, stream: o.jobId, data: s.bytes() };
}

/** A BB02 block of `size` bytes (Bacula pads to the block size) holding `records`. */
export function baculaBlock(records: { fileIndex: number; stream: number; data: Buffer }[], o: { number?: number; session?: number; size?: number } = {}): Buffer {
  const body = Buffer.concat(records.map((r) => Buffer.concat([new Ser().i32(r.fileIndex).i32(r.stream).u32(r.data.length).bytes(), r.data])));
  const length = 24 + body.length;
  const header = new Ser().u32(0).u32(length).u32(o.number ?? 1).bytes();
  const b = Buffer.alloc(Math.max(o.size ?? 64512, length));
  header.copy(b, 0);
  b.write('BB02', 12, 'latin1');
  b.writeUInt32BE(o.session ?? 1, 16);
  b.writeUInt32BE(1765000000, 20);
  body.copy(b, 24);
  return b;
}
