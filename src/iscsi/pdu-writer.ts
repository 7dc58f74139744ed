// The output side of a connection: PDUs framed (digests) and written to the
// socket, coalesced per tick into one writev, with the socket's backpressure
// turned into a pause of the input.
//
// What a connection queues for a peer that does not read is bounded. Data-In
// is bounded by the data budget (each read's reservation is held until its
// bytes left, see scsi-command.ts) and does not count here; past `highWater`
// bytes of everything else (responses, R2Ts, NOP-In echoes, rejects) the
// input is paused, so no new command, NOP-Out or Data-Out is taken in until
// the socket drains, and a peer that never reads misses the keep-alive ping
// and is dropped (nop.ts).
import type { Socket } from 'node:net';
import { encodePdu, frame, type TargetPdu } from './pdu-serializer.ts';

/** Pause reading when this much besides budgeted Data-In is queued for the socket. */
export const WRITE_HIGH_WATER = 1024 * 1024;

export class PduWriter {
  readonly #socket: Socket;
  readonly #highWater: number;
  readonly #onResume: () => void;
  headerDigest = false;
  dataDigest = false;
  #corked = false;
  #paused = false;
  /** Queued bytes the data budget accounts for (Data-In of reads holding a reservation). */
  #budgeted = 0;

  /** `onResume` runs when the socket drained after the input was paused. */
  constructor(socket: Socket, onResume: () => void, highWater = WRITE_HIGH_WATER) {
    this.#socket = socket;
    this.#onResume = onResume;
    this.#highWater = highWater;
    socket.on('drain', () => this.#onDrain());
  }

  /** The input is paused until the socket drains. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes queued for the socket that no budget accounts for. */
  get unbudgeted(): number {
    return Math.max(0, this.#socket.writableLength - this.#budgeted);
  }

  /**
   * Queue a PDU. `flushed` runs once its last byte was handed to the kernel,
   * or, when the socket is gone, as soon as it cannot be any more: exactly once.
   * `budgeted` bytes queued up to this PDU (included) are accounted by the
   * data budget until then, and do not count towards `highWater`.
   */
  send(pdu: TargetPdu, flushed?: () => void, budgeted = 0): void {
    const socket = this.#socket;
    if (socket.destroyed) {
      flushed?.();
      return;
    }
    if (!this.#corked) {
      // Coalesce everything written in this tick into one writev.
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    const bufs = frame(encodePdu(pdu), this.headerDigest, this.dataDigest);
    const last = bufs.length - 1;
    for (let i = 0; i < last; i++) socket.write(bufs[i]!);
    // A destroyed stream calls pending write callbacks with an error: the bytes will not leave, the caller may let go.
    if (flushed === undefined) socket.write(bufs[last]!);
    else {
      this.#budgeted += budgeted;
      socket.write(bufs[last]!, () => {
        this.#budgeted -= budgeted;
        flushed();
      });
    }
    if (!this.#paused && this.unbudgeted > this.#highWater) {
      this.#paused = true;
      socket.pause();
    }
  }

  #onDrain(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket.resume();
    this.#onResume();
  }
}
