// CDP suites' helpers: block I/O through the project's initiator, the `s3vtl
// cdp` CLI, and a write log that rebuilds the model image at any point.
import { PassThrough } from 'node:stream';
import { cdpCommand } from '../../src/cli/cdp.ts';
import { Initiator, senseTriple, type CommandResult } from './initiator.ts';
import { run, type RunResult } from './util.ts';

export const BLOCK = 512;

/** READ(10) / WRITE(10) and the like: opcode, LBA, transfer length in blocks. */
export const cdb10 = (op: number, lba: number, blocks: number): Buffer => {
  const c = Buffer.alloc(10);
  c[0] = op;
  c.writeUInt32BE(lba, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
};

export class BlockClient {
  constructor(readonly ini: Initiator, readonly lun = 0) {}

  static async login(port: number, iqn: string, lun = 0, initiatorName = 'iqn.2026-11.org.s3vtl:it-cdp'): Promise<BlockClient> {
    const ini = await Initiator.login({ host: '127.0.0.1', port, targetName: iqn, initiatorName });
    const c = new BlockClient(ini, lun);
    // Unit attentions first (power on, LUN inventory changes).
    for (let i = 0; i < 5; i++) if ((await ini.command(lun, Buffer.alloc(6))).status === 0) break;
    return c;
  }

  async write(lba: number, data: Buffer): Promise<CommandResult> {
    return this.ini.command(this.lun, cdb10(0x2a, lba, data.length / BLOCK), { dataOut: data });
  }

  async read(lba: number, blocks: number): Promise<CommandResult> {
    return this.ini.command(this.lun, cdb10(0x28, lba, blocks), { readLength: blocks * BLOCK });
  }

  async sync(): Promise<CommandResult> {
    return this.ini.command(this.lun, cdb10(0x35, 0, 0));
  }

  /** The whole LUN, read in 1 MiB commands. */
  async readAll(bytes: number): Promise<Buffer> {
    const out = Buffer.alloc(bytes);
    const step = 2048;
    for (let lba = 0; lba * BLOCK < bytes; lba += step) {
      const n = Math.min(step, bytes / BLOCK - lba);
      const r = await this.read(lba, n);
      if (r.status !== 0) throw new Error(`READ at ${lba}: status ${r.status} ${JSON.stringify(senseTriple(r.sense))}`);
      r.data.copy(out, lba * BLOCK);
    }
    return out;
  }

  async logout(): Promise<void> {
    await this.ini.logout().catch(() => this.ini.destroy());
  }
}

/** Every acknowledged write in order; `image(n)` is the volume after the first n. */
export class WriteLog {
  readonly writes: { lba: number; data: Buffer }[] = [];
  constructor(readonly bytes: number) {}
  add(lba: number, data: Buffer): void {
    this.writes.push({ lba, data });
  }
  image(n = this.writes.length): Buffer {
    const img = Buffer.alloc(this.bytes);
    for (const w of this.writes.slice(0, n)) w.data.copy(img, w.lba * BLOCK);
    return img;
  }
}

/** `s3vtl cdp ...` (or any s3vtl command) as the operator runs it. */
export function s3vtl(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<RunResult> {
  return run(process.execPath, ['--import=tsx', 'src/main.ts', ...args], { timeoutMs, ...(env !== undefined && { env }) });
}

/**
 * `s3vtl cdp ARGS` in this process (the machine is shared: a node start costs
 * seconds): what it printed, or the operator error it threw.
 */
export async function cdpInProcess(args: string[]): Promise<{ out: string; error?: Error & { code?: string } }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => { text += d.toString(); });
  try {
    await cdpCommand(out).exitOverride().parseAsync(args, { from: 'user' });
    return { out: text };
  } catch (e) {
    return { out: text, error: e as Error & { code?: string } };
  }
}

/** First differing byte, for messages. */
export function firstDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
