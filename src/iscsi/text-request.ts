// Text Request / Text Response in full feature phase (RFC 7143 §11.10,
// §11.11): SendTargets, a declarative MaxRecvDataSegmentLength, and long
// texts carried over several PDUs in either direction (C bit plus a TTT).
import { RejectReason, RESERVED_TAG } from './constants.ts';
import { sendTargets } from './discovery.ts';
import type { Channel } from './full-feature.ts';
import { parseNumber } from './negotiation.ts';
import type { TextRequestPdu } from './pdu.ts';
import type { Session } from './session.ts';
import { encodeText, parseText, TextFormatError } from './text.ts';

/** Bound on a text request carried over several PDUs. */
const MAX_TEXT = 65536;

export class TextExchange {
  readonly #ch: Channel;
  #textIn: { itt: number; ttt: number; parts: Buffer[]; bytes: number } | undefined;
  #textOut: { itt: number; ttt: number; rest: Buffer } | undefined;

  constructor(ch: Channel) {
    this.#ch = ch;
  }

  onText(pdu: TextRequestPdu, session: Session): void {
    if (pdu.ttt !== RESERVED_TAG) {
      this.#continueText(pdu, session);
      return;
    }
    session.admit(pdu.cmdSN, pdu.immediate, () => {
      if (pdu.continue) {
        // RFC 7143 §11.10.2: more request text follows; answer empty and wait.
        const cont = this.#textIn ?? { itt: pdu.itt, ttt: this.#ch.allocateTtt(), parts: [], bytes: 0 };
        cont.parts.push(pdu.data);
        cont.bytes += pdu.data.length;
        if (cont.bytes > MAX_TEXT) return this.#ch.fatal('text request too long');
        this.#textIn = cont;
        this.#sendText(pdu, Buffer.alloc(0), false, cont.ttt);
        return;
      }
      this.#answerText(pdu, session, pdu.data);
    });
  }

  #continueText(pdu: TextRequestPdu, session: Session): void {
    const inbound = this.#textIn;
    if (inbound !== undefined && inbound.ttt === pdu.ttt) {
      inbound.parts.push(pdu.data);
      inbound.bytes += pdu.data.length;
      if (inbound.bytes > MAX_TEXT) return this.#ch.fatal('text request too long');
      if (pdu.continue) {
        this.#sendText(pdu, Buffer.alloc(0), false, inbound.ttt);
        return;
      }
      this.#textIn = undefined;
      this.#answerText(pdu, session, Buffer.concat(inbound.parts));
      return;
    }
    const out = this.#textOut;
    if (out !== undefined && out.ttt === pdu.ttt && out.itt === pdu.itt) {
      this.#textOut = undefined;
      this.#sendTextChunked(pdu, out.rest);
      return;
    }
    this.#ch.reject(pdu, RejectReason.INVALID_PDU_FIELD);
  }

  #answerText(pdu: TextRequestPdu, session: Session, data: Buffer): void {
    let pairs: [string, string][];
    try {
      pairs = parseText(data);
    } catch (e) {
      if (e instanceof TextFormatError) {
        this.#ch.reject(pdu, RejectReason.PROTOCOL_ERROR);
        return;
      }
      throw e;
    }
    const out: [string, string][] = [];
    for (const [key, value] of pairs) {
      if (key === 'SendTargets') {
        const found = sendTargets(value, {
          targets: this.#ch.host.targets(),
          sessionTarget: session.target,
          sessionType: session.sessionType,
          initiatorName: session.initiatorName,
          address: this.#ch.portalAddress(),
        });
        if (found === undefined) out.push(['SendTargets', 'Reject']);
        else out.push(...found);
      } else if (key === 'MaxRecvDataSegmentLength') {
        // Declarative, may change in full feature phase (RFC 7143 §13.12).
        const n = parseNumber(value);
        if (n === undefined || n < 512 || n > 16777215) out.push([key, 'Reject']);
        else this.#ch.params.maxSendDataSegmentLength = n;
      } else {
        out.push([key, 'NotUnderstood']);
      }
    }
    this.#sendTextChunked(pdu, encodeText(out));
  }

  #sendTextChunked(pdu: TextRequestPdu, text: Buffer): void {
    const max = this.#ch.params.maxSendDataSegmentLength;
    if (text.length <= max) {
      this.#sendText(pdu, text, true, RESERVED_TAG);
      return;
    }
    // RFC 7143 §11.11.1: C=1 and a TTT; the initiator asks for the rest with that TTT.
    const ttt = this.#ch.allocateTtt();
    this.#textOut = { itt: pdu.itt, ttt, rest: text.subarray(max) };
    this.#sendText(pdu, text.subarray(0, max), false, ttt, true);
  }

  #sendText(pdu: TextRequestPdu, data: Buffer, final: boolean, ttt: number, more = false): void {
    const st = this.#ch.stamp();
    this.#ch.send({
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
    });
  }
}
