// Fuzzing a tape library target (SMC-3 changer + SSC-4 drives) over real
// sockets. Cases are CDBs shaped for the LU they go to (every opcode of its
// table, fields drawn at random, then sometimes mutated), opcodes it does not
// support, and random CDBs; several connections each keep several commands in
// flight. The run is cut into phases, each in one medium state set up by a
// well-behaved session (lib/fuzz-stage.ts): no cartridge, loaded at BOP, at
// EOD, write-protected, and during MOVE MEDIUMs that session keeps making.
//
// Every command must be answered within the wait, with an allowed status and
// well-formed sense (lib/fuzz-common.ts), ILLEGAL REQUEST 20/00 (or a unit
// attention) for an opcode the LU does not report in REPORT SUPPORTED
// OPERATION CODES and 24/00 for an unknown service action; never GOOD for
// either. Case i of seed s is rebuilt by caseRng(s, i).
import { Op } from '../../scsi/opcodes.ts';
import { answerProblem, caseRng, cdbLength, decodeSense, hex2, type Rng, sleep, Tally } from './fuzz-common.ts';
import { MAX_TRANSFER, spcShapes, type FuzzCommand, type Shape, type ShapeContext } from './fuzz-cdb-spc.ts';
import { smcShapes } from './fuzz-cdb-smc.ts';
import { sscShapes } from './fuzz-cdb-ssc.ts';
import { LibraryStage, parseElementStatus } from './fuzz-stage.ts';
import { CommandRejected, type CommandResult, ConnectionClosed, Initiator } from './initiator.ts';

export const MEDIUM_STATES = ['no cartridge', 'loaded at BOP', 'at EOD', 'write-protected', 'during MOVE MEDIUM'] as const;
export type MediumState = (typeof MEDIUM_STATES)[number];

export interface LibraryFuzzOptions {
  readonly host: string;
  readonly port: number;
  readonly iqn: string;
  readonly changerLun: number;
  readonly driveLuns: readonly [number, number];
  readonly cases: number;
  readonly seed: number;
  /** Data cartridges the stage loads (at least three), and the write-protected one. */
  readonly dataBarcodes: readonly string[];
  readonly wpBarcode: string;
  readonly connections?: number;
  readonly depth?: number;
  /** How long a command may go unanswered before the case fails. */
  readonly answerTimeoutMs?: number;
  /** Each medium state comes back this many times. */
  readonly rounds?: number;
}

export interface LibraryFuzzReport {
  cases: number;
  /** GOOD, CHECK CONDITION by sense key, Reject, connection closed, ... */
  tally: Tally;
  /** Every CHECK CONDITION by key and ASC/ASCQ. */
  senses: Tally;
  byState: Record<string, number>;
  byLu: Record<string, number>;
  /** Opcodes (op or op/sa) the LU reports supporting that no shape covers. */
  uncovered: string[];
  logins: number;
  moves: number;
}

interface Lu {
  readonly lun: number;
  readonly kind: 'changer' | 'drive';
  readonly shapes: readonly Shape[];
  /** "op" or "op/sa" the LU reports in REPORT SUPPORTED OPERATION CODES. */
  readonly supported: Set<string>;
  /** Opcodes whose rows are tables by service action. */
  readonly saOps: Set<number>;
}

/** Opcodes neither device should have: SBC and the rest of the shared list, the other device's. */
const ALL_NAMED = [...new Set<number>([...Object.values(Op), ...spcShapes, ...sscShapes, ...smcShapes].map((x) => (typeof x === 'number' ? x : x.op)))];

/** RESERVE(6), RESERVE(10), PERSISTENT RESERVE OUT. */
const RESERVING = new Set([0x16, 0x56, 0x5f]);

export class LibraryFuzzer {
  readonly #o: LibraryFuzzOptions;
  readonly #report: LibraryFuzzReport;
  readonly #lus: Lu[] = [];
  #ctx: ShapeContext = { elements: [] };
  #state: MediumState = 'no cartridge';
  #next = 0;
  #isid = 0;

  constructor(o: LibraryFuzzOptions) {
    this.#o = o;
    this.#report = { cases: 0, tally: new Tally(), senses: new Tally(), byState: {}, byLu: {}, uncovered: [], logins: 0, moves: 0 };
  }

