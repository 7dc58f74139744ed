// VPD and mode pages of an SBC-3 disk.
import type { ModePageDefinition } from '../spc/mode-pages.ts';
import { page0 } from '../spc/mode-pages.ts';
import type { VpdPageDefinition } from '../spc/vpd.ts';

/** Limits the disk reports in VPD B0h and enforces. */
export interface DiskLimits {
  /** MAXIMUM COMPARE AND WRITE LENGTH (blocks, <= 255). */
  readonly maxCompareAndWrite: number;
  /** MAXIMUM TRANSFER LENGTH (blocks) for READ/WRITE/VERIFY. */
  readonly maxTransfer: number;
  /** MAXIMUM UNMAP LBA COUNT (blocks per UNMAP command). */
  readonly maxUnmapBlocks: number;
  /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
  readonly maxUnmapDescriptors: number;
  /** MAXIMUM WRITE SAME LENGTH (blocks). */
  readonly maxWriteSame: number;
}

/**
 * VPD B0h BLOCK LIMITS (SBC-3 6.5.3), page length 3Ch.
 *   5 MAXIMUM COMPARE AND WRITE LENGTH   8-11 MAXIMUM TRANSFER LENGTH
 *   20-23 MAXIMUM UNMAP LBA COUNT        24-27 MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
 *   28-31 OPTIMAL UNMAP GRANULARITY      36-43 MAXIMUM WRITE SAME LENGTH
 * (offsets of the whole page; the body below starts at byte 4)
 */
export const blockLimitsPage = (l: DiskLimits, thin: boolean): VpdPageDefinition => ({
  page: 0xb0,
  name: 'Block Limits',
  build: () => {
    const b = Buffer.alloc(0x3c);
    b[1] = l.maxCompareAndWrite;
    b.writeUInt16BE(1, 2); // OPTIMAL TRANSFER LENGTH GRANULARITY
    b.writeUInt32BE(l.maxTransfer, 4);
    b.writeUInt32BE(l.maxTransfer, 8); // OPTIMAL TRANSFER LENGTH
    b.writeUInt32BE(l.maxTransfer, 12); // MAXIMUM PREFETCH LENGTH
    if (thin) {
      b.writeUInt32BE(l.maxUnmapBlocks, 16);
      b.writeUInt32BE(l.maxUnmapDescriptors, 20);
      b.writeUInt32BE(1, 24); // OPTIMAL UNMAP GRANULARITY
    }
    b.writeBigUInt64BE(BigInt(l.maxWriteSame), 32);
    return b;
  },
});

/** VPD B1h BLOCK DEVICE CHARACTERISTICS: MEDIUM ROTATION RATE 0001h = non-rotating medium (solid state). */
export const blockDeviceCharacteristicsPage = (): VpdPageDefinition => ({
  page: 0xb1,
  name: 'Block Device Characteristics',
  build: () => {
    const b = Buffer.alloc(0x3c);
    b.writeUInt16BE(0x0001, 0);
    return b;
  },
});

/**
 * VPD B2h LOGICAL BLOCK PROVISIONING (SBC-3 6.5.4), page length 4.
 *   byte 5: LBPU(7) LBPWS(6) LBPWS10(5) LBPRZ(2) ANC_SUP(1) DP(0)
 *   byte 6: PROVISIONING TYPE(2-0): 010b thin provisioned
 */
export const logicalBlockProvisioningPage = (): VpdPageDefinition => ({
  page: 0xb2,
  name: 'Logical Block Provisioning',
  build: () => Buffer.from([0, 0x80 | 0x40 | 0x20 | 0x04, 0x02, 0]),
});

/**
 * Caching mode page 08h (SBC-3 6.4.5), page length 12h.
 *   byte 2: IC ABPF CAP DISC SIZE WCE(2) MF RCD(0)
 * WCE=1: writes complete into the host's page cache; SYNCHRONIZE CACHE and
 * FUA make them durable. WCE is changeable; with WCE=0 every write is flushed.
 */
export const cachingPage = (): ModePageDefinition => ({
  name: 'Caching',
  page: 0x08,
  defaults: page0(0x08, [0x04, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]),
  changeable: page0(0x08, [0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
});

/** Read-Write Error Recovery mode page 01h (SBC-3 6.4.9): AWRE, ARRE set; nothing changeable. */
export const readWriteErrorRecoveryPage = (): ModePageDefinition => ({
  name: 'Read-Write Error Recovery',
  page: 0x01,
  defaults: page0(0x01, [0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
});
