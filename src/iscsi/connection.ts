// One TCP connection: framing, the login phase, then full feature phase PDU
// routing (RFC 7143 §4.2, §7 at ErrorRecoveryLevel 0). Owns StatSN, the write
// path (corked writev of header + data views) and NOP-In keep-alive.
import type { Socket } from 'node:net';
import {
  DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH,
  LoginStatus,
  LogoutReason,
  LogoutResponseCode,
  RejectReason,
  RESERVED_TAG,
} from './constants.ts';
import { LoginNegotiator, type LoginConfig, type LoginReply, type LoginResult } from './login.ts';
import type { Logger } from './logger.ts';
import { decodeLun } from './lun.ts';
import { defaultParams, parseNumber, type SessionParams } from './negotiation.ts';
import { encodePdu, frame, type TargetPdu } from './pdu-serializer.ts';
import { isFramingError, PduParser } from './pdu-parser.ts';
import {
  decodePdu,
  type DataOutPdu,
  type InitiatorPdu,
  type LoginRequestPdu,
  type LogoutRequestPdu,
  type NopOutPdu,
  type ScsiCommandPdu,
  type TaskMgmtPdu,
  type TextRequestPdu,
} from './pdu.ts';
import { checkCondition, type Session } from './session.ts';
import { sendTargets } from './discovery.ts';
import { DataOutSense, responsePdus, ScsiTask, type Stamp } from './task.ts';
import type { TargetDefinition } from './target.ts';
import { taskManagement } from './tmf.ts';
import { encodeText, parseText, TextFormatError } from './text.ts';
import { Sense } from '../../scsi/sense.ts';
import type { ScsiResult } from '../../scsi/command.ts';

/** What a connection needs from the server. */
export interface ConnectionHost {
  readonly logger: Logger;
  readonly login: LoginConfig;
  readonly nopIntervalMs: number;
  readonly nopTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly maxTaskDataLength: number;
  /** Tasks a session may hold before immediate SCSI commands are rejected. */
  readonly maxImmediateTasks: number;
  readonly advertisedAddress: string | undefined;
  targets(): readonly TargetDefinition[];
  /** Build (or refuse) the session a completed login asks for. */
  openSession(result: LoginResult, conn: Connection): Session | { status: LoginStatus; reason: string };
  sessionClosed(session: Session, conn: Connection): void;
  sessionsOf(target: TargetDefinition): Iterable<Session>;
  dropTarget(target: TargetDefinition): void;
}

type Phase = 'login' | 'full' | 'logout' | 'closed';

/** Pause reading when this much is queued for the socket. */
const WRITE_HIGH_WATER = 16 * 1024 * 1024;
/** Bound on a text request carried over several PDUs. */
const MAX_TEXT = 65536;

