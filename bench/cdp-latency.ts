// Block I/O loops for the CDP bench through the project's own initiator (several commands in
// flight on one session): per-command write latency at a queue depth, sequential fills, and a
// model of what was written so every target's data can be read back and checked.
import { randomBytes } from 'node:crypto';
import { BLOCK, cdb10 } from '../integration/lib/cdp.ts';
import { Initiator, senseTriple } from '../integration/lib/initiator.ts';

export { BLOCK };

/** One logged-in LUN; `model` (if any) holds what every acknowledged write put where. */
export class Lun {
  private constructor(readonly ini: Initiator, readonly lun: number, readonly model?: Buffer) {}

  static async open(url: string, initiatorName: string, model?: Buffer): Promise<Lun> {
    const m = /^iscsi:\/\/([^:/]+):(\d+)\/([^/]+)\/(\d+)$/.exec(url);
    if (!m) throw new Error(`not an iscsi URL: ${url}`);
    const ini = await Initiator.login({ host: m[1]!, port: Number(m[2]), targetName: m[3]!, initiatorName });
    const l = new Lun(ini, Number(m[4]), model);
    for (let i = 0; i < 6; i++) if ((await ini.command(l.lun, Buffer.alloc(6))).status === 0) break; // unit attentions
    return l;
  }

  async write(lba: number, data: Buffer): Promise<void> {
    const r = await this.ini.command(this.lun, cdb10(0x2a, lba, data.length / BLOCK), { dataOut: data });
    if (r.status !== 0) throw new Error(`WRITE(10) ${lba}+${data.length / BLOCK}: status ${r.status} ${JSON.stringify(senseTriple(r.sense))}`);
    if (this.model) data.copy(this.model, lba * BLOCK);
  }

  async read(lba: number, blocks: number): Promise<Buffer> {
    const r = await this.ini.command(this.lun, cdb10(0x28, lba, blocks), { readLength: blocks * BLOCK });
    if (r.status !== 0) throw new Error(`READ(10) ${lba}+${blocks}: status ${r.status} ${JSON.stringify(senseTriple(r.sense))}`);
    return r.data;
  }

  /** First byte of [0, bytes) that differs from the model, -1 if none. */
  async verify(bytes: number): Promise<number> {
    if (!this.model) throw new Error('no model to verify against');
    const step = 2048;
    for (let lba = 0; lba * BLOCK < bytes; lba += step) {
      const n = Math.min(step, bytes / BLOCK - lba);
      const got = await this.read(lba, n);
      const want = this.model.subarray(lba * BLOCK, (lba + n) * BLOCK);
      if (!got.equals(want)) for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return lba * BLOCK + i;
    }
    return -1;
  }

  async close(): Promise<void> {
    await this.ini.logout().catch(() => this.ini.destroy());
  }
}

/** Payload source: slices of a random pool, each stamped with a counter so no two writes match. */
export class Payload {
  readonly #pool = randomBytes(4 << 20);
  #n = 0;
  next(bytes: number): Buffer {
    const off = Math.floor(Math.random() * (this.#pool.length - bytes) / BLOCK) * BLOCK;
    const b = Buffer.from(this.#pool.subarray(off, off + bytes));
    for (let s = 0; s < bytes; s += BLOCK) b.writeUInt32BE(this.#n++ >>> 0, s);
    return b;
  }
}

export interface Latency { commands: number; p50us: number; p99us: number; MBps: number; iops: number }

export const percentile = (sorted: number[], p: number): number => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;

/**
 * `commands` random writes of `bs` bytes with `qd` in flight, inside [0, region). Each slot of
 * the queue owns a lane of the region, so writes in flight never overlap and the model stays exact.
 */
export async function writeLatency(lun: Lun, payload: Payload, o: { bs: number; qd: number; commands: number; region: number; warmup?: number }): Promise<Latency> {
  const lane = Math.floor(o.region / o.qd / o.bs) * o.bs;
  if (lane < o.bs) throw new Error(`region ${o.region} too small for qd ${o.qd} x ${o.bs}`);
  const slots = lane / o.bs;
  const lat: number[] = [];
  let issued = 0;
  const total = o.commands + (o.warmup ?? Math.ceil(o.commands / 10));
  const warm = total - o.commands;
  let t0 = 0;
  const worker = async (q: number): Promise<void> => {
    while (issued < total) {
      const i = issued++;
      if (i === warm) t0 = performance.now();
      const lba = (q * lane + Math.floor(Math.random() * slots) * o.bs) / BLOCK;
      const data = payload.next(o.bs);
      const s = performance.now();
      await lun.write(lba, data);
      if (i >= warm) lat.push((performance.now() - s) * 1000);
    }
  };
  await Promise.all(Array.from({ length: o.qd }, (_, q) => worker(q)));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { commands: lat.length, p50us: percentile(lat, 0.5), p99us: percentile(lat, 0.99), MBps: (lat.length * o.bs) / 1e6 / secs, iops: lat.length / secs };
}

/** Sequential writes of `bs` over [0, bytes), `qd` in flight. */
export async function fill(lun: Lun, payload: Payload, bytes: number, bs = 256 * 1024, qd = 8): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: qd }, async () => {
    while (next < bytes) {
      const off = next;
      next += bs;
      await lun.write(off / BLOCK, payload.next(Math.min(bs, bytes - off)));
    }
  }));
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}
