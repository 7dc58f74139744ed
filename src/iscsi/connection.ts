// One TCP connection (RFC 7143 §4.2, §7 at ErrorRecoveryLevel 0): framing,
// the login phase, then hand-over to the full feature phase. Owns StatSN, the
// Target Transfer Tags (the output side is pdu-writer.ts).
import type { Socket } from 'node:net';
import { DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH, LoginStatus } from './constants.ts';
import { FullFeaturePhase, type Channel } from './full-feature.ts';
import { LoginNegotiator, type LoginConfig, type LoginReply, type LoginResult } from './login.ts';
import type { Logger } from './logger.ts';
import { defaultParams, type SessionParams } from './negotiation.ts';
import { NopKeepAlive } from './nop.ts';
import type { TargetPdu } from './pdu-serializer.ts';
import { isFramingError, PduParser } from './pdu-parser.ts';
import { decodePdu, type InitiatorPdu, type LoginRequestPdu } from './pdu.ts';
import { PduWriter } from './pdu-writer.ts';
import type { LogLimiter } from './auth-throttle.ts';
import type { Session } from './session.ts';
import type { ScsiTask, Stamp } from './task.ts';
import type { TargetDefinition } from './target.ts';
import { encodeText } from './text.ts';
import type { ScsiResult } from '../../scsi/command.ts';

/** What a connection needs from the server. */
export interface ConnectionHost {
  readonly logger: Logger;
  readonly login: LoginConfig;
  readonly nopIntervalMs: number;
  readonly nopTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly maxTaskDataLength: number;
  /** Immediate SCSI commands a session may have outstanding before more are rejected. */
  readonly maxImmediateTasks: number;
  /** A discovery session without a request for this long is closed. */
  readonly discoveryIdleMs: number;
  /** Rate limit of the log lines failed logins cause. */
  readonly loginLog: LogLimiter;
  /** An authentication failure of `initiatorName` from `address`: how long to wait before answering it (ms). */
  authFailed(initiatorName: string | undefined, address: string): number;
  authSucceeded(initiatorName: string, address: string): void;
  /** A session has commands waiting for data budget (R2Ts and reads held back). */
  budgetExceeded(session: Session, peer: string): void;
  readonly advertisedAddress: string | undefined;
  targets(): readonly TargetDefinition[];
  /** Build (or refuse) the session a completed login asks for. */
  openSession(result: LoginResult, conn: Connection): Session | { status: LoginStatus; reason: string };
  sessionClosed(session: Session, conn: Connection): void;
  sessionsOf(target: TargetDefinition): Iterable<Session>;
  dropTarget(target: TargetDefinition): void;
}

type Phase = 'login' | 'full' | 'logout' | 'closed';

