// The control channel of a running `s3vtl serve`: a Unix domain socket at
// <data>/control.sock through which the operator's commands reach the live
// changers (they hold the element state in memory). Newline-delimited JSON,
// one handler per command (protocol.ts); a handler's error becomes
// {code, message}. A socket file left by a crashed server is replaced; one
// that answers belongs to a running server and stops this one.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../../tapes/private-fs.ts';
import { ConfigError, VtlError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { asVtlError } from './operations.ts';
import type { Request, Response } from './protocol.ts';

export type Handler = (args: unknown) => Promise<unknown>;

/** Characters a request line may take; more is a protocol error that closes the connection. */
const MAX_LINE = 1 << 20;
/** Requests read ahead of the one being answered before the connection is no longer read. */
const MAX_QUEUED = 64;
/** sockaddr_un.sun_path holds 108 bytes with the terminating NUL on Linux. */
const MAX_SOCKET_PATH = 107;

/** Set the process umask; the previous one, or undefined where it cannot be set (worker threads). */
function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** Whether something answers on the socket (a live server) rather than a stale file. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  readonly path: string;
  readonly #handlers: Readonly<Record<string, Handler>>;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #listening = false;

  constructor(opts: { path: string; handlers: Readonly<Record<string, Handler>>; log: Logger }) {
    this.path = opts.path;
    this.#handlers = opts.handlers;
    this.#log = opts.log;
    this.#server = createServer((s) => this.#serve(s));
  }

  async listen(): Promise<void> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH) {
      throw new ConfigError('data', `the control socket ${this.path} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter data directory`);
    }
    if (await answers(this.path)) {
      throw new VtlError('VTL_CONTROL_IN_USE', `another s3vtl serve answers on ${this.path}; stop it first or use another data directory`);
    }
    await unlink(this.path).then(
      () => this.#log.warn('removed a stale control socket (a server did not stop cleanly)', { path: this.path }),
      (e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; },
    );
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      // Whoever can connect can create and move cartridges: the socket is born 0600
      // (bind happens inside listen(), under this umask), whatever the process's umask.
      const restore = setUmask(0o177);
      try {
        this.#server.listen(this.path, () => {
          this.#server.off('error', reject);
          resolve();
        });
      } finally {
        if (restore !== undefined) setUmask(restore);
      }
    });
    this.#listening = true;
    await chmod(this.path, PRIVATE_FILE_MODE);
  }

  /** Stop answering and remove the socket file. */
  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    for (const s of this.#sockets) s.destroy();
    // net.Server removes the socket file it created when it closes.
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await unlink(this.path).catch(() => undefined);
  }

  /**
   * One connection: requests are answered in order, one at a time. A client
   * that sends faster than it reads its answers is not read from while
   * answers wait to be sent (write() returned false: until 'drain') or while
   * MAX_QUEUED requests wait for their turn, so memory stays bounded whatever
   * it sends; a request line longer than MAX_LINE closes the connection.
   */
  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setEncoding('utf8');
    let partial = '';
    const queue: string[] = [];
    let pumping = false;
    let refused = false;
    const pump = async (): Promise<void> => {
      if (pumping) return;
      pumping = true;
      while (queue.length > 0 && !socket.destroyed && !refused) {
        const response = await this.#answer(queue.shift()!);
        if (socket.destroyed || refused) break;
        if (!socket.write(JSON.stringify(response) + '\n')) {
          socket.pause();
          await new Promise<void>((resolve) => {
            const done = (): void => {
              socket.off('drain', done);
              socket.off('close', done);
              resolve();
            };
            socket.on('drain', done);
            socket.on('close', done);
          });
        }
      }
      pumping = false;
      if (!socket.destroyed && !refused && queue.length < MAX_QUEUED) socket.resume();
    };
    socket.on('data', (chunk: string) => {
      if (refused) return;
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim() !== '') queue.push(line);
      }
      if (partial.length > MAX_LINE) {
        refused = true;
        queue.length = 0;
        partial = '';
        socket.pause();
        socket.end(JSON.stringify({ id: 0, ok: false, error: { code: 'VTL_CONTROL_PROTOCOL', message: `request line longer than ${MAX_LINE} characters` } }) + '\n');
        return;
      }
      if (queue.length >= MAX_QUEUED) socket.pause();
      void pump();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      queue.length = 0;
      this.#sockets.delete(socket);
    });
  }

  async #answer(line: string): Promise<Response> {
    let req: Request;
    try {
      req = JSON.parse(line) as Request;
      if (typeof req !== 'object' || req === null || typeof req.command !== 'string') throw new Error('not a request object');
    } catch (e) {
      return { id: 0, ok: false, error: { code: 'VTL_CONTROL_PROTOCOL', message: `bad request: ${(e as Error).message}` } };
    }
    const id = typeof req.id === 'number' ? req.id : 0;
    const handler = Object.hasOwn(this.#handlers, req.command) ? this.#handlers[req.command] : undefined;
    if (handler === undefined) return { id, ok: false, error: { code: 'VTL_CONTROL_UNKNOWN_COMMAND', message: `unknown command ${req.command}` } };
    try {
      return { id, ok: true, result: await handler(req.args ?? {}) };
    } catch (e) {
      const known = asVtlError(e);
      if (known !== undefined) return { id, ok: false, error: { code: known.code, message: known.message } };
      if (e instanceof Error && e.name === 'ZodError') return { id, ok: false, error: { code: 'VTL_CONTROL_PROTOCOL', message: `bad arguments for ${req.command}: ${e.message}` } };
      this.#log.error('control command failed', { command: req.command, error: e instanceof Error ? e.stack : String(e) });
      return { id, ok: false, error: { code: 'VTL_INTERNAL', message: `${req.command} failed inside the server: ${e instanceof Error ? e.message : String(e)} (see the server log)` } };
    }
  }
}
