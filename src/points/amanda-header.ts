// Amanda's tape header: the first block of every file Amanda writes (32 KiB,
// text, NUL-padded). Its first line names the file (common-src/fileheader.c):
//
//   AMANDA: TAPESTART DATE <datestamp> TAPE <label>
//   AMANDA: FILE <datestamp> <host> <disk> lev <N> comp <suffix> program <prog> [crypt ...]
//   AMANDA: SPLIT_FILE <datestamp> <host> <disk> part <n>/<total> lev <N> comp <suffix> program <prog>
//   AMANDA: CONT_FILE <datestamp> <host> <disk> lev <N> comp <suffix> program <prog>
//   AMANDA: TAPEEND DATE <datestamp>
//
// <disk> is quoted ("...", with \" and \\ escapes) when it holds a space or a
// quote. `total` is -1 when the dump streamed without a holding disk. Tokens
// are separated by single spaces; "NETDUMP:" is the pre-2.x spelling.

export type AmandaFileType = 'TAPESTART' | 'FILE' | 'SPLIT_FILE' | 'CONT_FILE' | 'TAPEEND' | 'NOOP';

export interface AmandaHeader {
  readonly type: AmandaFileType;
  /** YYYYMMDDhhmmss (or YYYYMMDD), the run's datestamp in the server's local time. */
  readonly datestamp: string;
  /** TAPESTART: the tape label. */
  readonly label?: string;
  readonly host?: string;
  readonly disk?: string;
  readonly level?: number;
  readonly compression?: string;
  readonly program?: string;
  /** SPLIT_FILE: part number and total parts (-1: unknown). */
  readonly part?: number;
  readonly totalParts?: number;
}

const TYPES: readonly string[] = ['TAPESTART', 'FILE', 'SPLIT_FILE', 'CONT_FILE', 'TAPEEND', 'NOOP'];
/** The most of a header worth reading: the first line is far shorter than the 32 KiB block. */
const MAX_LINE = 4096;

/** The first line of a block: up to the first newline (outside quotes) or NUL. */
function firstLine(block: Buffer): string {
  const end = Math.min(block.length, MAX_LINE);
  let inQuotes = false;
  let i = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0) break;
    if (c === 0x0a && !inQuotes) break;
    if (c === 0x22) inQuotes = !inQuotes;
    else if (c === 0x5c && block[i + 1] === 0x22) i++;
  }
  return block.subarray(0, i).toString('latin1');
}

/** A cursor over the space-separated tokens of the first line; quoted tokens unquoted. */
class Tokens {
  #pos = 0;
  constructor(readonly line: string) {}

  next(): string | undefined {
    const s = this.line;
    while (this.#pos < s.length && s[this.#pos] === ' ') this.#pos++;
    if (this.#pos >= s.length) return undefined;
    if (s[this.#pos] === '"') return this.#quoted();
    const start = this.#pos;
    while (this.#pos < s.length && s[this.#pos] !== ' ') this.#pos++;
    return s.slice(start, this.#pos);
  }

  #quoted(): string | undefined {
    const s = this.line;
    let out = '';
    for (let i = this.#pos + 1; i < s.length; i++) {
      const c = s[i]!;
      if (c === '"') {
        this.#pos = i + 1;
        return out;
      }
      if (c === '\\' && i + 1 < s.length) {
        const n = s[++i]!;
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        continue;
      }
      out += c;
    }
    return undefined;
  }
}

const integer = (t: string | undefined): number | undefined => (t !== undefined && /^-?\d{1,9}$/.test(t) ? Number(t) : undefined);

/** Parse a block as an Amanda header; undefined when it is not one (never throws). */
export function parseAmandaHeader(block: Buffer): AmandaHeader | undefined {
  if (block.length < 8) return undefined;
  const magic = block.subarray(0, 8).toString('latin1');
  if (magic !== 'AMANDA: ' && !block.subarray(0, 9).toString('latin1').startsWith('NETDUMP: ')) return undefined;
  const t = new Tokens(firstLine(block));
  t.next();
  const type = t.next();
  if (type === undefined || !TYPES.includes(type)) return undefined;
  switch (type as AmandaFileType) {
    case 'TAPESTART': {
      if (t.next() !== 'DATE') return undefined;
      const datestamp = t.next();
      if (datestamp === undefined || t.next() !== 'TAPE') return undefined;
      const label = t.next();
      return label === undefined ? undefined : { type: 'TAPESTART', datestamp, label };
    }
    case 'TAPEEND': {
      const date = t.next();
      return { type: 'TAPEEND', datestamp: date === 'DATE' ? (t.next() ?? '') : '' };
    }
    case 'NOOP':
      return { type: 'NOOP', datestamp: '' };
    default:
      return dumpFile(type as 'FILE' | 'SPLIT_FILE' | 'CONT_FILE', t);
  }
}

function dumpFile(type: 'FILE' | 'SPLIT_FILE' | 'CONT_FILE', t: Tokens): AmandaHeader | undefined {
  const datestamp = t.next();
  const host = t.next();
  const disk = t.next();
  if (datestamp === undefined || host === undefined || disk === undefined) return undefined;
  let part: number | undefined;
  let totalParts: number | undefined;
  if (type === 'SPLIT_FILE') {
    if (t.next() !== 'part') return undefined;
    const m = /^(\d+)\/(-?\d+)$/.exec(t.next() ?? '');
    if (m === null) return undefined;
    part = Number(m[1]);
    totalParts = Number(m[2]);
  }
  if (t.next() !== 'lev') return undefined;
  const level = integer(t.next());
  if (level === undefined || t.next() !== 'comp') return undefined;
  const compression = t.next();
  if (compression === undefined) return undefined;
  const program = t.next() === 'program' ? t.next() : undefined;
  return {
    type, datestamp, host, disk, level, compression,
    ...(program !== undefined && { program }),
    ...(part !== undefined && { part, totalParts }),
  };
}
