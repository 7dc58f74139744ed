// Disk: an SBC-3 direct-access logical unit over a BlockBackend.
//
//   const backend = await SparseFileBackend.open({ path, sizeBytes, blockSize: 512 });
//   const disk = new Disk({ identity: { vendor: 'S3VTL', product: 'CDP DISK', revision: '0001',
//                                       serial: 'CDP0001', versionDescriptors: DISK_VERSION_DESCRIPTORS },
//                           backend, log });
import type { CommandTable } from '../command-table.ts';
import type { Nexus, ResetKind } from '../command.ts';
import { ScsiLogicalUnit, type BlockDescriptor, type LogicalUnitOptions } from '../logical-unit.ts';
import { ScsiError, Sense } from '../sense.ts';
import type { BlockBackend } from './block-backend.ts';
import { DISK_COMMANDS, THIN_DISK_COMMANDS } from './commands.ts';
import {
  blockDeviceCharacteristicsPage,
  blockLimitsPage,
  cachingPage,
  logicalBlockProvisioningPage,
  readWriteErrorRecoveryPage,
  type DiskLimits,
} from './disk-pages.ts';
import { RangeLocks } from './range-lock.ts';

/** SAM-5, iSCSI (RFC 7143), SPC-4, SBC-3 (SPC-4 table "Version descriptor values"). */
export const DISK_VERSION_DESCRIPTORS: readonly number[] = [0x00a0, 0x0960, 0x0460, 0x04c0];

export interface DiskOptions extends Omit<LogicalUnitOptions, 'serial' | 'volatileCache' | 'softwareWriteProtect'> {
  readonly backend: BlockBackend;
  /** Refuse every write with DATA PROTECT / WRITE PROTECTED (27/00); default: the backend's `readOnly`. */
  readonly readOnly?: boolean;
  /** Overrides of the default limits (VPD B0h). */
  readonly limits?: Partial<DiskLimits>;
}

/** MAXIMUM TRANSFER LENGTH in bytes; libiscsi WriteSame16.Unmap writes 65536 x 512 bytes in one WRITE(16). */
const MAX_TRANSFER_BYTES = 32 << 20;

export class Disk extends ScsiLogicalUnit {
  readonly peripheralType = 0x00;
  readonly backend: BlockBackend;
  readonly readOnly: boolean;
  readonly limits: DiskLimits;
  /** Thin provisioned: the backend can deallocate (LBPME, UNMAP, WRITE SAME UNMAP). */
  readonly thin: boolean;
  readonly locks = new RangeLocks();
  /** START STOP UNIT with START=0 stops the unit: medium access commands get NOT READY 04/02. */
  stopped = false;

  constructor(opts: DiskOptions) {
    super({ ...opts, volatileCache: true, softwareWriteProtect: true });
    this.backend = opts.backend;
    this.readOnly = opts.readOnly ?? opts.backend.readOnly === true;
    this.thin = opts.backend.unmap !== undefined && opts.backend.extentStatus !== undefined;
    const maxTransfer = Math.max(1, Math.floor(MAX_TRANSFER_BYTES / opts.backend.blockSize));
    this.limits = {
      maxCompareAndWrite: 255,
      maxTransfer,
      maxUnmapBlocks: 0x10000,
      maxUnmapDescriptors: 256,
      maxWriteSame: maxTransfer,
      ...opts.limits,
    };
    this.vpdPages.add(blockLimitsPage(this.limits, this.thin));
    this.vpdPages.add(blockDeviceCharacteristicsPage());
    if (this.thin) this.vpdPages.add(logicalBlockProvisioningPage());
    this.modePages.add(readWriteErrorRecoveryPage());
    this.modePages.add(cachingPage());
  }

  protected override commandTable(): CommandTable<never> {
    return this.thin ? THIN_DISK_COMMANDS : DISK_COMMANDS;
  }

  get blockSize(): number {
    return this.backend.blockSize;
  }

  get blockCount(): bigint {
    return this.backend.blockCount;
  }

  /** Write protection from configuration or the control page SWP bit. */
  writeProtected(): boolean {
    return this.readOnly || this.softwareWriteProtected();
  }

  /** Throws DATA PROTECT / WRITE PROTECTED when writes are refused. */
  checkWritable(): void {
    if (this.writeProtected()) throw new ScsiError(Sense.writeProtected);
  }

  /** Caching page WCE: false means every write is made durable before GOOD. */
  writeCacheEnabled(): boolean {
    return ((this.modePages.current(0x08)?.[2] ?? 0) & 0x04) !== 0;
  }

  /** Write and honour FUA / WCE=0 (SBC-3: FUA "shall write ... to the medium before completing"). */
  async writeBlocks(lba: bigint, data: Buffer, fua: boolean): Promise<void> {
    await this.backend.write(lba, data);
    if (fua || !this.writeCacheEnabled()) await this.backend.flush();
  }

  /**
   * Write what the initiator actually sent of a `blocks`-long transfer: the
   * whole blocks, then a partial last block merged over its stored bytes.
   * FCP-4 (quoted by libiscsi iSCSIResiduals): "process the command normally
   * except that data beyond the FCP_DL count shall not be ... transferred".
   * Returns the bytes written. Call with the range lock held.
   */
  async writeReceived(lba: bigint, blocks: number, dataOut: Buffer | undefined, fua: boolean): Promise<Buffer> {
    const data = (dataOut ?? Buffer.alloc(0)).subarray(0, blocks * this.blockSize);
    const whole = Math.floor(data.length / this.blockSize);
    const rest = data.length - whole * this.blockSize;
    if (whole > 0) await this.backend.write(lba, data.subarray(0, whole * this.blockSize));
    if (rest > 0) {
      const tail = await this.backend.read(lba + BigInt(whole), 1);
      data.copy(tail, 0, whole * this.blockSize);
      await this.backend.write(lba + BigInt(whole), tail);
    }
    if (data.length > 0 && (fua || !this.writeCacheEnabled())) await this.backend.flush();
    return data;
  }

  override modeBlockDescriptor(): BlockDescriptor {
    return { density: 0, blocks: this.blockCount, blockLength: this.blockSize };
  }

  /** Device-specific parameter: WP(7), DPOFUA(4) (SBC-3 6.4.1). */
  override modeDeviceSpecific(): number {
    return (this.writeProtected() ? 0x80 : 0) | 0x10;
  }

  override async close(): Promise<void> {
    await super.close();
    await this.backend.flush();
    await this.backend.close?.();
  }

  protected override onReset(kind: ResetKind, _by: Nexus | undefined): void {
    if (kind === 'target-cold-reset') this.stopped = false;
  }
}
