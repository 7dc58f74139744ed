// One SCSI task on the transport side (RFC 7143 §4.2.5, §11.3, §11.7, §11.8):
// gathering Data-Out (immediate, unsolicited up to FirstBurstLength, then R2T
// bursts of MaxBurstLength, at most MaxOutstandingR2T at a time) into one
// buffer, and cutting the result into Data-In PDUs and a SCSI Response.
// With DataPDUInOrder=Yes and DataSequenceInOrder=Yes (the only values we
// accept) every PDU must continue exactly where the previous one stopped.
import { dataOutPool } from './buffer-pool.ts';
import { DataOutBuffer } from './data-out-buffer.ts';
import { RESERVED_TAG } from './constants.ts';
import type { DataIn, Residual, ScsiResponse, TargetPdu } from './pdu-serializer.ts';
import { NO_RESIDUAL } from './pdu-serializer.ts';
import type { DataOutPdu } from './pdu.ts';
import type { SessionParams } from './negotiation.ts';
import type { ScsiResult, TaskAttribute } from '../../scsi/command.ts';
import { SenseKey, type SenseCode } from '../../scsi/sense.ts';

/** SPC-4 ABORTED COMMAND codes for Data-Out that cannot be used (4Bh family, 47h/03h). */
export const DataOutSense = {
  dataPhaseError: { key: SenseKey.ABORTED_COMMAND, asc: 0x4b, ascq: 0x00 },
  invalidTargetTransferTag: { key: SenseKey.ABORTED_COMMAND, asc: 0x4b, ascq: 0x01 },
  tooMuchWriteData: { key: SenseKey.ABORTED_COMMAND, asc: 0x4b, ascq: 0x02 },
  dataOffsetError: { key: SenseKey.ABORTED_COMMAND, asc: 0x4b, ascq: 0x05 },
  iuCrcError: { key: SenseKey.ABORTED_COMMAND, asc: 0x47, ascq: 0x03 },
} as const satisfies Record<string, SenseCode>;

export type TaskState = 'receiving' | 'ready' | 'executing' | 'done' | 'aborted';

export interface R2TRequest {
  readonly ttt: number;
  readonly r2tSN: number;
  readonly offset: number;
  readonly length: number;
}

interface OpenR2T {
  readonly r2tSN: number;
  readonly offset: number;
  readonly length: number;
  received: number;
  nextDataSN: number;
}

export type DataOutOutcome =
  | { readonly kind: 'progress' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'protocol-error'; readonly reason: string; readonly sense: SenseCode };

export interface TaskInit {
  readonly itt: number;
  readonly cmdSN: number;
  readonly immediate: boolean;
  readonly lun: number;
  readonly lunField: Buffer;
  readonly cdb: Buffer;
  readonly attribute: TaskAttribute;
  readonly read: boolean;
  readonly write: boolean;
  readonly expectedLength: number;
  readonly readLength: number;
  /** The SCSI Command's F bit: no unsolicited Data-Out follows. */
  readonly final: boolean;
  readonly immediateData: Buffer;
}

export class ScsiTask {
  readonly itt: number;
  readonly cmdSN: number;
  readonly immediate: boolean;
  readonly lun: number;
  readonly lunField: Buffer;
  readonly cdb: Buffer;
  readonly attribute: TaskAttribute;
  readonly read: boolean;
  readonly write: boolean;
  /** Expected Data Transfer Length (the write length for writes). */
  readonly expectedLength: number;
  /** Bytes the initiator accepts as Data-In. */
  readonly readLength: number;
  state: TaskState = 'receiving';
  /**
   * Set when the Data-Out could not be used (data digest or sequence error):
   * the task then answers CHECK CONDITION with this sense instead of running,
   * so nothing of it reaches the medium.
   */
  failure: SenseCode | undefined;
  /** R2Ts sent (ExpDataSN of a write's SCSI Response). */
  r2tCount = 0;
  /** Resolves when execution finished (used by task management to wait). */
  settled: Promise<void> | undefined;

