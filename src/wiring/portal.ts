// The portal's TCP port is checked before serve opens any state: a port in
// use (another target, another s3vtl) stops the start with one line instead
// of creating a catalog and a store first. Errors of the real listen later
// read the same way.
import { createServer } from 'node:net';
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

/** Bind and release the portal's port; throws VTL_LISTEN when it cannot be had. Port 0 is always free. */
export async function checkPortal(p: Portal): Promise<void> {
  if (p.port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (e) => reject(listenError(e, p)));
    probe.listen({ host: p.host, port: p.port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
