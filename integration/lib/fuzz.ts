// Bounded fuzzing of a running target over real sockets: mutated and random
// CDBs and PDUs on one session, while a well-behaved session on another target
// writes and verifies data. Every case must end in a Reject, a SCSI status with
// well-formed sense (ILLEGAL REQUEST 20/00 for an opcode the LU does not
// support), a silently ignored PDU followed by a working ping, or a dropped
// connection. Seeded, so a failure is reproducible.
import { cdbLength, Rng, sleep } from './fuzz-common.ts';
import { BHS, ConnectionClosed, Initiator, TargetOp, senseTriple, type CommandResult } from './initiator.ts';

export interface FuzzOptions {
  readonly host: string;
  readonly port: number;
  readonly fuzzTarget: string;
  readonly fuzzLuns: readonly number[];
  readonly goodTarget: string;
  readonly goodLun: number;
  readonly cases: number;
  readonly seed?: number;
  readonly answerTimeoutMs?: number;
  /**
   * Several fuzzers run side by side as lanes, each with its own sessions (the lane is in
   * their ISIDs); only lane 0 keeps the well-behaved session.
   */
  readonly lane?: number;
}

export interface FuzzReport {
  cases: number;
  byOutcome: Record<string, number>;
  failures: string[];
  reconnects: number;
  goodOps: number;
  goodErrors: string[];
}

/** Known-good CDBs to mutate (SPC, SBC, SSC, SMC). */
const SEEDS: readonly number[][] = [
  [0x12, 0, 0, 0, 0xff, 0], // INQUIRY
  [0x12, 1, 0x83, 0, 0xff, 0], // INQUIRY VPD 83
  [0x00, 0, 0, 0, 0, 0], // TEST UNIT READY
  [0x03, 0, 0, 0, 0xfc, 0], // REQUEST SENSE
  [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], // REPORT LUNS
  [0x1a, 0, 0x3f, 0, 0xff, 0], // MODE SENSE(6)
  [0x5a, 0, 0x3f, 0, 0, 0, 0, 0x10, 0, 0], // MODE SENSE(10)
  [0x4d, 0, 0x40, 0, 0, 0, 0, 0x10, 0, 0], // LOG SENSE
  [0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], // REPORT SUPPORTED OPERATION CODES
  [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], // READ CAPACITY(10)
  [0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0], // READ(10)
  [0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0], // WRITE(10)
  [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0], // SYNCHRONIZE CACHE(10)
  [0x08, 0, 0, 0x10, 0, 0], // READ(6) (tape: variable 4096)
  [0x0a, 0, 0, 0x10, 0, 0], // WRITE(6)
  [0x10, 1, 0, 0, 1, 0], // WRITE FILEMARKS
  [0x11, 1, 0, 0, 1, 0], // SPACE filemarks
  [0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0], // READ POSITION
  [0x01, 0, 0, 0, 0, 0], // REWIND
  [0xb8, 0x10, 0, 0, 0, 0xff, 0, 0, 0x10, 0, 0, 0], // READ ELEMENT STATUS
  [0xa5, 0, 0, 0, 0, 0x10, 0, 0x20, 0, 0, 0, 0], // MOVE MEDIUM
];

type Outcome = { kind: 'status'; result: CommandResult } | { kind: 'reject' } | { kind: 'closed' } | { kind: 'silent' };

export class Fuzzer {
  readonly #o: FuzzOptions;
  readonly #rng: Rng;
  readonly #report: FuzzReport = { cases: 0, byOutcome: {}, failures: [], reconnects: 0, goodOps: 0, goodErrors: [] };
  /** Opcodes each fuzzed LUN supports, from REPORT SUPPORTED OPERATION CODES. */
  readonly #supported = new Map<number, Set<number>>();
  /** LUNs that answer LOGICAL UNIT NOT SUPPORTED (no LU mapped there). */
  readonly #unmapped = new Set<number>();
  #ini: Initiator | undefined;
  #isid = 0;

