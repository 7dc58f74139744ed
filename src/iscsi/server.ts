// s3vtl's iSCSI target (RFC 7143, ErrorRecoveryLevel 0, one connection per session).
//
// Public surface:
//
//   const server = new IscsiServer({
//     listen: { host: '0.0.0.0', port: 3260 },
//     targets: [{ iqn, alias?, tpgt?, luns: Map<number, LogicalUnit>, chap?, allowedInitiators?, unmappedLun? }],
//     logger,                     // { debug, info, warn, error }(msg, meta)
//     nopIntervalMs?: 15000,      // NOP-In ping after this much idleness; 0 disables
//     nopTimeoutMs?: 15000,       // drop the connection when a ping stays unanswered this long
//     loginTimeoutMs?: 15000,
//     queueDepth?: 128,           // CmdSN window per session (bounds queued tasks)
//     maxTaskDataLength?: 64 MiB, // largest single transfer; larger → CHECK CONDITION
//     negotiation?: Partial<TargetOffer>, // our side of MaxRecvDataSegmentLength, MaxBurstLength, digests, ...
//     discoveryChap?: ChapCredentials,    // require CHAP for discovery sessions
//     chapAlgorithms?: ChapAlgorithm[],   // default [5 MD5, 6 SHA-1, 7 SHA-256, 8 SHA3-256]
//     advertisedAddress?: '192.0.2.1:3260', // TargetAddress in SendTargets (default: the local end of each connection)
//     limits?: Partial<IscsiLimits>,      // Data-Out memory, sessions, connections, descriptors, discovery idle, CHAP delays (limits.ts)
//   });
//   const { port } = await server.listen();
//   ...
//   await server.close();   // drops every connection; logical units are the wiring's to close
//
// Targets and their LUN maps are read live: addTarget(), addLun() and
// removeLun() change them while the server runs; a LUN added or removed raises
// REPORTED LUNS DATA HAS CHANGED (3F/0E) on the target's other LUNs, and the
// next command sees the new map. Each command reaches LogicalUnit.execute() in
// CmdSN order per LUN with a Nexus whose initiatorPort is
// "<InitiatorName>,i,0x<ISID>" and targetPort "<iqn>,t,0x<tpgt as 4 hex digits>".
// A LUN absent from the map goes to `unmappedLun` when given, else is answered
// CHECK CONDITION / LOGICAL UNIT NOT SUPPORTED.
//
// Residuals: for reads the transport compares ScsiResult.dataIn with the
// initiator's expected length (longer → truncated, overflow; shorter →
// underflow). For writes, a logical unit that knows the command's own
// transfer length (SPDTL) reports it as `dataOutUsed`; the transport reports
// overflow when it exceeds the expected length and underflow when below.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { SUPPORTED_CHAP_ALGORITHMS, type ChapAlgorithm } from './chap.ts';
import { AuthThrottle, LogLimiter } from './auth-throttle.ts';
import { LoginStatus } from './constants.ts';
import { DataBudget, SESSION_FLOOR } from './data-budget.ts';
import { DEFAULT_LIMITS, procDescriptors, refuseConnection, type Descriptors, type IscsiLimits } from './limits.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import type { LoginConfig, LoginResult } from './login.ts';
import type { Logger } from './logger.ts';
import { DEFAULT_OFFER, type TargetOffer } from './negotiation.ts';
import { Session } from './session.ts';
import { portalGroupTag, targetPortName, type ChapCredentials, type TargetDefinition } from './target.ts';
import type { LogicalUnit, Nexus } from '../../scsi/command.ts';

export type { TargetDefinition, ChapCredentials } from './target.ts';
export type { Logger } from './logger.ts';
export type { TargetOffer } from './negotiation.ts';
export type { ChapAlgorithm } from './chap.ts';
export type { IscsiLimits } from './limits.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export { encodeLun, decodeLun } from './lun.ts';

