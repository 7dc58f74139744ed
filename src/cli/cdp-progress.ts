// A restore's progress on a terminal: one bar redrawn in place on stderr.
// Nothing when stderr is not a terminal (scripts, --json).

type Tty = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const MiB = 1024 * 1024;

export class RestoreProgress {
  readonly #out: Tty | undefined;
  readonly #started = Date.now();
  #drawn = false;
  #lastDraw = 0;

  constructor(out: Tty | undefined) {
    this.#out = out?.isTTY === true ? out : undefined;
  }

  update(done: number, total: number): void {
    if (this.#out === undefined) return;
    const now = Date.now();
    if (done < total && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const width = 30;
    const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
    const secs = Math.max(0.001, (now - this.#started) / 1000);
    const rate = done / MiB / secs;
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    this.#out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${(done / MiB).toFixed(0)}/${(total / MiB).toFixed(0)} MiB  ${rate.toFixed(1)} MiB/s `);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#out?.write('\n');
    this.#drawn = false;
  }
}