  constructor(o: FuzzOptions) {
    this.#o = o;
    this.#rng = new Rng(o.seed ?? 20261126);
  }

  async run(): Promise<FuzzReport> {
    let stopGood = false;
    const good = (this.#o.lane ?? 0) === 0 ? this.#goodSession(() => stopGood) : Promise.resolve();
    try {
      for (const lun of this.#o.fuzzLuns) this.#supported.set(lun, await this.#opcodesOf(lun));
      for (let i = 0; i < this.#o.cases; i++) await this.#oneCase(i);
    } finally {
      stopGood = true;
      await good;
      this.#ini?.destroy();
    }
    return this.#report;
  }

  #count(k: string): void {
    this.#report.byOutcome[k] = (this.#report.byOutcome[k] ?? 0) + 1;
  }

  #fail(msg: string): void {
    if (this.#report.failures.length < 50) this.#report.failures.push(msg);
    this.#count('FAILURE');
  }

  async #session(): Promise<Initiator> {
    if (this.#ini && !this.#ini.closed) return this.#ini;
    this.#ini?.destroy();
    this.#report.reconnects++;
    const isid = Buffer.from([0x80, 0, this.#o.lane ?? 0, 0x42, (this.#isid >> 8) & 0xff, this.#isid++ & 0xff]);
    this.#ini = await Initiator.login({ host: this.#o.host, port: this.#o.port, targetName: this.#o.fuzzTarget, isid });
    return this.#ini;
  }

  async #opcodesOf(lun: number): Promise<Set<number>> {
    const ini = await this.#session();
    const ops = new Set<number>();
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await ini.command(lun, Buffer.from([0xa3, 0x0c, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), { readLength: 65536 });
      const t = r.status === 0x02 ? senseTriple(r.sense) : undefined;
      if (t?.key === 0x5 && t.asc === 0x25) {
        this.#unmapped.add(lun);
        return new Set([0x12, 0xa0, 0x03]); // INQUIRY, REPORT LUNS, REQUEST SENSE
      }
      if (r.status !== 0) continue; // a unit attention first
      const len = r.data.readUInt32BE(0);
      for (let at = 4; at + 8 <= Math.min(4 + len, r.data.length); at += (r.data[at + 5]! & 0x02) ? 20 : 8) ops.add(r.data[at]!);
      return ops;
    }
    throw new Error(`REPORT SUPPORTED OPERATION CODES failed on LUN ${lun}`);
  }

  async #oneCase(i: number): Promise<void> {
    this.#report.cases++;
    const r = this.#rng.int(100);
    try {
      if (r < 45) await this.#cdbCase(true);
      else if (r < 70) await this.#cdbCase(false);
      else if (r < 95) await this.#pduCase();
      else await this.#garbageCase();
    } catch (e) {
      if (e instanceof ConnectionClosed) this.#count('dropped connection');
      else this.#fail(`case ${i}: ${(e as Error).message}`);
    }
  }

  /** A mutated known CDB (mutate=true) or a random one, on a random fuzzed LUN. */
  async #cdbCase(mutate: boolean): Promise<void> {
    const rng = this.#rng;
    const lun = rng.pick(this.#o.fuzzLuns);
    let cdb: Buffer;
    if (mutate) {
      cdb = Buffer.from(rng.pick(SEEDS));
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const at = rng.int(cdb.length);
        cdb[at] = rng.int(2) ? cdb[at]! ^ (1 << rng.int(8)) : rng.int(256);
      }
    } else {
      const op = rng.int(256);
      cdb = Buffer.concat([Buffer.from([op]), rng.bytes(cdbLength(op) - 1)]);
    }
    const dir = rng.int(3);
    const len = rng.int(4) === 0 ? 0 : rng.int(rng.int(8) === 0 ? 1 << 20 : 16384);
    const ini = await this.#session();
    const res = await this.#withTimeout(ini, ini.command(lun, cdb, dir === 1 ? { dataOut: rng.bytes(len) } : dir === 2 ? { readLength: len } : {}));
    this.#check(res, lun, cdb);
  }

  #check(o: Outcome, lun: number, cdb: Buffer): void {
    if (o.kind !== 'status') return this.#count(o.kind === 'closed' ? 'dropped connection' : 'command ignored, ping answered');
    const { status, sense } = o.result;
    const ok = [0x00, 0x02, 0x04, 0x08, 0x18, 0x28].includes(status);
    if (!ok) return this.#fail(`LUN ${lun} CDB ${cdb.toString('hex')}: status 0x${status.toString(16)}`);
    if (status !== 0x02) return this.#count(`status 0x${status.toString(16)}`);
    const t = senseTriple(sense);
    if (!t) return this.#fail(`LUN ${lun} CDB ${cdb.toString('hex')}: CHECK CONDITION with malformed sense ${sense.toString('hex')}`);
    const unsupported = !this.#supported.get(lun)?.has(cdb[0]!);
    if (unsupported && this.#unmapped.has(lun) && !(t.key === 0x5 && t.asc === 0x25 && t.ascq === 0)) {
      return this.#fail(`unmapped LUN ${lun} opcode 0x${cdb[0]!.toString(16)}: sense ${t.key.toString(16)}/${t.asc.toString(16)}/${t.ascq.toString(16)}, want 5/25/00`);
    }
    if (unsupported && !this.#unmapped.has(lun) && t.key !== 0x6 && !(t.key === 0x5 && t.asc === 0x20 && t.ascq === 0)) {
      return this.#fail(`LUN ${lun} unsupported opcode 0x${cdb[0]!.toString(16)}: sense ${t.key.toString(16)}/${t.asc.toString(16)}/${t.ascq.toString(16)}, want 5/20/00`);
    }
    this.#count(`check condition ${t.key.toString(16)}/${t.asc.toString(16).padStart(2, '0')}/${t.ascq.toString(16).padStart(2, '0')}`);
  }

