// NOP-Out / NOP-In (RFC 7143 §11.18, §11.19): answering the initiator's pings
// and the target's own keep-alive ping after a period of idleness.
import { RESERVED_TAG } from './constants.ts';
import type { Channel } from './full-feature.ts';
import type { NopOutPdu } from './pdu.ts';
import type { Session } from './session.ts';

export class NopKeepAlive {
  readonly #ch: Channel;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #lastActivity = Date.now();
  #ping: { ttt: number; sentAt: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ch: Channel, intervalMs: number, timeoutMs: number) {
    this.#ch = ch;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Bytes arrived from the initiator. */
  touch(now: number): void {
    this.#lastActivity = now;
  }

  /** Start pinging (full feature phase). An interval of 0 disables it. */
  start(): void {
    const interval = this.#intervalMs;
    if (interval <= 0) return;
    const tick = Math.max(50, Math.min(interval, this.#timeoutMs) / 2);
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = Date.now();
    if (this.#ping !== undefined) {
      if (now - this.#ping.sentAt >= this.#timeoutMs) {
        this.#ch.log.warn('initiator did not answer NOP-In, dropping connection', { peer: this.#ch.peer });
        this.#ch.destroy();
      }
      return;
    }
    if (now - this.#lastActivity < this.#intervalMs) return;
    const ttt = this.#ch.allocateTtt();
    this.#ping = { ttt, sentAt: now };
    const st = this.#ch.stamp();
    // RFC 7143 §11.19: a target ping carries ITT 0xffffffff and a TTT the initiator echoes; StatSN does not advance.
    this.#ch.send({
      kind: 'nop-in',
      lun: undefined,
      itt: RESERVED_TAG,
      ttt,
      data: undefined,
      statSN: st.statSN(false),
      expCmdSN: st.expCmdSN,
      maxCmdSN: st.maxCmdSN,
    });
  }

  onNopOut(pdu: NopOutPdu, session: Session): void {
    if (pdu.itt === RESERVED_TAG) {
      // An answer to our ping (or a no-reply NOP): never answered (RFC 7143 §11.18).
      if (this.#ping !== undefined && pdu.ttt === this.#ping.ttt) this.#ping = undefined;
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      const st = this.#ch.stamp();
      const echo = pdu.data.length > 0 ? pdu.data.subarray(0, this.#ch.params.maxSendDataSegmentLength) : undefined;
      this.#ch.send({
        kind: 'nop-in',
        lun: pdu.lun,
        itt: pdu.itt,
        ttt: RESERVED_TAG,
        data: echo,
        statSN: st.statSN(true),
        expCmdSN: st.expCmdSN,
        maxCmdSN: st.maxCmdSN,
      });
    });
  }
}
