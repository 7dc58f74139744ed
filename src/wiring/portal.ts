// The portal's TCP port is checked before serve opens any state: a port
// another target (or another s3vtl) listens on stops the start with one line
// instead of creating a catalog and a store first. Errors of the real listen
// later read the same way.
import { connect } from 'node:net';
import { VtlError } from '../errors.ts';

export interface Portal {
  readonly host: string;
  readonly port: number;
}

/** A listen failure in the operator's words (VTL_LISTEN); other errors pass through. */
export function listenError(e: unknown, p: Portal): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const at = `${p.host}:${p.port}`;
  const why = code === 'EADDRINUSE' ? 'the port is in use (another iSCSI target, or another s3vtl serve?); stop it or choose another port with --listen'
    : code === 'EACCES' ? 'permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)'
      : code === 'EADDRNOTAVAIL' ? `${p.host} is not an address of this machine`
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `cannot resolve ${p.host}`
          : undefined;
  return why === undefined ? e : new VtlError('VTL_LISTEN', `cannot listen on ${at}: ${why}`, { cause: e });
}

/** How long the probe waits for an answer before it takes the port for free. */
const PROBE_MS = 1000;

/**
 * Refuse a port something already listens on (VTL_LISTEN). It connects rather
 * than binds: a probe that bound and closed the port would, for an instant,
 * accept the connections of whoever waits for this gateway to listen. A port
 * bound without listening, or one this user may not bind, is still found by
 * the real listen (the same one-line error, after the state was opened).
 * Port 0 is always free.
 */
export async function checkPortal(p: Portal): Promise<void> {
  if (p.port === 0) return;
  const host = p.host === '0.0.0.0' ? '127.0.0.1' : p.host === '::' ? '::1' : p.host;
  const answered = await new Promise<boolean>((resolve) => {
    const s = connect({ host, port: p.port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(PROBE_MS, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
  if (answered) throw listenError(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }), p);
}
