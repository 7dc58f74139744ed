// What the fuzzers share: a seeded generator, the tally of outcomes by kind,
// and the checks every answer must pass whatever the command was: an allowed
// SCSI status, well-formed sense (SPC-4 4.5), a field pointer inside the CDB,
// never more data-in than the initiator asked for.
import type { CommandResult } from './initiator.ts';

/** xorshift32: small, seeded, reproducible. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.#s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.#s = x;
    return x;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  /** true with probability 1/n. */
  one(n: number): boolean {
    return this.int(n) === 0;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

/** The generator of case `i` of a run seeded `seed`: any case can be rebuilt alone from the two numbers. */
export function caseRng(seed: number, i: number): Rng {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/** The seed of a run: S3VTL_FUZZ_SEED, or a fresh one (printed by the suites either way). */
export function fuzzSeed(): number {
  const env = process.env.S3VTL_FUZZ_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`S3VTL_FUZZ_SEED=${env} is not a 32-bit unsigned integer`);
    return n;
  }
  return (Math.random() * 0xffffffff) >>> 0 || 1;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const KEY_NAMES = [
  'NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR', 'HARDWARE ERROR', 'ILLEGAL REQUEST', 'UNIT ATTENTION',
  'DATA PROTECT', 'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND', 'reserved key C', 'VOLUME OVERFLOW',
  'MISCOMPARE', 'reserved key F',
] as const;

export const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Counts of outcomes by kind, in first-seen order; `failures` keeps the first 50 messages. */
export class Tally {
  readonly byKind: Record<string, number> = {};
  readonly failures: string[] = [];
  failed = 0;

  count(kind: string): void {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }

  fail(msg: string): void {
    this.failed++;
    if (this.failures.length < 50) this.failures.push(msg);
    this.count('FAILURE');
  }

  /** One line per kind, largest first. */
  lines(): string[] {
    return Object.entries(this.byKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(7)}  ${k}`);
  }
}

export interface DecodedSense {
  readonly format: 'fixed' | 'descriptor';
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  /** SKSV set: the sense-key specific bytes (3). */
  readonly sks?: Buffer;
}

/**
 * Decodes fixed (70h/71h, SPC-4 4.5.3) or descriptor (72h/73h, 4.5.2) sense, or says
 * what is malformed: lengths that disagree with the bytes, a descriptor list that
 * does not end where the header says, a reserved sense key.
 */
export function decodeSense(b: Buffer): DecodedSense | string {
  if (b.length === 0) return 'CHECK CONDITION without sense data';
  const code = b[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) {
    if (b.length < 18) return `fixed sense of ${b.length} bytes (at least 18: SPC-4 4.5.3)`;
    if (8 + b[7]! !== b.length) return `fixed sense ADDITIONAL SENSE LENGTH ${b[7]} but ${b.length} bytes`;
    const key = b[2]! & 0x0f;
    if (key === 0x0c || key === 0x0f) return `reserved sense key ${key.toString(16)}`;
    const sks = (b[15]! & 0x80) !== 0 ? b.subarray(15, 18) : undefined;
    return { format: 'fixed', key, asc: b[12]!, ascq: b[13]!, ...(sks ? { sks } : {}) };
  }
  if (code === 0x72 || code === 0x73) {
    if (b.length < 8) return `descriptor sense of ${b.length} bytes (at least 8: SPC-4 4.5.2)`;
    if (8 + b[7]! !== b.length) return `descriptor sense ADDITIONAL SENSE LENGTH ${b[7]} but ${b.length} bytes`;
    const key = b[1]! & 0x0f;
    if (key === 0x0c || key === 0x0f) return `reserved sense key ${key.toString(16)}`;
    let sks: Buffer | undefined;
    let p = 8;
    for (; p + 2 <= b.length; p += 2 + b[p + 1]!) {
      const type = b[p]!;
      const len = b[p + 1]!;
      if (p + 2 + len > b.length) return `sense descriptor ${hex2(type)}h at byte ${p} runs past the end`;
      const fixedLen: Record<number, number> = { 0x00: 0x0a, 0x01: 0x0a, 0x02: 0x06, 0x04: 0x02 };
      if (fixedLen[type] !== undefined && fixedLen[type] !== len) return `sense descriptor ${hex2(type)}h with ADDITIONAL LENGTH ${len}, want ${fixedLen[type]}`;
      if (type === 0x02 && (b[p + 4]! & 0x80) !== 0) sks = b.subarray(p + 4, p + 7);
    }
    if (p !== b.length) return `descriptor list ends at byte ${p} of ${b.length}`;
    return { format: 'descriptor', key, asc: b[2]!, ascq: b[3]!, ...(sks ? { sks } : {}) };
  }
  return `sense response code ${hex2(code)}h (want 70h-73h)`;
}

export const senseName = (s: DecodedSense): string => `CHECK CONDITION ${KEY_NAMES[s.key]} (${hex2(s.asc)}/${hex2(s.ascq)})`;

/** The statuses a target may end a fuzzed command with (SAM-5 5.3). */
const STATUS_NAMES: Record<number, string> = { 0x00: 'GOOD', 0x02: 'CHECK CONDITION', 0x08: 'BUSY', 0x18: 'RESERVATION CONFLICT', 0x28: 'TASK SET FULL' };

/**
 * The checks every answer to `cdb` must pass: an allowed status, well-formed sense with
 * an in-CDB field pointer inside the CDB, no more data than `readLength`. Returns the
 * problem, or the decoded sense (undefined for a status without sense).
 */
export function answerProblem(r: CommandResult, cdb: Buffer, cdbLength: number, readLength: number): string | { sense?: DecodedSense; kind: string } {
  const name = STATUS_NAMES[r.status];
  if (name === undefined) return `status ${hex2(r.status)}h`;
  if (r.data.length > readLength) return `${r.data.length} bytes of data-in for an expected length of ${readLength}`;
  if (r.status !== 0x02) return { kind: name };
  const s = decodeSense(r.sense);
  if (typeof s === 'string') return `${s}: ${r.sense.toString('hex')}`;
  if (s.sks !== undefined && (s.key === 0x05 || s.key === 0x00) && (s.sks[0]! & 0x40) !== 0) {
    // SPC-4 4.5.2.4.2: C/D=1, FIELD POINTER names a CDB byte (and BIT POINTER a bit when BPV).
    const byte = s.sks.readUInt16BE(1);
    if (byte >= cdbLength) return `sense field pointer names CDB byte ${byte} of a ${cdbLength}-byte CDB (${cdb.subarray(0, cdbLength).toString('hex')})`;
  }
  return { sense: s, kind: senseName(s) };
}

/** CDB length from the operation code's group (SPC-4 4.2.5.1); the vendor groups 6 and 7 taken as 10. */
export const cdbLength = (op: number): number => [6, 10, 10, 16, 16, 12, 10, 10][op >> 5]!;
