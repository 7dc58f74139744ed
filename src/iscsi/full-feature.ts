// Full feature phase (RFC 7143 §4.2, §11): routing each initiator PDU of a
// logged-in connection to its handler, at ErrorRecoveryLevel 0. The handlers
// reach the connection only through `Channel`.
import { RejectReason } from './constants.ts';
import type { ConnectionHost } from './connection.ts';
import type { Logger } from './logger.ts';
import { onLogout } from './logout.ts';
import type { SessionParams } from './negotiation.ts';
import { NopKeepAlive } from './nop.ts';
import type { TargetPdu } from './pdu-serializer.ts';
import type { InitiatorPdu, TaskMgmtPdu } from './pdu.ts';
import { ScsiCommands } from './scsi-command.ts';
import type { Session } from './session.ts';
import type { Stamp } from './task.ts';
import { TextExchange } from './text-request.ts';
import { taskManagement } from './tmf.ts';

/** What the full feature phase handlers need from their connection. */
export interface Channel {
  readonly host: ConnectionHost;
  readonly log: Logger;
  readonly peer: string;
  readonly cid: number;
  /** The negotiated parameters; MaxSendDataSegmentLength may change (RFC 7143 §13.12). */
  readonly params: SessionParams;
  /** The connection is gone: nothing more is sent. */
  readonly closed: boolean;
  /** Sequence numbers for the next PDU (StatSN advances only where asked). */
  stamp(): Stamp;
  /**
   * Queue a PDU for the socket; `flushed` is called once it was written out
   * (or the connection is gone). `budgeted`: bytes queued up to this PDU that
   * the data budget holds until then (they do not pause the input).
   */
  send(pdu: TargetPdu, flushed?: () => void, budgeted?: number): void;
  reject(pdu: InitiatorPdu, reason: number): void;
  /** A protocol error at ERL 0: log and drop the connection (the session goes with it). */
  fatal(reason: string, meta?: Record<string, unknown>): void;
  allocateTtt(): number;
  /** The portal (address:port) this connection came in on, as SendTargets reports it. */
  portalAddress(): string;
  destroy(): void;
  /** A logout was accepted: no further PDU is processed. */
  enterLogout(): void;
  /** Close the socket once what is queued is written, and release the session. */
  endAndReleaseSession(): void;
}

export class FullFeaturePhase {
  readonly nop: NopKeepAlive;
  readonly #ch: Channel;
  readonly #session: Session;
  readonly #scsi: ScsiCommands;
  readonly #text: TextExchange;

  constructor(ch: Channel, session: Session, nop: NopKeepAlive) {
    this.#ch = ch;
    this.#session = session;
    this.nop = nop;
    this.#scsi = new ScsiCommands(ch);
    this.#text = new TextExchange(ch);
  }

  get session(): Session {
    return this.#session;
  }

  receive(pdu: InitiatorPdu): void {
    const session = this.#session;
    if (pdu.raw.dataDigestError && pdu.kind !== 'data-out') {
      // RFC 7143 §7.8: discard the PDU and Reject it; the initiator may retry the command.
      this.#ch.reject(pdu, RejectReason.DATA_DIGEST_ERROR);
      return;
    }
    switch (pdu.kind) {
      case 'login':
        this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      case 'nop-out':
        this.nop.onNopOut(pdu, session);
        return;
      case 'scsi-command':
        this.#scsi.onScsiCommand(pdu, session);
        return;
      case 'data-out':
        this.#scsi.onDataOut(pdu, session);
        return;
      case 'task-mgmt':
        this.#onTaskMgmt(pdu, session);
        return;
      case 'text':
        this.#text.onText(pdu, session);
        return;
      case 'logout':
        onLogout(this.#ch, pdu, session);
        return;
      case 'snack':
        // SNACK needs ErrorRecoveryLevel > 0.
        this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      case 'invalid':
        this.#ch.log.debug('rejecting PDU', { peer: this.#ch.peer, opcode: pdu.opcode, detail: pdu.detail });
        this.#ch.reject(pdu, pdu.reason);
        return;
      default: {
        const never: never = pdu;
        throw new Error(`unhandled PDU ${String(never)}`);
      }
    }
  }

  /** Gathers Data-Out straight into its task's buffer (PduParser.dataSink). */
  readonly dataSink = (bhs: Buffer, length: number): Buffer | undefined => this.#scsi.dataOutSink(this.#session, bhs, length);

  /** A task finished (called through the session). */
  sendResult: ScsiCommands['sendResult'] = (task, result) => this.#scsi.sendResult(task, result);

  // RFC 7143 §11.5, §11.6: Task Management Function Request / Response.
  #onTaskMgmt(pdu: TaskMgmtPdu, session: Session): void {
    const ch = this.#ch;
    if (session.sessionType === 'Discovery') {
      ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      taskManagement(pdu, session, { sessionsOf: (t) => ch.host.sessionsOf(t), logger: ch.log }).then(
        (outcome) => {
          const st = ch.stamp();
          ch.send({
            kind: 'task-mgmt-response',
            response: outcome.response,
            itt: pdu.itt,
            statSN: st.statSN(true),
            expCmdSN: st.expCmdSN,
            maxCmdSN: st.maxCmdSN,
          });
          ch.log.info('task management', { peer: ch.peer, fn: pdu.fn, response: outcome.response });
          if (outcome.dropTargetConnections && session.target !== undefined) {
            const target = session.target;
            // Let the response leave before the connections go (RFC 7143 §11.5.1 cold reset).
            setImmediate(() => ch.host.dropTarget(target));
          }
        },
        (e: unknown) => ch.fatal('task management failed', { error: String(e) }),
      );
    });
  }
}