export class Connection {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #log: Logger;
  readonly #parser = new PduParser();
  readonly #login: LoginNegotiator;
  readonly #channel: Channel;
  readonly #nop: NopKeepAlive;
  readonly #out: PduWriter;
  #phase: Phase = 'login';
  #full: FullFeaturePhase | undefined;
  #session: Session | undefined;
  #params: SessionParams;
  #statSN = 1;
  #cid = 0;
  #loginCmdSN = 0;
  #nextTtt = 1;
  #loginTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket;
    this.#host = host;
    this.#log = host.logger;
    this.#login = new LoginNegotiator(host.login);
    this.#params = defaultParams(host.login.offer.maxRecvDataSegmentLength);
    this.#parser.maxDataSegmentLength = DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    this.#channel = this.#makeChannel();
    this.#nop = new NopKeepAlive(this.#channel, host.nopIntervalMs, host.nopTimeoutMs);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    this.#out = new PduWriter(socket, () => this.#pump());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log.debug('socket error', { peer: this.peer, error: err.message }));
    socket.on('close', () => this.#closed());
    this.#loginTimer = setTimeout(() => {
      if (this.#phase === 'login') {
        this.#log.warn('login timed out', { peer: this.peer });
        this.destroy();
      }
    }, host.loginTimeoutMs);
    this.#loginTimer.unref();
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

  /** Bytes queued for the socket besides budgeted Data-In. */
  get queuedOutput(): number {
    return this.#out.unbudgeted;
  }

  /** Drop the connection now (ERL 0 recovery is the initiator's re-login). */
  destroy(): void {
    if (this.#phase === 'closed') return;
    this.#socket.destroy();
    this.#closed();
  }

  /** A task finished (called by the session). */
  sendResult(task: ScsiTask, result: ScsiResult): void {
    this.#full?.sendResult(task, result);
  }

  #closed(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    if (this.#loginTimer !== undefined) clearTimeout(this.#loginTimer);
    this.#loginTimer = undefined;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#nop.stop();
    this.#releaseSession();
  }

  #releaseSession(): void {
    const s = this.#session;
    if (s !== undefined) {
      void s.close();
      this.#host.sessionClosed(s, this);
    }
  }

  #makeChannel(): Channel {
    const conn = this;
    return {
      host: this.#host,
      log: this.#log,
      get peer() {
        return conn.peer;
      },
      get cid() {
        return conn.#cid;
      },
      get params() {
        return conn.#params;
      },
      get closed() {
        return conn.#phase === 'closed';
      },
      stamp: () => this.#stamp(),
      send: (pdu, flushed, budgeted) => this.#send(pdu, flushed, budgeted),
      reject: (pdu, reason) => this.#reject(pdu, reason),
      fatal: (reason, meta) => this.#fatal(reason, meta),
      allocateTtt: () => this.#allocateTtt(),
      portalAddress: () => this.#portalAddress(),
      destroy: () => this.destroy(),
      enterLogout: () => {
        this.#phase = 'logout';
      },
      endAndReleaseSession: () => {
        this.#socket.end();
        this.#releaseSession();
      },
    };
  }

  // ---- input -------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#nop.touch(Date.now());
    this.#parser.push(chunk);
    this.#pump();
  }

  #pump(): void {
    while (this.#phase !== 'closed' && !this.#out.paused) {
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
    if (this.#idleTimer !== undefined && pdu.kind !== 'nop-out') this.#idleTimer.refresh();
    this.#full!.receive(pdu);
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

  #send(pdu: TargetPdu, flushed?: () => void, budgeted?: number): void {
    if (this.#phase === 'closed') {
      flushed?.();
      return;
    }
    this.#out.send(pdu, flushed, budgeted);
  }

  #reject(pdu: InitiatorPdu, reason: number): void {
    const st = this.#stamp();
    this.#send({
      kind: 'reject',
      reason,
      dataSN: 0,
      header: pdu.raw.bhs,
      statSN: st.statSN(true),
      expCmdSN: st.expCmdSN,
      maxCmdSN: st.maxCmdSN,
    });
  }

  #fatal(reason: string, meta: Record<string, unknown> = {}): void {
    this.#log.warn(`protocol error: ${reason}; dropping connection`, { peer: this.peer, ...meta });
    this.destroy();
  }

  #allocateTtt(): number {
    const t = this.#nextTtt;
    this.#nextTtt = this.#nextTtt >= 0xfffffffe ? 1 : this.#nextTtt + 1;
    return t;
  }

  #portalAddress(): string {
    if (this.#host.advertisedAddress !== undefined) return this.#host.advertisedAddress;
    let addr = this.#socket.localAddress ?? '127.0.0.1';
    if (addr.startsWith('::ffff:')) addr = addr.slice(7);
    const host = addr.includes(':') ? `[${addr}]` : addr;
    return `${host}:${this.#socket.localPort ?? 3260}`;
  }

  // ---- login phase (RFC 7143 §6, §11.12, §11.13) -------------------------

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
        this.#full = new FullFeaturePhase(this.#channel, opened, this.#nop);
        this.#out.headerDigest = this.#params.headerDigest;
        this.#out.dataDigest = this.#params.dataDigest;
        this.#parser.headerDigest = this.#params.headerDigest;
        this.#parser.dataDigest = this.#params.dataDigest;
        this.#parser.maxDataSegmentLength = this.#params.maxRecvDataSegmentLength;
        this.#parser.dataSink = this.#full.dataSink;
        this.#log.info('login', {
          peer: this.peer,
          initiator: step.result.initiatorName,
          target: step.result.target?.iqn,
          type: step.result.sessionType,
          tsih: opened.tsih,
          headerDigest: this.#params.headerDigest,
          dataDigest: this.#params.dataDigest,
        });
        if (this.#loginTimer !== undefined) clearTimeout(this.#loginTimer);
        this.#loginTimer = undefined;
        if (step.result.chapVerified) this.#host.authSucceeded(step.result.initiatorName, this.#address);
        if (step.result.sessionType === 'Discovery') this.#startIdleTimer();
        else this.#nop.start();
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
    this.#send({
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
    });
  }

  get #address(): string {
    return this.#socket.remoteAddress ?? '?';
  }

  /**
   * A discovery session holds a connection and is never needed for long
   * (SendTargets, then Logout): one that sends no request (NOP-Outs do not
   * count) for discoveryIdleMs is closed.
   */
  #startIdleTimer(): void {
    const ms = this.#host.discoveryIdleMs;
    if (ms <= 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#log.info('discovery session idle, closing it', { peer: this.peer, initiator: this.#session?.initiatorName, idleMs: ms });
      this.destroy();
    }, ms);
    this.#idleTimer.unref();
  }

  #loginFailed(pdu: LoginRequestPdu, status: LoginStatus, reason: string, pairs: [string, string][]): void {
    const initiator = this.#login.initiatorName;
    // Authentication failures are answered late, later with each one (AuthThrottle).
    const delay = status === LoginStatus.AUTHENTICATION_FAILURE ? this.#host.authFailed(initiator, this.#address) : 0;
    const extra = this.#host.loginLog.allow();
    if (extra !== undefined) {
      this.#log.warn('login failed', {
        peer: this.peer,
        initiator,
        status: `0x${status.toString(16).padStart(4, '0')}`,
        reason,
        ...(delay > 0 && { delayMs: delay }),
        ...extra,
      });
    }
    this.#phase = 'logout';
    const answer = (): void => {
      if (this.#socket.destroyed) return;
      this.#sendLogin(pdu, { transit: false, csg: pdu.csg, nsg: 0, pairs }, status, 0);
      this.#socket.end();
    };
    if (delay <= 0) return answer();
    if (this.#loginTimer !== undefined) clearTimeout(this.#loginTimer);
    this.#loginTimer = setTimeout(answer, delay);
    this.#loginTimer.unref();
  }
}
