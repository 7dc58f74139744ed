// Logout Request / Logout Response (RFC 7143 §11.14, §11.15) at
// ErrorRecoveryLevel 0 with one connection per session: closing the
// connection closes the session, and connection recovery is not offered.
import { LogoutReason, LogoutResponseCode, RejectReason } from './constants.ts';
import type { Channel } from './full-feature.ts';
import type { LogoutRequestPdu } from './pdu.ts';
import type { Session } from './session.ts';

export function onLogout(ch: Channel, pdu: LogoutRequestPdu, session: Session): void {
  session.admit(pdu.cmdSN, pdu.immediate, () => {
    let code: number;
    if (pdu.reason === LogoutReason.REMOVE_FOR_RECOVERY) code = LogoutResponseCode.RECOVERY_NOT_SUPPORTED;
    else if (pdu.reason === LogoutReason.CLOSE_CONNECTION && pdu.cid !== ch.cid) code = LogoutResponseCode.CID_NOT_FOUND;
    else if (pdu.reason === LogoutReason.CLOSE_SESSION || pdu.reason === LogoutReason.CLOSE_CONNECTION) {
      code = LogoutResponseCode.CLOSED;
    } else {
      ch.reject(pdu, RejectReason.INVALID_PDU_FIELD);
      return;
    }
    if (code !== LogoutResponseCode.CLOSED) {
      sendLogout(ch, pdu, code);
      return;
    }
    // Tasks already running complete and answer first; those still waiting
    // for data or for their turn are terminated (RFC 7143 §11.14).
    ch.enterLogout();
    const running: Promise<void>[] = [];
    for (const t of session.tasks()) if (t.state === 'executing' && t.settled !== undefined) running.push(t.settled);
    void session.abort((t) => t.state !== 'executing');
    void Promise.all(running).then(() => {
      sendLogout(ch, pdu, code);
      ch.log.info('logout', { peer: ch.peer, tsih: session.tsih });
      ch.endAndReleaseSession();
    });
  });
}

function sendLogout(ch: Channel, pdu: LogoutRequestPdu, code: number): void {
  const st = ch.stamp();
  ch.send({
    kind: 'logout-response',
    response: code,
    itt: pdu.itt,
    // ERL 0 keeps nothing for reconnection: Time2Wait/Time2Retain 0 after a session close.
    time2Wait: pdu.reason === LogoutReason.CLOSE_SESSION ? 0 : ch.params.defaultTime2Wait,
    time2Retain: 0,
    statSN: st.statSN(true),
    expCmdSN: st.expCmdSN,
    maxCmdSN: st.maxCmdSN,
  });
}
