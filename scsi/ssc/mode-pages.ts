// The SSC-4 mode pages of a tape drive (8.3). Control (0Ah) and
// Informational Exceptions (1Ch, TapeAlert via LOG SENSE 2Eh) come from the
// SPC base. Pages whose content follows drive state (compression, WORM) are
// rendered from that state on MODE SENSE and write it back on MODE SELECT.
import { invalidParameterField } from '../sense.ts';
import { page0 } from '../spc/mode-pages.ts';
import type { TapeDrive } from './tape-drive.ts';

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

export function addTapeModePages(d: TapeDrive): void {
  // 00h: Linux st opens the drive with MODE SENSE(6) PAGE CODE 0, allocation
  // 12, and reads density, block length, WP and BUFFERED MODE from the header
  // and block descriptor; a drive that refuses page 0 leaves st guessing.
  // SPC-4 makes 00h a vendor-specific page without page format: here an empty one.
  d.modePages.add({ name: 'Vendor (no page)', page: 0x00, defaults: Buffer.from([0x00, 0x00]) });

  // 01h Read-Write Error Recovery: byte 2 TB(5) EER(3) PER(2) DTE(1) DCR(0);
  // 3 READ RETRY COUNT; 8 WRITE RETRY COUNT. Nothing to change: retries are the store's.
  d.modePages.add({ name: 'Read-Write Error Recovery', page: 0x01, defaults: page0(0x01, zeros(10)), changeable: page0(0x01, zeros(10)) });

  // 02h Disconnect-Reconnect: meaningless over iSCSI, reported as zeros.
  d.modePages.add({ name: 'Disconnect-Reconnect', page: 0x02, defaults: page0(0x02, zeros(14)), changeable: page0(0x02, zeros(14)) });

  // 0Fh Data Compression: 2 DCE(7) DCC(6); 3 DDE(7) RED(6-5); 4-7 COMPRESSION
  // ALGORITHM; 8-11 DECOMPRESSION ALGORITHM. Linux st (MTCOMPRESSION) toggles DCE
  // after checking DCC, and may write its algorithm into byte 7.
  const capable = d.profile.compression.capable;
  const algo = d.profile.compression.algorithm;
  const compression = [capable ? 0x40 : 0, 0x80, 0, 0, 0, algo, 0, 0, 0, algo, 0, 0, 0, 0];
  d.modePages.add({
    name: 'Data Compression',
    page: 0x0f,
    defaults: page0(0x0f, compression.map((v, i) => (i === 0 && capable && d.profile.compression.enabledByDefault ? v | 0x80 : v))),
    changeable: page0(0x0f, capable ? [0x80, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0] : zeros(14)),
    refresh: (cur) => {
      cur[2] = ((cur[2] ?? 0) & 0x7f) | (d.compression ? 0x80 : 0);
    },
    apply: (next) => {
      const a = next.readUInt32BE(4);
      if (a !== 0 && a !== algo) throw invalidParameterField(4);
      d.compression = ((next[2] ?? 0) & 0x80) !== 0 && a !== 0;
    },
  });

  // 10h Device Configuration: 8 OBR LOIS RSMK AVC SOCF(3-2) ROBO REW; 10 EOD
  // DEFINED(7-5) EEG SEW SWP BAML BAM; 14 SELECT DATA COMPRESSION ALGORITHM
  // (0 none, 1 default); 15 ASOCWP PERSWP PRMWP. LOIS=1 (objects are numbered),
  // EEG=1 and SEW=1 (EOD generation, synchronize at early warning).
  d.modePages.add({
    name: 'Device Configuration',
    page: 0x10,
    defaults: page0(0x10, [0, 0, 0, 0, 0, 0, 0x40, 0, 0x18, 0, 0, 0, d.compression ? 1 : 0, 0]),
    changeable: page0(0x10, [0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, capable ? 0xff : 0, 0]),
    refresh: (cur) => {
      cur[8] = ((cur[8] ?? 0) & 0xfe) | (d.reportEarlyWarningOnRead ? 1 : 0);
      cur[14] = d.compression ? 1 : 0;
    },
    apply: (next) => {
      const sel = next[14] ?? 0;
      if (sel > 1) throw invalidParameterField(14);
      d.compression = sel === 1;
      d.reportEarlyWarningOnRead = ((next[8] ?? 0) & 1) !== 0;
    },
  });

  // 11h Medium Partition: 2 MAXIMUM ADDITIONAL PARTITIONS; 3 ADDITIONAL PARTITIONS
  // DEFINED; 4 FDP SDP IDP PSUM(4-3) POFM CLEAR ADDP; 5 MEDIUM FORMAT RECOGNITION
  // (03h: format and partition recognition); 6 PARTITION UNITS (3-0); 8-9
  // partition 0 size. One partition; partitioning is not offered (nothing changeable).
  d.modePages.add({
    name: 'Medium Partition',
    page: 0x11,
    defaults: page0(0x11, [Math.max(0, d.profile.capabilities.maxPartitions - 1), 0, 0x18, 0x03, 0x09, 0, 0xff, 0xff]),
    changeable: page0(0x11, zeros(8)),
  });

  // 1Dh Medium Configuration: 2 WORMM(0) (the loaded cartridge is WORM);
  // 4 WORM MODE LABEL RESTRICTIONS; 5 WORM MODE FILEMARK RESTRICTIONS.
  d.modePages.add({
    name: 'Medium Configuration',
    page: 0x1d,
    defaults: page0(0x1d, zeros(0x1e)),
    changeable: page0(0x1d, zeros(0x1e)),
    refresh: (cur) => {
      cur[2] = d.loaded()?.medium.attributes.worm === true ? 0x01 : 0x00;
    },
  });
}