export interface IscsiServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly targets: readonly TargetDefinition[];
  readonly logger: Logger;
  readonly nopIntervalMs?: number;
  readonly nopTimeoutMs?: number;
  readonly loginTimeoutMs?: number;
  readonly queueDepth?: number;
  readonly maxTaskDataLength?: number;
  readonly negotiation?: Partial<TargetOffer>;
  readonly discoveryChap?: ChapCredentials;
  readonly chapAlgorithms?: readonly ChapAlgorithm[];
  readonly advertisedAddress?: string;
  readonly limits?: Partial<IscsiLimits>;
  /** How file descriptors are counted (default: /proc/self). */
  readonly descriptors?: Descriptors;
  /** The clock of the authentication failure delays (tests). */
  readonly now?: () => number;
}

/** Immediate SCSI commands outstanding per session (RFC 7143 §4.2.2.1 asks for at least one). */
const MAX_IMMEDIATE_TASKS = 4;

export class IscsiServer {
  readonly #options: IscsiServerOptions;
  readonly #log: Logger;
  readonly #host: ConnectionHost;
  readonly #connections = new Set<Connection>();
  readonly #sessions = new Map<number, { session: Session; conn: Connection }>();
  readonly #queueDepth: number;
  readonly #limits: IscsiLimits;
  readonly #budget: DataBudget;
  readonly #descriptors: Descriptors;
  readonly #fdLimit: number | undefined;
  readonly #refusedLog = new LogLimiter();
  readonly #budgetLog = new LogLimiter();
  readonly #targets: TargetDefinition[];
  #nextTsih = 1;
  #server: Server | undefined;