  get #wait(): number {
    return this.#o.answerTimeoutMs ?? 20_000;
  }

  async run(): Promise<LibraryFuzzReport> {
    const o = this.#o;
    const stage = await LibraryStage.open(o.host, o.port, o.iqn, 1, this.#wait, o.changerLun);
    try {
      const luns = [o.changerLun, ...o.driveLuns];
      await stage.clear(luns);
      this.#ctx = { elements: (await stage.elements()).map((e) => e.address) };
      for (const lun of luns) this.#lus.push(await this.#discover(stage, lun, lun === o.changerLun ? 'changer' : 'drive'));
      const phases = MEDIUM_STATES.length * (o.rounds ?? 4);
      for (let p = 0; p < phases; p++) {
        const state = MEDIUM_STATES[p % MEDIUM_STATES.length]!;
        const end = Math.round((o.cases * (p + 1)) / phases);
        try {
          await this.#enter(stage, state);
        } catch (e) {
          // The well-behaved session could not set the library up: a failure of the target, and the end of the run.
          this.#report.tally.fail(`setting up "${state}" after case ${this.#next} (seed ${o.seed}): ${(e as Error).message}`);
          break;
        }
        let stop = false;
        const mover = state === 'during MOVE MEDIUM' ? this.#mover(() => stop) : Promise.resolve();
        try {
          await this.#phase(end);
        } finally {
          stop = true;
          await mover;
        }
      }
    } finally {
      await stage.close();
    }
    return this.#report;
  }

  /** The LU's opcodes from REPORT SUPPORTED OPERATION CODES (all commands), and which of them no shape covers. */
  async #discover(stage: LibraryStage, lun: number, kind: 'changer' | 'drive'): Promise<Lu> {
    const r = await stage.ok(`REPORT SUPPORTED OPERATION CODES LUN ${lun}`, lun, Buffer.from([0xa3, 0x0c, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), { readLength: 65536 });
    const supported = new Set<string>();
    const saOps = new Set<number>();
    const len = r.data.readUInt32BE(0);
    for (let at = 4; at + 8 <= Math.min(4 + len, r.data.length); at += (r.data[at + 5]! & 0x02) ? 20 : 8) {
      const op = r.data[at]!;
      if (r.data[at + 5]! & 0x01) { saOps.add(op); supported.add(`${op}/${r.data.readUInt16BE(at + 2)}`); } else supported.add(String(op));
    }
    const shapes = [...spcShapes, ...(kind === 'changer' ? smcShapes : sscShapes)];
    const covered = new Set(shapes.map((s) => (s.sa === undefined ? String(s.op) : `${s.op}/${s.sa}`)));
    for (const k of supported) if (!covered.has(k)) this.#report.uncovered.push(`LUN ${lun} opcode ${k.split('/').map((n) => hex2(Number(n))).join(' service action ')}h`);
    return { lun, kind, shapes: shapes.filter((s) => supported.has(s.sa === undefined ? String(s.op) : `${s.op}/${s.sa}`)), supported, saOps };
  }

  /** Put the library into `state` from whatever fuzzing left (no fuzz session is open now). */
  async #enter(stage: LibraryStage, state: MediumState): Promise<void> {
    const o = this.#o;
    const [d1, d2] = o.driveLuns;
    this.#state = state;
    await stage.clear([o.changerLun, d1, d2]);
    if (state === 'no cartridge') return stage.unloadAll();
    await stage.load(state === 'write-protected' ? o.wpBarcode : o.dataBarcodes[0]!, d1);
    if (state !== 'during MOVE MEDIUM') await stage.load(o.dataBarcodes[1]!, d2);
    for (const lun of state === 'during MOVE MEDIUM' ? [d1] : [d1, d2]) {
      await stage.variableBlocks(lun);
      await stage.rewind(lun);
    }
    if (state === 'write-protected' && !(await stage.writeProtected(d1))) throw new Error(`${o.wpBarcode} loaded, but MODE SENSE does not report WP`);
    if (state === 'at EOD') {
      for (const lun of [d1, d2]) {
        for (let i = 0; i < 3; i++) await stage.write(lun, Buffer.alloc(1000 + i, i));
        await stage.writeFilemarks(lun, 1);
      }
    }
  }

  /** Cases up to `end` on several connections, each with several in flight. */
  async #phase(end: number): Promise<void> {
    const conns = this.#o.connections ?? 4;
    const depth = this.#o.depth ?? 4;
    const sessions: (Initiator | undefined)[] = new Array(conns).fill(undefined);
    const logins: (Promise<Initiator> | undefined)[] = new Array(conns).fill(undefined);
    const session = (slot: number): Promise<Initiator> => {
      const s = sessions[slot];
      if (s !== undefined && !s.closed) return Promise.resolve(s);
      logins[slot] ??= (async () => {
        this.#report.logins++;
        const n = this.#isid++;
        const ini = await Initiator.login({ host: this.#o.host, port: this.#o.port, targetName: this.#o.iqn, isid: Buffer.from([0x80, 0, 0, 0x46, (n >> 8) & 0xff, n & 0xff]) });
        sessions[slot] = ini;
        logins[slot] = undefined;
        return ini;
      })();
      return logins[slot]!;
    };
    const worker = async (slot: number): Promise<void> => {
      while (this.#next < end) await this.#case(this.#next++, await session(slot));
    };
    await Promise.all(Array.from({ length: conns * depth }, (_, k) => worker(k % conns)));
    // Ending the sessions ends their nexuses: PREVENT and RESERVE go with them.
    await Promise.all(sessions.map(async (s) => {
      if (s === undefined || s.closed) return;
      await Promise.race([s.logout().catch(() => undefined), sleep(2000)]);
      s.destroy();
    }));
  }

  /** Case i: build, send, wait, check, count. */
  async #case(i: number, ini: Initiator): Promise<void> {
    const rng = caseRng(this.#o.seed, i);
    const lu = this.#lus[rng.int(3) === 0 ? 0 : 1 + rng.int(this.#lus.length - 1)]!;
    const { cmd, len, what } = this.#build(rng, lu);
    const describe = `case ${i} (seed ${this.#o.seed}, ${this.#state}) LUN ${lu.lun} ${what} CDB ${cmd.cdb.subarray(0, len).toString('hex')}${cmd.dataOut ? ` data-out ${cmd.dataOut.length}` : ''}${cmd.readLength !== undefined ? ` read ${cmd.readLength}` : ''}`;
    const r = this.#report;
    r.cases++;
    r.byState[this.#state] = (r.byState[this.#state] ?? 0) + 1;
    r.byLu[`LUN ${lu.lun} (${lu.kind})`] = (r.byLu[`LUN ${lu.lun} (${lu.kind})`] ?? 0) + 1;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), this.#wait); });
    const opts = { ...(cmd.dataOut ? { dataOut: cmd.dataOut } : {}), ...(cmd.readLength !== undefined ? { readLength: cmd.readLength } : {}) };
    const res: CommandResult | Error | 'timeout' = await Promise.race([ini.command(lu.lun, cmd.cdb, opts).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))), timeout]).finally(() => clearTimeout(timer));
    if (res === 'timeout') {
      ini.destroy();
      r.tally.fail(`no answer within ${this.#wait} ms: ${describe}`);
      if (process.env.S3VTL_FUZZ_VERBOSE) process.stderr.write(`${new Date().toISOString()} ${r.tally.failures.at(-1)}\n`);
      return;
    }
    if (res instanceof ConnectionClosed) return r.tally.count('connection closed');
    if (res instanceof CommandRejected) return r.tally.count(`Reject (reason ${hex2(res.reason)}h)`);
    if (res instanceof Error) return r.tally.fail(`${res.message}: ${describe}`);
    const checked = answerProblem(res, cmd.cdb, len, cmd.readLength ?? 0);
    if (typeof checked === 'string') return r.tally.fail(`${checked}: ${describe}`);
    const s = checked.sense;
    const op = cmd.cdb[0]!;
    const sa = cmd.cdb[1]! & 0x1f;
    const ua = s?.key === 0x6;
    if (!lu.supported.has(String(op)) && !lu.saOps.has(op) && !ua && !(s?.key === 0x5 && s.asc === 0x20 && s.ascq === 0)) {
      return r.tally.fail(`${checked.kind} for an opcode the LU does not support (want ILLEGAL REQUEST 20/00): ${describe}`);
    }
    if (lu.saOps.has(op) && !lu.supported.has(`${op}/${sa}`) && !ua && !(s?.key === 0x5 && s.asc === 0x24 && s.ascq === 0)) {
      return r.tally.fail(`${checked.kind} for a service action the LU does not support (want ILLEGAL REQUEST 24/00): ${describe}`);
    }
    r.tally.count(s === undefined ? checked.kind : checked.kind.replace(/ \(.*\)$/, ''));
    if (s !== undefined) r.senses.count(checked.kind);
  }

  /** A shaped CDB (sometimes mutated), an opcode the LU lacks, or random bytes; sometimes an odd expected length. */
  #build(rng: Rng, lu: Lu): { cmd: FuzzCommand; len: number; what: string } {
    const kind = rng.int(100);
    let cmd: FuzzCommand;
    let what: string;
    if (kind < 75) {
      let shape = rng.pick(lu.shapes);
      // A RESERVE holds the LU against the other connections until its nexus ends: rarer, so that
      // RESERVATION CONFLICT does not hide most of what they send.
      if (RESERVING.has(shape.op) && !rng.one(4)) shape = rng.pick(lu.shapes);
      cmd = shape.make(rng, this.#ctx);
      what = shape.name;
      if (rng.one(3)) {
        const c = Buffer.from(cmd.cdb);
        for (let n = 1 + rng.int(3); n > 0; n--) {
          const at = 1 + rng.int(c.length - 1);
          c[at] = rng.int(2) ? c[at]! ^ (1 << rng.int(8)) : rng.int(256);
        }
        cmd = { ...cmd, cdb: c };
        what += ', mutated';
      }
    } else {
      const foreign = ALL_NAMED.filter((op) => !lu.supported.has(String(op)) && !lu.saOps.has(op));
      const op = kind < 88 ? rng.pick(foreign) : rng.int(256);
      const body = rng.bytes(cdbLength(op) - 1);
      if (rng.int(2)) body[body.length - 1] = 0; // CONTROL
      cmd = { cdb: Buffer.concat([Buffer.from([op]), body]), ...this.#anyDirection(rng) };
      what = kind < 88 ? 'opcode the LU lacks' : 'random CDB';
    }
    if (rng.one(10)) {
      // An expected length that disagrees with the CDB.
      cmd = cmd.dataOut !== undefined ? { ...cmd, dataOut: rng.bytes(rng.int(rng.one(4) ? MAX_TRANSFER : 600)) } : { ...cmd, readLength: rng.int(rng.one(4) ? MAX_TRANSFER : 600) };
      what += ', odd expected length';
    }
    return { cmd, len: Math.max(cmd.cdb.length, cdbLength(cmd.cdb[0]!)), what };
  }

  #anyDirection(rng: Rng): { dataOut?: Buffer; readLength?: number } {
    const d = rng.int(3);
    return d === 0 ? {} : d === 1 ? { dataOut: rng.bytes(rng.int(4096)) } : { readLength: rng.int(65536) };
  }

  /** During a phase: a cartridge goes from a slot into the second drive and back, slot to slot, on its own session. */
  async #mover(stop: () => boolean): Promise<void> {
    const o = this.#o;
    const m = await LibraryStage.open(o.host, o.port, o.iqn, 2, this.#wait, o.changerLun);
    try {
      while (!stop()) {
        // The fuzzer may hold a RESERVE or have the element busy: the mover tries again.
        const inv = await m.cmd('READ ELEMENT STATUS', o.changerLun, Buffer.from([0xb8, 0x10, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0]), { readLength: 0xffff });
        if (inv.status !== 0) { await sleep(20); continue; }
        const els = parseElementStatus(inv.data);
        const drive = els.find((e) => e.type === 4 && e.lun === o.driveLuns[1]);
        const at = els.find((e) => e.barcode === o.dataBarcodes[2]);
        const free = els.filter((e) => e.type === 2 && e.barcode === undefined);
        const to = at?.type === 4 || drive?.barcode !== undefined ? free[0] : drive;
        if (at === undefined || to === undefined || free.length === 0) { await sleep(20); continue; }
        const r = await m.move(at.address, to.address);
        if (r.status === 0) this.#report.moves++;
        else if (r.status === 0x02 && typeof decodeSense(r.sense) === 'string') this.#report.tally.fail(`MOVE MEDIUM beside the fuzzer: malformed sense ${r.sense.toString('hex')}`);
      }
    } catch (e) {
      this.#report.tally.fail(`the MOVE MEDIUM session beside the fuzzer: ${(e as Error).message}`);
    } finally {
      await m.close();
    }
  }
}
