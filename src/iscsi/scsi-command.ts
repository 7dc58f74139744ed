// The SCSI data path of a connection (RFC 7143 §11.3-11.8): SCSI Command
// admission, R2T, Data-Out gathering into the task, and the Data-In / SCSI
// Response that answer a finished task.
import { dataOutPool, pooledLength } from './buffer-pool.ts';
import { InitiatorOpcode, RejectReason } from './constants.ts';
import type { Channel } from './full-feature.ts';
import { decodeLun } from './lun.ts';
import type { DataOutPdu, ScsiCommandPdu } from './pdu.ts';
import { checkCondition, type Session } from './session.ts';
import { DataOutSense, responsePdus, ScsiTask } from './task.ts';
import { Sense } from '../../scsi/sense.ts';
import { Status } from '../../scsi/command.ts';
import type { ScsiResult } from '../../scsi/command.ts';

/** Bytes a task reserves: a write's transfer, or a read's length (a bidirectional command's write part only). */
function budgetNeed(task: ScsiTask): number {
  if (task.write) return task.expectedLength;
  return task.read ? task.readLength : 0;
}

function grant(task: ScsiTask, n: number): void {
  if (task.write) task.reserved = n;
  else task.readReserved = n;
}

export class ScsiCommands {
  readonly #ch: Channel;
  /** Tasks waiting for the session's data budget, oldest first: write R2Ts and reads are held back. */
  readonly #waiting: ScsiTask[] = [];

  constructor(ch: Channel) {
    this.#ch = ch;
  }

