// The SSC-4 log pages of a tape drive (8.2): error counters, sequential-access
// device counters, TapeAlert and tape capacity. Page 00h comes from the registry.
import { logParameter } from '../spc/log-pages.ts';
import type { TapeDrive } from './tape-drive.ts';

const MIB = 1024 * 1024;

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(Math.min(Math.max(0, Math.floor(n)), 0xffffffff) >>> 0);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
  return b;
};

/**
 * Write (02h) and read (03h) error counter pages (SPC-4 7.3.x):
 * 0000h..0003h corrected errors (none: the store corrects nothing visible),
 * 0004h times correction algorithm processed, 0005h TOTAL BYTES PROCESSED,
 * 0006h TOTAL UNCORRECTED ERRORS.
 */
function errorCounters(bytes: () => number, uncorrected: () => number): () => Buffer {
  return () =>
    Buffer.concat([
      logParameter(0x0000, u32(0), 0x00),
      logParameter(0x0001, u32(0), 0x00),
      logParameter(0x0002, u32(0), 0x00),
      logParameter(0x0003, u32(0), 0x00),
      logParameter(0x0004, u32(0), 0x00),
      logParameter(0x0005, u64(bytes()), 0x00),
      logParameter(0x0006, u32(uncorrected()), 0x00),
    ]);
}

export function addTapeLogPages(d: TapeDrive): void {
  d.logPages.add({
    page: 0x02,
    name: 'Write Error Counter',
    parameters: errorCounters(() => d.counters.hostBytesWritten, () => d.counters.writeErrors),
    reset: () => { d.counters.writeErrors = 0; },
  });
  d.logPages.add({
    page: 0x03,
    name: 'Read Error Counter',
    parameters: errorCounters(() => d.counters.hostBytesRead, () => d.counters.readErrors),
    reset: () => { d.counters.readErrors = 0; },
  });

  // 0Ch Sequential-Access Device (SSC-4 8.2.2): 0000h data bytes received from
  // initiators with WRITE, 0001h data bytes written to the medium (after
  // compression: the drive does not compress, the store may), 0002h bytes read
  // from the medium, 0003h bytes returned to initiators; 0004h native capacity
  // from BOP to early warning (MB); 0100h cleaning required.
  d.logPages.add({
    page: 0x0c,
    name: 'Sequential-Access Device',
    parameters: () => {
      const l = d.loaded();
      const ew = l === undefined ? 0 : d.limits(l).earlyWarning / MIB;
      return Buffer.concat([
        logParameter(0x0000, u64(d.counters.hostBytesWritten), 0x00),
        logParameter(0x0001, u64(d.counters.hostBytesWritten), 0x00),
        logParameter(0x0002, u64(d.counters.hostBytesRead), 0x00),
        logParameter(0x0003, u64(d.counters.hostBytesRead), 0x00),
        logParameter(0x0004, u32(ew), 0x00),
        logParameter(0x0100, u64(0), 0x00),
      ]);
    },
    reset: () => {
      d.counters.hostBytesWritten = 0;
      d.counters.hostBytesRead = 0;
    },
  });

  // 2Eh TapeAlert (SSC-4 8.2.3): parameters 0001h..0040h, one byte each, bit 0
  // = flag active. Flags are cleared when the page is read.
  d.logPages.add({
    page: 0x2e,
    name: 'TapeAlert',
    parameters: () => {
      const params: Buffer[] = [];
      for (let flag = 1; flag <= 64; flag++) params.push(logParameter(flag, Buffer.from([d.tapeAlerts.has(flag) ? 1 : 0]), 0x03));
      d.tapeAlerts.clear();
      return Buffer.concat(params);
    },
    reset: () => d.tapeAlerts.clear(),
  });

  // 31h Tape Capacity (SSC-4 8.2.4, MiB): 0001h main partition remaining,
  // 0002h alternate remaining, 0003h main maximum, 0004h alternate maximum.
  d.logPages.add({
    page: 0x31,
    name: 'Tape Capacity',
    parameters: () => {
      const l = d.loaded();
      const max = l === undefined ? 0 : d.limits(l).capacity;
      const remaining = l === undefined ? 0 : Math.max(0, max - l.medium.usedBytes());
      return Buffer.concat([
        logParameter(0x0001, u32(remaining / MIB)),
        logParameter(0x0002, u32(0)),
        logParameter(0x0003, u32(max / MIB)),
        logParameter(0x0004, u32(0)),
      ]);
    },
  });
}