  /**
   * Bytes of the target's data budget this task holds (DataBudget) for its
   * Data-Out: its whole transfer, reserved before any of it is solicited or
   * accepted. Given back when the task settled.
   */
  reserved = 0;
  /**
   * Bytes of the budget this task holds for its Data-In: its read length,
   * reserved before the logical unit produces any of it. Given back when the
   * connection has written the Data-In out (dataInSent), so reads that the
   * initiator does not take off the socket hold their budget.
   */
  readReserved = 0;
  #memory: DataOutBuffer | undefined;
  #budget: { allocated(delta: number): void; release(n: number): void } | undefined;
  #dataInHeld = 0;
  #dataInSending = false;
  /** Created on first use: most tasks are never aborted and nothing asks for their signal. */
  #abort: AbortController | undefined;
  #received = 0;
  #unsolicitedEnd = 0;
  #unsolicitedDone = true;
  #unsolicitedDataSN = 0;
  #unsolicitedOffset = 0;
  #nextR2TOffset = 0;
  #r2ts = new Map<number, OpenR2T>();

  /**
   * `budget` hears the memory the task takes and gets its reservation back
   * when the task is released.
   */
  constructor(init: TaskInit, params: SessionParams, budget?: { allocated(delta: number): void; release(n: number): void }) {
    this.itt = init.itt;
    this.cmdSN = init.cmdSN;
    this.immediate = init.immediate;
    this.lun = init.lun;
    this.lunField = init.lunField;
    this.cdb = init.cdb;
    this.attribute = init.attribute;
    this.read = init.read;
    this.write = init.write;
    this.expectedLength = init.expectedLength;
    this.readLength = init.readLength;
    this.#budget = budget;
    if (!this.write) {
      this.state = 'ready';
      return;
    }
    const edtl = this.expectedLength;
    const imm = init.immediateData;
    if (edtl > 0) {
      const memory = (this.#memory = new DataOutBuffer(edtl, budget && ((d) => budget.allocated(d))));
      if (imm.length === edtl) {
        memory.adopt(imm); // the whole transfer came as immediate data: no copy
      } else if (imm.length > 0) {
        memory.place(0, imm);
        dataOutPool.give(imm); // a pooled immediate data segment is copied and free again
      }
    }
    this.#received = imm.length;
    this.#unsolicitedOffset = imm.length;
    // RFC 7143 §11.3.4: F=1 means no unsolicited Data-Out follows the command.
    this.#unsolicitedDone = params.initialR2T || init.final;
    this.#unsolicitedEnd = Math.min(params.firstBurstLength, edtl);
    this.#nextR2TOffset = imm.length;
    if (this.#received >= edtl) this.state = 'ready';
  }

  /** Aborted by task management or the session's end (created on first use). */
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }

  abortNow(): void {
    (this.#abort ??= new AbortController()).abort();
  }

  /**
   * The command settled: its Data-Out memory goes back to the pool (when it
   * came from there). Nothing refers to it any more (ScsiCommand.dataOut),
   * except data-in that is a view of it, which keeps it.
   */
  release(dataIn: Buffer | undefined): void {
    this.#memory?.release(dataIn?.buffer);
    this.#memory = undefined;
    const n = this.reserved;
    this.reserved = 0;
    // Also without a reservation: a task that waited for one and went away may unblock those behind it.
    if (n > 0 || this.write || this.read) this.#budget?.release(n);
    if (!this.#dataInSending) this.dataInSent();
  }

  /** Accounted against a budget and not holding its reservation yet: no data may be solicited. */
  get waitingForBudget(): boolean {
    return this.#budget !== undefined && this.reserved === 0 && this.expectedLength > 0;
  }

  /**
   * The connection queues `length` bytes of Data-In for the socket: what was
   * reserved beyond them is given back now (a tape block shorter than the
   * read length), the rest once dataInSent() is called.
   */
  sendingDataIn(length: number): void {
    const keep = Math.min(length, this.readReserved);
    const excess = this.readReserved - keep;
    this.readReserved = keep;
    this.#dataInSending = true;
    this.#dataInHeld = keep;
    this.#budget?.allocated(keep);
    if (excess > 0) this.#budget?.release(excess);
  }

  /** The Data-In left (or never will): the read reservation is given back. Idempotent. */
  dataInSent(): void {
    const n = this.readReserved;
    const held = this.#dataInHeld;
    this.readReserved = 0;
    this.#dataInHeld = 0;
    if (held > 0) this.#budget?.allocated(-held);
    if (n > 0) this.#budget?.release(n);
  }

  /** Whether unsolicited Data-Out (RFC 7143 §11.3.4) may still follow the command. */
  get expectsUnsolicited(): boolean {
    return !this.#unsolicitedDone;
  }

  /** Bytes of Data-Out memory the task holds now. */
  get heldBytes(): number {
    return this.#memory?.held ?? 0;
  }

  get received(): number {
    return this.#received;
  }

  get dataOut(): Buffer | undefined {
    return this.write ? (this.#memory?.buffer() ?? Buffer.alloc(0)) : undefined;
  }

  /** Validate and place one Data-Out PDU. */
  acceptDataOut(pdu: DataOutPdu): DataOutOutcome {
    const err = (reason: string, sense: SenseCode): DataOutOutcome => ({ kind: 'protocol-error', reason, sense });
    if (this.state !== 'receiving') return err('Data-Out after all data arrived', DataOutSense.tooMuchWriteData);
    const len = pdu.data.length;
    if (pdu.ttt === RESERVED_TAG) {
      if (this.#unsolicitedDone) return err('unsolicited Data-Out not allowed', DataOutSense.tooMuchWriteData);
      if (pdu.dataSN !== this.#unsolicitedDataSN) {
        return err(`DataSN ${pdu.dataSN}, expected ${this.#unsolicitedDataSN}`, DataOutSense.dataPhaseError);
      }
      if (pdu.bufferOffset !== this.#unsolicitedOffset) {
        return err(`offset ${pdu.bufferOffset}, expected ${this.#unsolicitedOffset}`, DataOutSense.dataOffsetError);
      }
      if (pdu.bufferOffset + len > this.#unsolicitedEnd) {
        return err('unsolicited data beyond FirstBurstLength', DataOutSense.tooMuchWriteData);
      }
      this.#place(pdu.bufferOffset, pdu.data);
      this.#unsolicitedDataSN++;
      this.#unsolicitedOffset += len;
      if (pdu.final) {
        this.#unsolicitedDone = true;
        this.#nextR2TOffset = this.#unsolicitedOffset;
      }
    } else {
      const r2t = this.#r2ts.get(pdu.ttt);
      if (r2t === undefined) return err(`unknown TTT 0x${pdu.ttt.toString(16)}`, DataOutSense.invalidTargetTransferTag);
      if (pdu.dataSN !== r2t.nextDataSN) {
        return err(`DataSN ${pdu.dataSN}, expected ${r2t.nextDataSN}`, DataOutSense.dataPhaseError);
      }
      if (pdu.bufferOffset !== r2t.offset + r2t.received) {
        return err(`offset ${pdu.bufferOffset}, expected ${r2t.offset + r2t.received}`, DataOutSense.dataOffsetError);
      }
      if (r2t.received + len > r2t.length) return err('data beyond R2T length', DataOutSense.tooMuchWriteData);
      this.#place(pdu.bufferOffset, pdu.data);
      r2t.received += len;
      r2t.nextDataSN++;
      if (pdu.final && r2t.received !== r2t.length) {
        return err('F bit before the end of the R2T', DataOutSense.dataPhaseError);
      }
      if (r2t.received === r2t.length) this.#r2ts.delete(pdu.ttt);
    }
    if (this.#received === this.expectedLength && this.#r2ts.size === 0) {
      this.state = 'ready';
      return { kind: 'complete' };
    }
    return { kind: 'progress' };
  }

  /** Give up gathering: the task will answer CHECK CONDITION with `sense`. */
  fail(sense: SenseCode): void {
    this.failure ??= sense;
    this.#r2ts.clear();
    if (this.state === 'receiving') this.state = 'ready';
  }

  /**
   * Where a Data-Out's data segment of `length` bytes at `offset` may be
   * received directly (see PduParser.dataSink). acceptDataOut() still checks
   * the PDU: data that fails the check fails the task, so nothing placed this
   * way reaches the logical unit unchecked.
   */
  dataOutView(offset: number, length: number): Buffer | undefined {
    if (this.state !== 'receiving' || this.waitingForBudget) return undefined;
    return this.#memory?.view(offset, length);
  }

  #place(offset: number, data: Buffer): void {
    if (data.length === 0) return;
    this.#memory!.place(offset, data);
    this.#received += data.length;
  }

  /** R2Ts to send now (RFC 7143 §11.8): the unsolicited burst is over and MaxOutstandingR2T allows. */
  nextR2Ts(params: SessionParams, allocateTtt: () => number): R2TRequest[] {
    const out: R2TRequest[] = [];
    if (this.state !== 'receiving' || !this.#unsolicitedDone) return out;
    if (this.waitingForBudget) return out;
    while (this.#nextR2TOffset < this.expectedLength && this.#r2ts.size < params.maxOutstandingR2T) {
      const offset = this.#nextR2TOffset;
      const length = Math.min(params.maxBurstLength, this.expectedLength - offset);
      const ttt = allocateTtt();
      const r2tSN = this.r2tCount++;
      this.#r2ts.set(ttt, { r2tSN, offset, length, received: 0, nextDataSN: 0 });
      this.#nextR2TOffset += length;
      out.push({ ttt, r2tSN, offset, length });
    }
    return out;
  }
}

/** Sequence numbers the connection stamps on each PDU. */
export interface Stamp {
  /** The StatSN to carry; advances when `advance` is true. */
  statSN(advance: boolean): number;
  readonly expCmdSN: number;
  readonly maxCmdSN: number;
}

function residualOf(expected: number, actual: number): Residual {
  if (actual > expected) return { overflow: true, underflow: false, count: actual - expected };
  if (actual < expected) return { overflow: false, underflow: true, count: expected - actual };
  return NO_RESIDUAL;
}

/**
 * The PDUs that answer a finished task: Data-In cut at the initiator's
 * MaxRecvDataSegmentLength, a sequence ending (F) every MaxBurstLength, and
 * status either collapsed into the last Data-In (S bit; RFC 7143 §11.7.1:
 * only when there is no sense data) or sent as a SCSI Response.
 *
 * Residuals (RFC 7143 §11.4.5): for a read, dataIn longer than the initiator's
 * expected length is truncated and reported as overflow, shorter as underflow.
 * For a write, `dataOutUsed` is the length the command asked for (SPDTL) when
 * the logical unit reports it: above the expected length is overflow, below
 * is underflow.
 */
export function responsePdus(task: ScsiTask, result: ScsiResult, params: SessionParams, stamp: Stamp): TargetPdu[] {
  const out: TargetPdu[] = [];
  const sense = result.sense !== undefined && result.sense.length > 0 ? result.sense : undefined;
  let residual: Residual = NO_RESIDUAL;
  let dataSN = 0;
  const dataIn = result.dataIn;
  if (task.read) {
    const produced = dataIn?.length ?? 0;
    residual = residualOf(task.readLength, produced);
    const sendLength = Math.min(produced, task.readLength);
    const maxSeg = params.maxSendDataSegmentLength;
    const maxBurst = params.maxBurstLength;
    let burstLeft = maxBurst;
    for (let offset = 0; offset < sendLength; ) {
      const len = Math.min(maxSeg, sendLength - offset, burstLeft);
      const last = offset + len === sendLength;
      burstLeft -= len;
      const endOfSequence = last || burstLeft === 0;
      if (burstLeft === 0) burstLeft = maxBurst;
      const collapse = last && sense === undefined;
      const pdu: DataIn = {
        kind: 'data-in',
        final: endOfSequence,
        status: collapse ? result.status : undefined,
        residual: collapse ? residual : NO_RESIDUAL,
        lun: task.lunField,
        itt: task.itt,
        statSN: stamp.statSN(collapse),
        expCmdSN: stamp.expCmdSN,
        maxCmdSN: stamp.maxCmdSN,
        dataSN: dataSN++,
        bufferOffset: offset,
        data: dataIn!.subarray(offset, offset + len),
      };
      out.push(pdu);
      offset += len;
      if (collapse) return out;
    }
  } else if (task.write && result.dataOutUsed !== undefined) {
    // The command's own transfer length (SPDTL) against what the initiator sent (EDTL).
    residual = residualOf(task.expectedLength, result.dataOutUsed);
  }
  const response: ScsiResponse = {
    kind: 'scsi-response',
    itt: task.itt,
    response: 0,
    status: result.status,
    residual,
    statSN: stamp.statSN(true),
    expCmdSN: stamp.expCmdSN,
    maxCmdSN: stamp.maxCmdSN,
    expDataSN: task.read ? dataSN : task.r2tCount,
    sense,
  };
  out.push(response);
  return out;
}