export class Connection {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #log: Logger;
  readonly #parser = new PduParser();
  readonly #login: LoginNegotiator;
  #phase: Phase = 'login';
  #session: Session | undefined;
  #params: SessionParams;
  #statSN = 1;
  #cid = 0;
  #loginCmdSN = 0;
  #headerDigest = false;
  #dataDigest = false;
  #nextTtt = 1;
  #corked = false;
  #paused = false;
  #lastActivity = Date.now();
  #ping: { ttt: number; sentAt: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #textIn: { itt: number; ttt: number; parts: Buffer[]; bytes: number } | undefined;
  #textOut: { itt: number; ttt: number; rest: Buffer } | undefined;

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket;
    this.#host = host;
    this.#log = host.logger;
    this.#login = new LoginNegotiator(host.login);
    this.#params = defaultParams(host.login.offer.maxRecvDataSegmentLength);
    this.#parser.maxDataSegmentLength = DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (err) => this.#log.debug('socket error', { peer: this.peer, error: err.message }));
    socket.on('close', () => this.#closed());
    this.#timer = setTimeout(() => {
      if (this.#phase === 'login') {
        this.#log.warn('login timed out', { peer: this.peer });
        this.destroy();
      }
    }, host.loginTimeoutMs);
    this.#timer.unref();
  }

  get peer(): string {
    return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? 0}`;
  }

  get cid(): number {
    return this.#cid;
  }

  get session(): Session | undefined {
    return this.#session;
  }

  /** Drop the connection now (ERL 0 recovery is the initiator's re-login). */
  destroy(): void {
    if (this.#phase === 'closed') return;
    this.#socket.destroy();
    this.#closed();
  }

  #closed(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const s = this.#session;
    if (s !== undefined) {
      void s.close();
      this.#host.sessionClosed(s, this);
    }
  }

  // ---- input -------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#lastActivity = Date.now();
    this.#parser.push(chunk);
    this.#pump();
  }

  #pump(): void {
    while (this.#phase !== 'closed' && !this.#paused) {
      const r = this.#parser.next();
      if (r === undefined) return;
      if (isFramingError(r)) {
        // RFC 7143 §7.8: a header digest error leaves no way to find the next PDU; at ERL 0, drop.
        this.#log.warn('framing error, dropping connection', { peer: this.peer, error: r.error, detail: r.detail });
        this.destroy();
        return;
      }
      let pdu: InitiatorPdu | undefined;
      try {
        pdu = decodePdu(r);
        this.#receive(pdu);
      } catch (e) {
        this.#log.error('PDU handling failed, dropping connection', {
          peer: this.peer,
          kind: pdu?.kind,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        });
        this.destroy();
        return;
      }
    }
  }

  #onDrain(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket.resume();
    this.#pump();
  }

  #receive(pdu: InitiatorPdu): void {
    if (this.#phase === 'login') {
      if (pdu.kind !== 'login') {
        this.#log.warn('non-login PDU during login', { peer: this.peer, kind: pdu.kind });
        this.destroy();
        return;
      }
      this.#onLogin(pdu);
      return;
    }
    if (this.#phase !== 'full') return; // after logout nothing more is processed
    const session = this.#session!;
    if (pdu.raw.dataDigestError && pdu.kind !== 'data-out') {
      // RFC 7143 §7.8: discard the PDU and Reject it; the initiator may retry the command.
      this.#reject(pdu, RejectReason.DATA_DIGEST_ERROR);
      return;
    }
    switch (pdu.kind) {
      case 'login':
        this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      case 'nop-out':
        this.#onNopOut(pdu, session);
        return;
      case 'scsi-command':
        this.#onScsiCommand(pdu, session);
        return;
      case 'data-out':
        this.#onDataOut(pdu, session);
        return;
      case 'task-mgmt':
        this.#onTaskMgmt(pdu, session);
        return;
      case 'text':
        this.#onText(pdu, session);
        return;
      case 'logout':
        this.#onLogout(pdu, session);
        return;
      case 'snack':
        // SNACK needs ErrorRecoveryLevel > 0.
        this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      case 'invalid':
        this.#log.debug('rejecting PDU', { peer: this.peer, opcode: pdu.opcode, detail: pdu.detail });
        this.#reject(pdu, pdu.reason);
        return;
      default: {
        const never: never = pdu;
        throw new Error(`unhandled PDU ${String(never)}`);
      }
    }
  }

  // ---- output ------------------------------------------------------------

  #stamp(): Stamp {
    const s = this.#session;
    const exp = s?.expCmdSN ?? this.#loginCmdSN;
    const max = s?.maxCmdSN ?? this.#loginCmdSN;
    return {
      statSN: (advance: boolean) => (advance ? this.#statSN++ >>> 0 : this.#statSN >>> 0),
      expCmdSN: exp,
      maxCmdSN: max,
    };
  }

  #send(pdus: readonly TargetPdu[]): void {
    if (this.#phase === 'closed' || this.#socket.destroyed) return;
    const socket = this.#socket;
    if (!this.#corked) {
      // Coalesce everything written in this tick into one writev.
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    for (const p of pdus) {
      for (const b of frame(encodePdu(p), this.#headerDigest, this.#dataDigest)) socket.write(b);
    }
    if (!this.#paused && socket.writableLength > WRITE_HIGH_WATER) {
      this.#paused = true;
      socket.pause();
    }
  }

  #reject(pdu: InitiatorPdu, reason: number): void {
    const st = this.#stamp();
    this.#send([
      {
        kind: 'reject',
        reason,
        dataSN: 0,
        header: pdu.raw.bhs,
        statSN: st.statSN(true),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      },
    ]);
  }

  /** A protocol error at ERL 0: log and drop the connection (the session goes with it). */
  #fatal(reason: string, meta: Record<string, unknown> = {}): void {
    this.#log.warn(`protocol error: ${reason}; dropping connection`, { peer: this.peer, ...meta });
    this.destroy();
  }

  // ---- login -------------------------------------------------------------

  #onLogin(pdu: LoginRequestPdu): void {
    if (pdu.raw.dataDigestError) return this.#fatal('digest error during login');
    this.#cid = pdu.cid;
    this.#loginCmdSN = pdu.cmdSN;
    const step = this.#login.step(pdu);
    switch (step.kind) {
      case 'reply':
        this.#sendLogin(pdu, step.reply, LoginStatus.SUCCESS, pdu.tsih);
        return;
      case 'fail':
        this.#loginFailed(pdu, step.status, step.reason, step.pairs);
        return;
      case 'complete': {
        const opened = this.#host.openSession(step.result, this);
        if (!('tsih' in opened)) {
          this.#loginFailed(pdu, opened.status, opened.reason, []);
          return;
        }
        this.#session = opened;
        this.#params = opened.params;
        this.#sendLogin(pdu, step.reply, LoginStatus.SUCCESS, opened.tsih);
        // Digests and our MaxRecvDataSegmentLength apply from the next PDU on.
        this.#phase = 'full';
        this.#headerDigest = this.#params.headerDigest;
        this.#dataDigest = this.#params.dataDigest;
        this.#parser.headerDigest = this.#params.headerDigest;
        this.#parser.dataDigest = this.#params.dataDigest;
        this.#parser.maxDataSegmentLength = this.#params.maxRecvDataSegmentLength;
        this.#log.info('login', {
          peer: this.peer,
          initiator: step.result.initiatorName,
          target: step.result.target?.iqn,
          type: step.result.sessionType,
          tsih: opened.tsih,
          headerDigest: this.#headerDigest,
          dataDigest: this.#dataDigest,
        });
        this.#startNop();
        return;
      }
      default: {
        const never: never = step;
        throw new Error(`unhandled login step ${String(never)}`);
      }
    }
  }

  #sendLogin(pdu: LoginRequestPdu, reply: LoginReply, status: number, tsih: number): void {
    const st = this.#stamp();
    this.#send([
      {
        kind: 'login-response',
        transit: reply.transit,
        continue: false,
        csg: reply.csg,
        nsg: reply.transit ? reply.nsg : 0,
        isid: pdu.isid,
        tsih,
        itt: pdu.itt,
        status,
        data: encodeText(reply.pairs),
        statSN: st.statSN(true),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      },
    ]);
  }

  #loginFailed(pdu: LoginRequestPdu, status: LoginStatus, reason: string, pairs: [string, string][]): void {
    this.#log.warn('login failed', {
      peer: this.peer,
      initiator: this.#login.initiatorName,
      status: `0x${status.toString(16).padStart(4, '0')}`,
      reason,
    });
    this.#sendLogin(pdu, { transit: false, csg: pdu.csg, nsg: 0, pairs }, status, 0);
    this.#phase = 'logout';
    this.#socket.end();
  }

  // ---- NOP ---------------------------------------------------------------

  #startNop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const interval = this.#host.nopIntervalMs;
    if (interval <= 0) return;
    const tick = Math.max(50, Math.min(interval, this.#host.nopTimeoutMs) / 2);
    this.#timer = setInterval(() => this.#nopTick(), tick);
    this.#timer.unref();
  }

  #nopTick(): void {
    const now = Date.now();
    if (this.#ping !== undefined) {
      if (now - this.#ping.sentAt >= this.#host.nopTimeoutMs) {
        this.#log.warn('initiator did not answer NOP-In, dropping connection', { peer: this.peer });
        this.destroy();
      }
      return;
    }
    if (now - this.#lastActivity < this.#host.nopIntervalMs) return;
    const ttt = this.#allocateTtt();
    this.#ping = { ttt, sentAt: now };
    const st = this.#stamp();
    // RFC 7143 §11.19: a target ping carries ITT 0xffffffff and a TTT the initiator echoes; StatSN does not advance.
    this.#send([
      {
        kind: 'nop-in',
        lun: undefined,
        itt: RESERVED_TAG,
        ttt,
        data: undefined,
        statSN: st.statSN(false),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      },
    ]);
  }

  #allocateTtt(): number {
    const t = this.#nextTtt;
    this.#nextTtt = this.#nextTtt >= 0xfffffffe ? 1 : this.#nextTtt + 1;
    return t;
  }

  #onNopOut(pdu: NopOutPdu, session: Session): void {
    if (pdu.itt === RESERVED_TAG) {
      // An answer to our ping (or a no-reply NOP): never answered (RFC 7143 §11.18).
      if (this.#ping !== undefined && pdu.ttt === this.#ping.ttt) this.#ping = undefined;
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      const st = this.#stamp();
      const echo = pdu.data.length > 0 ? pdu.data.subarray(0, this.#params.maxSendDataSegmentLength) : undefined;
      this.#send([
        {
          kind: 'nop-in',
          lun: pdu.lun,
          itt: pdu.itt,
          ttt: RESERVED_TAG,
          data: echo,
          statSN: st.statSN(true),
          expCmdSN: st.expCmdSN,
          maxCmdSN: st.maxCmdSN,
        },
      ]);
    });
  }

  // ---- SCSI --------------------------------------------------------------

  #onScsiCommand(pdu: ScsiCommandPdu, session: Session): void {
    if (session.sessionType === 'Discovery') {
      this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
      return;
    }
    if (pdu.immediate && session.taskCount >= this.#host.maxImmediateTasks) {
      // Immediate commands bypass the CmdSN window; bound them separately.
      this.#reject(pdu, RejectReason.IMMEDIATE_COMMAND_REJECT);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => this.#startCommand(pdu, session));
  }

  #startCommand(pdu: ScsiCommandPdu, session: Session): void {
    const p = this.#params;
    const imm = pdu.data.length;
    if (session.task(pdu.itt) !== undefined) {
      this.#reject(pdu, RejectReason.TASK_IN_PROGRESS);
      return;
    }
    if (imm > 0 && (!pdu.write || !p.immediateData || imm > p.firstBurstLength || imm > pdu.expectedLength)) {
      // RFC 7143 §11.3.4: immediate data only with ImmediateData=Yes, W set, within FirstBurstLength and EDTL.
      this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
      return;
    }
    const lun = decodeLun(pdu.lun) ?? 0xffff_ffff;
    const readLength = pdu.read ? (pdu.write ? (pdu.bidiReadLength ?? 0) : pdu.expectedLength) : 0;
    const task = new ScsiTask(
      {
        itt: pdu.itt,
        cmdSN: pdu.cmdSN,
        immediate: pdu.immediate,
        lun,
        lunField: pdu.lun,
        cdb: pdu.cdb,
        attribute: pdu.attribute,
        read: pdu.read,
        write: pdu.write,
        expectedLength: pdu.write ? Math.min(pdu.expectedLength, this.#host.maxTaskDataLength) : pdu.expectedLength,
        readLength: Math.min(readLength, this.#host.maxTaskDataLength),
        final: pdu.final,
        immediateData: pdu.data,
      },
      p,
    );
    if (pdu.expectedLength > this.#host.maxTaskDataLength || readLength > this.#host.maxTaskDataLength) {
      // Bounded memory: refuse transfers above the configured ceiling.
      this.#log.warn('transfer too large', { peer: this.peer, length: pdu.expectedLength });
      this.#sendResult(task, checkCondition(Sense.invalidFieldInCdb));
      return;
    }
    session.addTask(task);
    if (task.state === 'receiving') this.#sendR2Ts(task);
  }

  #sendR2Ts(task: ScsiTask): void {
    const reqs = task.nextR2Ts(this.#params, () => this.#allocateTtt());
    if (reqs.length === 0) return;
    const st = this.#stamp();
    this.#send(
      reqs.map((r) => ({
        kind: 'r2t' as const,
        lun: task.lunField,
        itt: task.itt,
        ttt: r.ttt,
        r2tSN: r.r2tSN,
        bufferOffset: r.offset,
        desiredLength: r.length,
        statSN: st.statSN(false),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      })),
    );
  }

  #onDataOut(pdu: DataOutPdu, session: Session): void {
    const task = session.task(pdu.itt);
    if (task === undefined || task.state !== 'receiving') {
      // Data for an aborted, failed or finished task is discarded (RFC 7143 §4.2.3.3).
      return;
    }
    if (pdu.raw.dataDigestError) {
      // RFC 7143 §7.8: Reject the PDU. Without recovery R2T (ERL 1) the data is
      // lost, so the task ends in CHECK CONDITION instead of writing garbage.
      this.#reject(pdu, RejectReason.DATA_DIGEST_ERROR);
      task.fail(DataOutSense.iuCrcError);
      session.taskReady(task);
      return;
    }
    const outcome = task.acceptDataOut(pdu);
    switch (outcome.kind) {
      case 'protocol-error':
        // A DataSN/offset/TTT error cannot be recovered at ERL 0 (no recovery
        // R2T). Reject the PDU and end the task in CHECK CONDITION: nothing of
        // it reaches the medium, and the connection stays usable.
        this.#log.warn('Data-Out sequence error', { peer: this.peer, itt: task.itt, reason: outcome.reason });
        this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
        task.fail(outcome.sense);
        session.taskReady(task);
        return;
      case 'complete':
        session.taskReady(task);
        return;
      case 'progress':
        this.#sendR2Ts(task);
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unhandled outcome ${String(never)}`);
      }
    }
  }

  /** A task finished (called by the session). */
  sendResult(task: ScsiTask, result: ScsiResult): void {
    this.#sendResult(task, result);
  }

  #sendResult(task: ScsiTask, result: ScsiResult): void {
    if (this.#phase === 'closed') return;
    this.#send(responsePdus(task, result, this.#params, this.#stamp()));
  }

  // ---- task management ---------------------------------------------------

  #onTaskMgmt(pdu: TaskMgmtPdu, session: Session): void {
    if (session.sessionType === 'Discovery') {
      this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      taskManagement(pdu, session, { sessionsOf: (t) => this.#host.sessionsOf(t), logger: this.#log }).then(
        (outcome) => {
          const st = this.#stamp();
          this.#send([
            {
              kind: 'task-mgmt-response',
              response: outcome.response,
              itt: pdu.itt,
              statSN: st.statSN(true),
              expCmdSN: st.expCmdSN,
              maxCmdSN: st.maxCmdSN,
            },
          ]);
          this.#log.info('task management', { peer: this.peer, fn: pdu.fn, response: outcome.response });
          if (outcome.dropTargetConnections && session.target !== undefined) {
            const target = session.target;
            // Let the response leave before the connections go (RFC 7143 §11.5.1 cold reset).
            setImmediate(() => this.#host.dropTarget(target));
          }
        },
        (e: unknown) => this.#fatal('task management failed', { error: String(e) }),
      );
    });
  }

  // ---- text --------------------------------------------------------------

  #onText(pdu: TextRequestPdu, session: Session): void {
    if (pdu.ttt !== RESERVED_TAG) {
      this.#continueText(pdu);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      if (pdu.continue) {
        // RFC 7143 §11.10.2: more request text follows; answer empty and wait.
        const cont = this.#textIn ?? { itt: pdu.itt, ttt: this.#allocateTtt(), parts: [], bytes: 0 };
        cont.parts.push(pdu.data);
        cont.bytes += pdu.data.length;
        if (cont.bytes > MAX_TEXT) return this.#fatal('text request too long');
        this.#textIn = cont;
        this.#sendText(pdu, Buffer.alloc(0), false, cont.ttt);
        return;
      }
      this.#answerText(pdu, session, pdu.data);
    });
  }

  #continueText(pdu: TextRequestPdu): void {
    const inbound = this.#textIn;
    if (inbound !== undefined && inbound.ttt === pdu.ttt) {
      inbound.parts.push(pdu.data);
      inbound.bytes += pdu.data.length;
      if (inbound.bytes > MAX_TEXT) return this.#fatal('text request too long');
      if (pdu.continue) {
        this.#sendText(pdu, Buffer.alloc(0), false, inbound.ttt);
        return;
      }
      this.#textIn = undefined;
      this.#answerText(pdu, this.#session!, Buffer.concat(inbound.parts));
      return;
    }
    const out = this.#textOut;
    if (out !== undefined && out.ttt === pdu.ttt && out.itt === pdu.itt) {
      this.#textOut = undefined;
      this.#sendTextChunked(pdu, out.rest);
      return;
    }
    this.#reject(pdu, RejectReason.INVALID_PDU_FIELD);
  }

  #answerText(pdu: TextRequestPdu, session: Session, data: Buffer): void {
    let pairs: [string, string][];
    try {
      pairs = parseText(data);
    } catch (e) {
      if (e instanceof TextFormatError) {
        this.#reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      }
      throw e;
    }
    const out: [string, string][] = [];
    for (const [key, value] of pairs) {
      if (key === 'SendTargets') {
        const found = sendTargets(value, {
          targets: this.#host.targets(),
          sessionTarget: session.target,
          sessionType: session.sessionType,
          initiatorName: session.initiatorName,
          address: this.#portalAddress(),
        });
        if (found === undefined) out.push(['SendTargets', 'Reject']);
        else out.push(...found);
      } else if (key === 'MaxRecvDataSegmentLength') {
        // Declarative, may change in full feature phase (RFC 7143 §13.12).
        const n = parseNumber(value);
        if (n === undefined || n < 512 || n > 16777215) out.push([key, 'Reject']);
        else this.#params.maxSendDataSegmentLength = n;
      } else {
        out.push([key, 'NotUnderstood']);
      }
    }
    this.#sendTextChunked(pdu, encodeText(out));
  }

  #sendTextChunked(pdu: TextRequestPdu, text: Buffer): void {
    const max = this.#params.maxSendDataSegmentLength;
    if (text.length <= max) {
      this.#sendText(pdu, text, true, RESERVED_TAG);
      return;
    }
    // RFC 7143 §11.11.1: C=1 and a TTT; the initiator asks for the rest with that TTT.
    const ttt = this.#allocateTtt();
    this.#textOut = { itt: pdu.itt, ttt, rest: text.subarray(max) };
    this.#sendText(pdu, text.subarray(0, max), false, ttt, true);
  }

  #sendText(pdu: TextRequestPdu, data: Buffer, final: boolean, ttt: number, more = false): void {
    const st = this.#stamp();
    this.#send([
      {
        kind: 'text-response',
        final,
        continue: more,
        lun: pdu.lun,
        itt: pdu.itt,
        ttt,
        data,
        statSN: st.statSN(true),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      },
    ]);
  }

  #portalAddress(): string {
    if (this.#host.advertisedAddress !== undefined) return this.#host.advertisedAddress;
    let addr = this.#socket.localAddress ?? '127.0.0.1';
    if (addr.startsWith('::ffff:')) addr = addr.slice(7);
    const host = addr.includes(':') ? `[${addr}]` : addr;
    return `${host}:${this.#socket.localPort ?? 3260}`;
  }

  // ---- logout ------------------------------------------------------------

  #onLogout(pdu: LogoutRequestPdu, session: Session): void {
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      let code: number;
      if (pdu.reason === LogoutReason.REMOVE_FOR_RECOVERY) code = LogoutResponseCode.RECOVERY_NOT_SUPPORTED;
      else if (pdu.reason === LogoutReason.CLOSE_CONNECTION && pdu.cid !== this.#cid) code = LogoutResponseCode.CID_NOT_FOUND;
      else if (pdu.reason === LogoutReason.CLOSE_SESSION || pdu.reason === LogoutReason.CLOSE_CONNECTION) {
        code = LogoutResponseCode.CLOSED;
      } else {
        this.#reject(pdu, RejectReason.INVALID_PDU_FIELD);
        return;
      }
      if (code !== LogoutResponseCode.CLOSED) {
        this.#sendLogout(pdu, code);
        return;
      }
      // Tasks already running complete and answer first; those still waiting
      // for data or for their turn are terminated (RFC 7143 §11.14).
      this.#phase = 'logout';
      const running: Promise<void>[] = [];
      for (const t of session.tasks()) if (t.state === 'executing' && t.settled !== undefined) running.push(t.settled);
      void session.abort((t) => t.state !== 'executing');
      void Promise.all(running).then(() => {
        this.#sendLogout(pdu, code);
        this.#log.info('logout', { peer: this.peer, tsih: session.tsih });
        this.#socket.end();
        const s = this.#session;
        if (s !== undefined) {
          void s.close();
          this.#host.sessionClosed(s, this);
        }
      });
    });
  }

  #sendLogout(pdu: LogoutRequestPdu, code: number): void {
    const st = this.#stamp();
    this.#send([
      {
        kind: 'logout-response',
        response: code,
        itt: pdu.itt,
        // ERL 0 keeps nothing for reconnection: Time2Wait/Time2Retain 0 after a session close.
        time2Wait: pdu.reason === LogoutReason.CLOSE_SESSION ? 0 : this.#params.defaultTime2Wait,
        time2Retain: 0,
        statSN: st.statSN(true),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      },
    ]);
  }
}

