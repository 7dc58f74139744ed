// Shared test fixture for the SPC and SBC tests: a memory block backend, a
// disk built on it, nexuses, and a command runner that returns parsed sense.
import type { Nexus, ScsiResult, TaskAttribute } from '../../../scsi/command.ts';
import type { BlockBackend, ExtentStatus } from '../../../scsi/sbc/block-backend.ts';
import { Disk, DISK_VERSION_DESCRIPTORS } from '../../../scsi/sbc/disk.ts';
import type { ScsiLogicalUnit } from '../../../scsi/logical-unit.ts';
import type { ScsiLog } from '../../../scsi/dispatch.ts';

/** A thin-provisioned in-memory backend; `unmapped` tracks deallocated blocks. */
export class MemoryBackend implements BlockBackend {
  readonly blockSize: number;
  readonly blockCount: bigint;
  readonly data: Buffer;
  readonly unmapped = new Set<bigint>();
  flushes = 0;
  constructor(blocks = 2048, blockSize = 512) {
    this.blockSize = blockSize;
    this.blockCount = BigInt(blocks);
    this.data = Buffer.alloc(blocks * blockSize);
    for (let i = 0n; i < this.blockCount; i++) this.unmapped.add(i);
  }
  async read(lba: bigint, blocks: number): Promise<Buffer> {
    const at = Number(lba) * this.blockSize;
    return Buffer.from(this.data.subarray(at, at + blocks * this.blockSize));
  }
  async write(lba: bigint, data: Buffer): Promise<void> {
    data.copy(this.data, Number(lba) * this.blockSize);
    for (let i = 0n; i < BigInt(data.length / this.blockSize); i++) this.unmapped.delete(lba + i);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
  async unmap(lba: bigint, blocks: bigint): Promise<void> {
    const at = Number(lba) * this.blockSize;
    this.data.fill(0, at, at + Number(blocks) * this.blockSize);
    for (let i = 0n; i < blocks; i++) this.unmapped.add(lba + i);
  }
  async extentStatus(lba: bigint): Promise<ExtentStatus> {
    const mapped = !this.unmapped.has(lba);
    let n = 1n;
    while (lba + n < this.blockCount && !this.unmapped.has(lba + n) === mapped) n++;
    return { mapped, blocks: n };
  }
}

export const silentLog: ScsiLog & { errors: string[] } = {
  errors: [],
  debug() {},
  warn() {},
  error(msg: string) {
    silentLog.errors.push(msg);
  },
};

export function nexus(n = 1): Nexus {
  const isid = n.toString(16).padStart(12, '0');
  return {
    initiatorPort: `iqn.2026-01.test:init${n},i,0x${isid}`,
    initiatorName: `iqn.2026-01.test:init${n}`,
    isid,
    targetPort: 'iqn.2026-01.test:target,t,0x0001',
    relativeTargetPortId: 1,
  };
}

export const identity = { vendor: 'S3VTL', product: 'TEST DISK', revision: '0001', serial: 'SN0001', versionDescriptors: DISK_VERSION_DESCRIPTORS };

export function makeDisk(opts: { blocks?: number; blockSize?: number; readOnly?: boolean; thick?: boolean } = {}): { disk: Disk; backend: MemoryBackend } {
  const backend = new MemoryBackend(opts.blocks, opts.blockSize);
  const store: BlockBackend = opts.thick === true
    ? { blockSize: backend.blockSize, blockCount: backend.blockCount, read: (l, b) => backend.read(l, b), write: (l, d) => backend.write(l, d), flush: () => backend.flush() }
    : backend;
  const disk = new Disk({ identity, backend: store, log: silentLog, ...(opts.readOnly === undefined ? {} : { readOnly: opts.readOnly }) });
  return { disk, backend };
}

export interface Outcome extends ScsiResult {
  /** Sense key, ASC, ASCQ parsed from fixed or descriptor sense. */
  readonly key?: number;
  readonly asc?: number;
  readonly ascq?: number;
  readonly info?: bigint;
}

export interface RunOptions {
  readonly nexus?: Nexus;
  readonly dataOut?: Buffer;
  readonly expectedLength?: number;
  readonly luns?: readonly number[];
  readonly taskAttribute?: TaskAttribute;
}

export async function run(lu: ScsiLogicalUnit, cdb: readonly number[] | Buffer, o: RunOptions = {}): Promise<Outcome> {
  const r = await lu.execute({
    cdb: Buffer.isBuffer(cdb) ? cdb : Buffer.from(cdb),
    lun: 0,
    nexus: o.nexus ?? nexus(1),
    target: { luns: () => o.luns ?? [0] },
    taskAttribute: o.taskAttribute ?? 'simple',
    expectedLength: o.expectedLength ?? 65536,
    dataOut: o.dataOut,
    signal: new AbortController().signal,
  });
  return { ...r, ...parseSense(r.sense) };
}

export function parseSense(s: Buffer | undefined): { key?: number; asc?: number; ascq?: number; info?: bigint } {
  if (s === undefined) return {};
  if (((s[0] ?? 0) & 0x7f) === 0x72) {
    const info = s.length >= 20 && s[8] === 0 ? s.readBigUInt64BE(12) : undefined;
    return { key: (s[1] ?? 0) & 0x0f, asc: s[2], ascq: s[3], ...(info === undefined ? {} : { info }) };
  }
  return { key: (s[2] ?? 0) & 0x0f, asc: s[12], ascq: s[13], ...(((s[0] ?? 0) & 0x80) !== 0 ? { info: BigInt(s.readUInt32BE(3)) } : {}) };
}

/** A ready disk: the power-on unit attention already taken for nexus 1 (and 2 when asked). */
export async function readyDisk(opts: Parameters<typeof makeDisk>[0] = {}, nexuses = [1]): Promise<{ disk: Disk; backend: MemoryBackend }> {
  const d = makeDisk(opts);
  for (const n of nexuses) await run(d.disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(n) });
  return d;
}

export const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
export const be64 = (n: bigint): number[] => [...be32(Number((n >> 32n) & 0xffffffffn)), ...be32(Number(n & 0xffffffffn))];
export const be16 = (n: number): number[] => [(n >> 8) & 255, n & 255];
