// The CLI's side of the control channel: send one request to a running
// server's <data>/control.sock. No server (no socket file, or a stale one
// nobody answers) resolves to `offline` so the caller acts on the catalog.
import { connect } from 'node:net';
import { VtlError } from '../errors.ts';
import type { CommandName, Commands, Response } from './protocol.ts';

export const offline: unique symbol = Symbol('offline');

/** How long to wait for an answer; a mutation waits behind the changer's queue (a drive unloading). */
const TIMEOUT_MS = 120_000;

export function request<C extends CommandName>(path: string, command: C, args: Commands[C]['args']): Promise<Commands[C]['result'] | typeof offline> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let connected = false;
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new VtlError('VTL_CONTROL_TIMEOUT', `the server on ${path} did not answer ${command} within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(JSON.stringify({ id: 1, command, args }) + '\n');
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      let res: Response;
      try {
        res = JSON.parse(buffered.slice(0, nl)) as Response;
      } catch {
        reject(new VtlError('VTL_CONTROL_PROTOCOL', `the server on ${path} answered something that is not JSON`));
        return;
      }
      if (res.ok) resolve(res.result as Commands[C]['result']);
      else reject(new VtlError(res.error.code, res.error.message));
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected && (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')) resolve(offline);
      else reject(new VtlError('VTL_CONTROL_UNAVAILABLE', `control socket ${path}: ${e.message}`, { cause: e }));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (connected && buffered.indexOf('\n') < 0) reject(new VtlError('VTL_CONTROL_UNAVAILABLE', `the server on ${path} closed the connection without answering ${command}`));
    });
  });
}