  /** A valid-looking PDU of a random kind with some header bytes mutated, then a ping. */
  async #pduCase(): Promise<void> {
    const rng = this.#rng;
    const ini = await this.#session();
    const b = Buffer.alloc(BHS);
    const op = rng.pick([0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x10, 0x1c, 0x1d, 0x1e, rng.int(64)]);
    b[0] = op | (rng.int(2) ? 0x40 : 0);
    b[1] = 0x80 | rng.int(256);
    b.writeUInt32BE(ini.nextItt(), 16);
    b.writeUInt32BE(rng.int(2) ? 0xffffffff : rng.u32(), 20);
    b.writeUInt32BE(rng.int(4) ? ini.cmdSN : rng.u32(), 24);
    b.writeUInt32BE(ini.expStatSN, 28);
    for (let n = rng.int(6); n > 0; n--) b[8 + rng.int(40)] = rng.int(256);
    if (op === 0x01) b[32] = rng.pick([0x12, 0x00, 0x28, 0x2a, 0xa0]);
    const dlen = rng.int(3) === 0 ? rng.int(1024) : 0;
    const data = rng.bytes(dlen);
    if (rng.int(10) === 0) {
      // A lying header: DataSegmentLength and TotalAHSLength set at random.
      b[4] = rng.int(256);
      const declared = rng.int(2) ? rng.int(1 << 24) : rng.int(65536);
      b.writeUIntBE(declared, 5, 3);
      // Complete whatever the header promised (up to a bound) so that a target
      // that reads it stays in step and must answer the ping that follows.
      ini.sendRaw(Buffer.concat([b, Buffer.alloc(Math.min(b[4] * 4 + ((declared + 3) & ~3), 300_000))]));
    } else {
      ini.sendPdu(b, data);
      if (op === 0x01 && (b[1]! & 0x40) === 0) ini.cmdSN = (ini.cmdSN + 1) >>> 0;
    }
    const before = ini.unsolicited.length;
    const pong = await this.#withTimeout(ini, ini.ping().then(() => undefined));
    // A mutated PDU may leave CmdSN or task state the fuzzer cannot know: start afresh.
    ini.destroy();
    if (pong.kind === 'closed') return this.#count('dropped connection');
    if (ini.unsolicited.slice(before).some((p) => p.opcode === TargetOp.REJECT)) return this.#count('reject');
    this.#count(pong.kind === 'silent' ? 'ping answered late' : 'ping answered');
  }

  /** Random bytes on a fresh connection that has not logged in. */
  async #garbageCase(): Promise<void> {
    const rng = this.#rng;
    const raw = await Initiator.connect(this.#o.host, this.#o.port);
    try {
      raw.sendRaw(rng.bytes(1 + rng.int(rng.int(2) ? 48 : 4096)));
      // Zeros: they complete any data segment the garbage announced (login data is at most
      // 8 KiB), then read as a NOP-Out before login, which must end the connection.
      raw.sendRaw(Buffer.alloc(16384 + BHS * 2));
      const r = await Promise.race([raw.waitClosed().then(() => 'closed'), sleep(this.#o.answerTimeoutMs ?? 1000).then(() => 'open')]);
      if (r === 'open' && raw.unsolicited.length === 0) this.#fail('garbage before login: connection neither answered nor closed');
      else this.#count(r === 'closed' ? 'dropped connection' : 'answered garbage');
    } finally {
      raw.destroy();
    }
  }

  async #withTimeout<T>(ini: Initiator, p: Promise<T>): Promise<{ kind: 'status'; result: T } | { kind: 'closed' } | { kind: 'silent' }> {
    const timeout = this.#o.answerTimeoutMs ?? 1000;
    const r = await Promise.race([
      p.then((result) => ({ kind: 'status' as const, result }), (e: unknown) => {
        if (e instanceof ConnectionClosed) return { kind: 'closed' as const };
        throw e;
      }),
      sleep(timeout).then(() => ({ kind: 'timeout' as const })),
    ]);
    if (r.kind !== 'timeout') return r;
    // No answer: the target must at least still answer a ping on this connection, or drop it.
    const ping = await Promise.race([ini.ping().then(() => 'ok', () => 'closed'), sleep(timeout).then(() => 'hung')]);
    ini.destroy();
    if (ping === 'hung') throw new Error('the target neither answered nor dropped the connection');
    return ping === 'closed' ? { kind: 'closed' } : { kind: 'silent' };
  }

  /** Writes a pattern, reads it back, compares; runs until told to stop. */
  async #goodSession(stop: () => boolean): Promise<void> {
    const rng = new Rng(7);
    let ini: Initiator | undefined;
    try {
      ini = await Initiator.login({ host: this.#o.host, port: this.#o.port, targetName: this.#o.goodTarget, isid: Buffer.from([0x80, 0, 0, 0x99, 0, 1]) });
      while (!stop()) {
        const lba = rng.int(1024);
        const data = rng.bytes(4096);
        const w = Buffer.from([0x2a, 0, 0, 0, (lba >> 8) & 0xff, lba & 0xff, 0, 0, 8, 0]);
        const wr = await ini.command(this.#o.goodLun, w, { dataOut: data });
        const rr = await ini.command(this.#o.goodLun, Buffer.from([0x28, 0, 0, 0, (lba >> 8) & 0xff, lba & 0xff, 0, 0, 8, 0]), { readLength: 4096 });
        if (wr.status === 0x02 && senseTriple(wr.sense)?.key === 0x6) continue; // unit attention: retry
        if (wr.status !== 0 || rr.status !== 0 || !rr.data.equals(data)) this.#report.goodErrors.push(`LBA ${lba}: write ${wr.status} read ${rr.status} equal ${rr.data.equals(data)}`);
        this.#report.goodOps++;
        await sleep(5);
      }
      await ini.logout();
    } catch (e) {
      this.#report.goodErrors.push(`well-behaved session: ${(e as Error).message}`);
      ini?.destroy();
    }
  }
}