  constructor(options: IscsiServerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#queueDepth = options.queueDepth ?? 128;
    const limits = (this.#limits = { ...DEFAULT_LIMITS, ...options.limits });
    this.#budget = new DataBudget({ total: limits.maxBuffered, perSession: limits.maxBufferedPerSession, floor: SESSION_FLOOR });
    this.#descriptors = options.descriptors ?? procDescriptors;
    this.#fdLimit = this.#descriptors.limit();
    const throttle = new AuthThrottle({ initialDelayMs: limits.authFailureDelayMs, maxDelayMs: limits.authFailureDelayMaxMs, now: options.now });
    this.#targets = [...options.targets];
    const offer: TargetOffer = { ...DEFAULT_OFFER, ...options.negotiation };
    const login: LoginConfig = {
      offer,
      findTarget: (iqn) => this.#targets.find((t) => t.iqn === iqn),
      discoveryChap: options.discoveryChap,
      chapAlgorithms: options.chapAlgorithms ?? SUPPORTED_CHAP_ALGORITHMS,
      randomBytes: (n) => randomBytes(n),
    };
    this.#host = {
      logger: this.#log,
      login,
      nopIntervalMs: options.nopIntervalMs ?? 15_000,
      nopTimeoutMs: options.nopTimeoutMs ?? 15_000,
      loginTimeoutMs: options.loginTimeoutMs ?? 15_000,
      // A transfer larger than a session's budget could never be reserved.
      maxTaskDataLength: Math.min(options.maxTaskDataLength ?? 64 * 1024 * 1024, limits.maxBufferedPerSession),
      maxImmediateTasks: Math.min(MAX_IMMEDIATE_TASKS, this.#queueDepth),
      discoveryIdleMs: limits.discoveryIdleMs,
      loginLog: new LogLimiter(10, 10_000, options.now),
      authFailed: (name, address) => throttle.failed(name, address),
      authSucceeded: (name, address) => throttle.succeeded(name, address),
      budgetExceeded: (session, peer) => {
        const extra = this.#budgetLog.allow();
        if (extra === undefined) return;
        this.#log.warn('data budget spent: holding back R2Ts and reads', {
          peer,
          initiator: session.initiatorName,
          sessionReserved: session.budget.reserved,
          reserved: this.#budget.reserved,
          ...extra,
        });
      },
      advertisedAddress: options.advertisedAddress,
      targets: () => this.#targets,
      openSession: (result, conn) => this.#openSession(result, conn),
      sessionClosed: (session) => this.#sessionClosed(session),
      sessionsOf: (target) => this.#sessionsOf(target),
      dropTarget: (target) => {
        for (const { session, conn } of [...this.#sessions.values()]) if (session.target === target) conn.destroy();
      },
    };
  }

  /** Start accepting connections; resolves with the bound port (useful with port 0). */
  listen(): Promise<{ port: number }> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.listen.port, this.#options.listen.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.#log.error('listener error', { error: e.message }));
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : this.#options.listen.port;
        this.#log.info('iSCSI target listening', { host: this.#options.listen.host, port });
        resolve({ port });
      });
    });
  }

  /** Stop listening and drop every connection (sessions end; logical units see nexusLost). */
  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const c of [...this.#connections]) c.destroy();
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** A target defined while running: discovery lists it and logins reach it from now on. */
  addTarget(target: TargetDefinition): void {
    if (this.#targets.some((t) => t.iqn === target.iqn)) throw new Error(`target ${target.iqn} exists already`);
    this.#targets.push(target);
  }

  /** The target named `iqn`, if defined. */
  target(iqn: string): TargetDefinition | undefined {
    return this.#targets.find((t) => t.iqn === iqn);
  }

  /**
   * Map `lu` at `lun` of a target while running. SPC-4 6.33: the other LUs of
   * the target establish REPORTED LUNS DATA HAS CHANGED for every I_T nexus, so
   * initiators rescan.
   */
  addLun(iqn: string, lun: number, lu: LogicalUnit): void {
    const t = this.#require(iqn);
    if (t.luns.has(lun)) throw new Error(`LUN ${lun} of ${iqn} is in use`);
    const others = [...t.luns.values()];
    t.luns.set(lun, lu);
    for (const o of others) o.lunsChanged?.();
  }

  /**
   * Unmap a LUN while running; commands already queued to it complete, later
   * ones reach the unmapped LUN. Returns the LU for the caller to close.
   */
  removeLun(iqn: string, lun: number): LogicalUnit | undefined {
    const t = this.#require(iqn);
    const lu = t.luns.get(lun);
    if (lu === undefined) return undefined;
    t.luns.delete(lun);
    for (const o of t.luns.values()) o.lunsChanged?.();
    return lu;
  }

  #require(iqn: string): TargetDefinition {
    const t = this.target(iqn);
    if (t === undefined) throw new Error(`no target ${iqn}`);
    return t;
  }

  /** Live sessions (for status displays). */
  sessions(): { tsih: number; initiatorName: string; isid: string; target: string | undefined }[] {
    return [...this.#sessions.values()].map(({ session: s }) => ({
      tsih: s.tsih,
      initiatorName: s.initiatorName,
      isid: s.isid,
      target: s.target?.iqn,
    }));
  }

  /** Bytes queued for sockets besides budgeted Data-In, in all connections. */
  queuedOutput(): number {
    let n = 0;
    for (const c of this.#connections) n += c.queuedOutput;
    return n;
  }

  /** Data held now and reserved (bytes). */
  dataBudget(): { reserved: number; allocated: number; peakAllocated: number } {
    const b = this.#budget;
    return { reserved: b.reserved, allocated: b.allocated, peakAllocated: b.peakAllocated };
  }

  #accept(socket: Socket): void {
    const refused = refuseConnection(this.#limits, this.#connections.size, this.#descriptors, this.#fdLimit);
    if (refused !== undefined) {
      // No login request has arrived yet to answer with a status: the connection is closed.
      const extra = this.#refusedLog.allow();
      if (extra !== undefined) this.#log.warn('connection refused', { peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: refused, ...extra });
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.#host);
    this.#connections.add(conn);
    socket.on('close', () => this.#connections.delete(conn));
  }

  *#sessionsOf(target: TargetDefinition): Iterable<Session> {
    for (const { session } of this.#sessions.values()) if (session.target === target) yield session;
  }

  #allocateTsih(): number | undefined {
    for (let i = 0; i < 0xffff; i++) {
      const t = this.#nextTsih;
      this.#nextTsih = this.#nextTsih >= 0xffff ? 1 : this.#nextTsih + 1;
      if (!this.#sessions.has(t)) return t;
    }
    return undefined;
  }

  #openSession(r: LoginResult, conn: Connection): Session | { status: LoginStatus; reason: string } {
    if (r.tsih !== 0) {
      // RFC 7143 §6.3.1: TSIH ≠ 0 adds or reinstates a connection of an existing session.
      const existing = this.#sessions.get(r.tsih);
      if (existing === undefined || existing.session.isid !== r.isid || existing.session.initiatorName !== r.initiatorName) {
        return { status: LoginStatus.SESSION_DOES_NOT_EXIST, reason: `no session with TSIH ${r.tsih}` };
      }
      if (existing.conn.cid !== r.cid) {
        return { status: LoginStatus.TOO_MANY_CONNECTIONS, reason: 'MaxConnections is 1' };
      }
      // Connection reinstatement at ERL 0 ends the session; the initiator logs in anew.
      existing.conn.destroy();
      return { status: LoginStatus.SESSION_DOES_NOT_EXIST, reason: 'session ended by connection reinstatement' };
    }
    // RFC 7143 §6.3.5: a new session with the same InitiatorName, ISID and target reinstates (closes) the old one.
    for (const { session, conn: old } of [...this.#sessions.values()]) {
      if (session.initiatorName === r.initiatorName && session.isid === r.isid && session.target === r.target) {
        this.#log.info('session reinstatement', { initiator: r.initiatorName, isid: r.isid, oldTsih: session.tsih });
        old.destroy();
        this.#sessionClosed(session);
      }
    }
    const full = this.#sessionLimit(r.initiatorName);
    if (full !== undefined) return { status: LoginStatus.OUT_OF_RESOURCES, reason: full };
    const tsih = this.#allocateTsih();
    if (tsih === undefined) return { status: LoginStatus.OUT_OF_RESOURCES, reason: 'no free TSIH' };
    const target = r.target;
    const nexus: Nexus | undefined =
      target === undefined
        ? undefined
        : {
            initiatorPort: `${r.initiatorName},i,0x${r.isid}`,
            initiatorName: r.initiatorName,
            isid: r.isid,
            targetPort: targetPortName(target),
            relativeTargetPortId: portalGroupTag(target),
          };
    const session = new Session({
      tsih,
      isid: r.isid,
      initiatorName: r.initiatorName,
      sessionType: r.sessionType,
      target,
      nexus,
      params: r.params,
      cmdSN: r.cmdSN,
      queueDepth: this.#queueDepth,
      logger: this.#log,
      budget: this.#budget.session(),
      complete: (task, result) => conn.sendResult(task, result),
    });
    this.#sessions.set(tsih, { session, conn });
    return session;
  }

  #sessionLimit(initiatorName: string): string | undefined {
    const { maxSessions, maxSessionsPerInitiator } = this.#limits;
    if (this.#sessions.size >= maxSessions) return `${this.#sessions.size} sessions open (maxSessions ${maxSessions})`;
    let mine = 0;
    for (const { session } of this.#sessions.values()) if (session.initiatorName === initiatorName) mine++;
    if (mine >= maxSessionsPerInitiator) return `${mine} sessions of ${initiatorName} open (maxSessionsPerInitiator ${maxSessionsPerInitiator})`;
    return undefined;
  }

  #sessionClosed(session: Session): void {
    const entry = this.#sessions.get(session.tsih);
    if (entry !== undefined && entry.session === session) this.#sessions.delete(session.tsih);
  }
}