  onScsiCommand(pdu: ScsiCommandPdu, session: Session): void {
    if (session.sessionType === 'Discovery') {
      this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
      return;
    }
    if (pdu.immediate && (session.windowFull || session.immediateTaskCount >= this.#ch.host.maxImmediateTasks)) {
      // RFC 7143 §4.2.2.1: an immediate command's CmdSN may lie outside the
      // window, and a target must handle at least one immediate request per
      // connection at any time. It takes a task like any other, so it counts
      // against the queue depth the window stands for, and only a few may be
      // outstanding; beyond that it gets Reject reason 0x06 (§11.17.1,
      // "Immediate command reject - too many immediate commands").
      this.#ch.reject(pdu, RejectReason.IMMEDIATE_COMMAND_REJECT);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => this.#startCommand(pdu, session));
  }

  #startCommand(pdu: ScsiCommandPdu, session: Session): void {
    const p = this.#ch.params;
    const maxTaskDataLength = this.#ch.host.maxTaskDataLength;
    const imm = pdu.data.length;
    if (session.task(pdu.itt) !== undefined) {
      this.#ch.reject(pdu, RejectReason.TASK_IN_PROGRESS);
      return;
    }
    if (imm > 0 && (!pdu.write || !p.immediateData || imm > p.firstBurstLength || imm > pdu.expectedLength)) {
      // RFC 7143 §11.3.4: immediate data only with ImmediateData=Yes, W set, within FirstBurstLength and EDTL.
      this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
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
        expectedLength: pdu.write ? Math.min(pdu.expectedLength, maxTaskDataLength) : pdu.expectedLength,
        readLength: Math.min(readLength, maxTaskDataLength),
        final: pdu.final,
        immediateData: pdu.data,
      },
      p,
      session.budget,
    );
    if (pdu.expectedLength > maxTaskDataLength || readLength > maxTaskDataLength) {
      // Bounded memory: refuse transfers above the configured ceiling.
      this.#ch.log.warn('transfer too large', { peer: this.#ch.peer, length: pdu.expectedLength });
      this.sendResult(task, checkCondition(Sense.invalidFieldInCdb));
      return;
    }
    if (!this.#reserve(task, session)) return;
    session.addTask(task);
    if (task.state === 'receiving') this.#sendR2Ts(task);
  }

  /**
   * Reserve a task's data in the budget (DataBudget): a write's whole
   * transfer before any of it is solicited, a read's length before the
   * logical unit produces it (held until its Data-In left on the socket).
   * Without room, a read waits (it is not dispatched), and so does a write
   * whose data is all solicited (its R2Ts are held back) until reservations
   * are released; a write whose immediate or unsolicited data cannot be held
   * back is answered TASK SET FULL (SAM-5), and its unsolicited Data-Out is
   * discarded. Once a task waits, later ones queue behind it: a later task
   * that held budget while an earlier one on the same logical unit waited for
   * it would never run. Tasks that hold a reservation were all admitted
   * before any that waits, so they can always finish and give it back.
   */
  #reserve(task: ScsiTask, session: Session): boolean {
    const need = budgetNeed(task);
    if (need === 0) return true;
    if (this.#waiting.length === 0 && session.budget.tryReserve(need)) {
      grant(task, need);
      return true;
    }
    if (task.write && (task.received > 0 || task.expectsUnsolicited)) {
      this.#ch.log.debug('no data budget: TASK SET FULL', { peer: this.#ch.peer, initiator: session.initiatorName, itt: task.itt, length: need });
      task.release(undefined);
      this.sendResult(task, { status: Status.TASK_SET_FULL });
      return false;
    }
    if (!task.write) task.state = 'receiving'; // not ready to run until its reservation is granted
    session.addTask(task);
    if (this.#waiting.push(task) === 1) {
      session.budget.whenRoom(() => this.#retryWaiting(session));
      this.#ch.host.budgetExceeded(session, this.#ch.peer);
    }
    return false;
  }

  #retryWaiting(session: Session): void {
    while (this.#waiting.length > 0) {
      const task = this.#waiting[0]!;
      if (task.state !== 'receiving' || session.closed) {
        this.#waiting.shift();
        continue;
      }
      const need = budgetNeed(task);
      if (!session.budget.tryReserve(need)) {
        session.budget.whenRoom(() => this.#retryWaiting(session));
        return;
      }
      grant(task, need);
      this.#waiting.shift();
      if (task.write) this.#sendR2Ts(task);
      else {
        task.state = 'ready';
        session.taskReady(task);
      }
    }
  }

  #sendR2Ts(task: ScsiTask): void {
    const reqs = task.nextR2Ts(this.#ch.params, () => this.#ch.allocateTtt());
    if (reqs.length === 0) return;
    const st = this.#ch.stamp();
    for (const r of reqs) {
      this.#ch.send({
        kind: 'r2t',
        lun: task.lunField,
        itt: task.itt,
        ttt: r.ttt,
        r2tSN: r.r2tSN,
        bufferOffset: r.offset,
        desiredLength: r.length,
        statSN: st.statSN(false),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      });
    }
  }

  /**
   * PduParser.dataSink: a Data-Out that spans TCP reads is gathered straight
   * into its task's buffer at its Buffer Offset (one copy instead of two); the
   * immediate data of a write command into pooled memory, which becomes the
   * task's buffer and goes back to the pool when the command settled.
   */
  dataOutSink(session: Session, bhs: Buffer, length: number): Buffer | undefined {
    const opcode = bhs[0]! & 0x3f;
    if (opcode === InitiatorOpcode.SCSI_COMMAND) return (bhs[1]! & 0x20) !== 0 && pooledLength(length) ? dataOutPool.take(length) : undefined;
    if (opcode !== InitiatorOpcode.DATA_OUT) return undefined;
    return session.task(bhs.readUInt32BE(16))?.dataOutView(bhs.readUInt32BE(40), length);
  }

  onDataOut(pdu: DataOutPdu, session: Session): void {
    const task = session.task(pdu.itt);
    if (task === undefined || task.state !== 'receiving') {
      // Data for an aborted, failed or finished task is discarded (RFC 7143 §4.2.3.3).
      return;
    }
    if (pdu.raw.dataDigestError) {
      // RFC 7143 §7.8: Reject the PDU. Without recovery R2T (ERL 1) the data is
      // lost, so the task ends in CHECK CONDITION instead of writing garbage.
      this.#ch.reject(pdu, RejectReason.DATA_DIGEST_ERROR);
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
        this.#ch.log.warn('Data-Out sequence error', { peer: this.#ch.peer, itt: task.itt, reason: outcome.reason });
        this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
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

  /** A task finished: its Data-In and SCSI Response. */
  sendResult(task: ScsiTask, result: ScsiResult): void {
    if (this.#ch.closed) return;
    // What the initiator was sent, for tests that cannot see the iSCSI residual (QEMU drops it).
    if (this.#ch.log.isDebugEnabled?.() === true) {
      const dataIn = task.read ? Math.min(result.dataIn?.length ?? 0, task.readLength) : 0;
      this.#ch.log.debug('task done', { peer: this.#ch.peer, lun: task.lun, opcode: task.cdb[0], status: result.status, dataIn });
    }
    const pdus = responsePdus(task, result, this.#ch.params, this.#ch.stamp());
    if (task.readReserved === 0) {
      for (const p of pdus) this.#ch.send(p);
      return;
    }
    // The read's budget stays taken until its last PDU was written to the socket.
    const length = Math.min(result.dataIn?.length ?? 0, task.readLength);
    task.sendingDataIn(length);
    const last = pdus.length - 1;
    for (let i = 0; i < last; i++) this.#ch.send(pdus[i]!);
    this.#ch.send(pdus[last]!, () => task.dataInSent(), length);
  }
}
