// A small library for the changer suites: a changer with slots, mail slots
// and two real TapeDrives over in-memory cartridges.
import { genericTape } from '../../../scsi/profiles/generic-tape.ts';
import { stkL700 } from '../../../scsi/profiles/stk-l700.ts';
import type { ChangerProfile } from '../../../scsi/profiles/types.ts';
import { MemoryLibraryState, type ElementContents } from '../../../scsi/smc/library-state.ts';
import { MediaChanger } from '../../../scsi/smc/media-changer.ts';
import { TapeDrive } from '../../../scsi/ssc/tape-drive.ts';
import { MemoryMedium, MemoryMediaSource } from '../../helpers/memory-medium.ts';
import { clearUnitAttentions, quietLog } from '../ssc/harness.ts';

export interface Library {
  readonly changer: MediaChanger;
  readonly drives: readonly TapeDrive[];
  readonly media: MemoryMediaSource;
  readonly state: MemoryLibraryState;
}

export interface LibraryOptions {
  readonly profile?: ChangerProfile;
  readonly slots?: number;
  readonly mailslots?: number;
  /** Barcodes placed in storage slots 0.. */
  readonly cartridges?: readonly string[];
  readonly state?: MemoryLibraryState;
  readonly media?: MemoryMediaSource;
}

export async function library(o: LibraryOptions = {}): Promise<Library> {
  const media = o.media ?? new MemoryMediaSource();
  const cartridges = o.cartridges ?? ['A00001L6', 'A00002L6', 'A00003L6'];
  for (const b of cartridges) if (!media.media.has(b)) media.add(new MemoryMedium({ barcode: b }));
  const initial: ElementContents[] = cartridges.map((barcode, index) => ({ element: { kind: 'storage', index }, barcode }));
  const state = o.state ?? new MemoryLibraryState(initial);
  const drives = [0, 1].map((i) => new TapeDrive({ profile: genericTape, serial: `D${i}`, media, log: quietLog }));
  const changer = new MediaChanger({
    profile: o.profile ?? stkL700,
    serial: 'LIB0001',
    slots: o.slots ?? 10,
    mailslots: o.mailslots ?? 2,
    drives: drives.map((bay, i) => ({ bay, lun: i + 1 })),
    state,
    log: quietLog,
  });
  await changer.restore();
  await clearUnitAttentions(changer);
  for (const d of drives) await clearUnitAttentions(d);
  return { changer, drives, media, state };
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

export const smc = {
  readElementStatus: (o: { type?: number; start?: number; count?: number; voltag?: boolean; dvcid?: boolean; alloc?: number } = {}): number[] =>
    [0xb8, (o.voltag ?? true ? 0x10 : 0) | (o.type ?? 0), ...u16(o.start ?? 0), ...u16(o.count ?? 0xffff), o.dvcid ? 1 : 0, ...u24(o.alloc ?? 0xffffff), 0, 0],
  moveMedium: (src: number, dst: number, transport = 0): number[] => [0xa5, 0, ...u16(transport), ...u16(src), ...u16(dst), 0, 0, 0, 0],
  exchangeMedium: (src: number, d1: number, d2: number): number[] => [0xa6, 0, 0, 0, ...u16(src), ...u16(d1), ...u16(d2), 0, 0],
  initializeElementStatus: (): number[] => [0x07, 0, 0, 0, 0, 0],
  initializeWithRange: (start: number, count: number): number[] => [0x37, 0x01, ...u16(start), 0, 0, ...u16(count), 0, 0],
  positionToElement: (dst: number): number[] => [0x2b, 0, 0, 0, ...u16(dst), 0, 0, 0, 0],
  preventAllow: (prevent: boolean): number[] => [0x1e, 0, 0, 0, prevent ? 1 : 0, 0],
  modeSense6: (page: number): number[] => [0x1a, 0x08, page, 0, 255, 0],
};

export interface Descriptor {
  readonly type: number;
  readonly address: number;
  readonly full: boolean;
  readonly flags: number;
  readonly byte6: number;
  readonly svalid: boolean;
  readonly source: number;
  readonly mediumType: number;
  readonly volumeTag: string | undefined;
  readonly identifier: Buffer | undefined;
  readonly raw: Buffer;
}

/** Parse element status data the way mtx does: header, pages, fixed-length descriptors. */
export function parseElementStatus(data: Buffer): { first: number; count: number; byteCount: number; pages: Array<{ type: number; pvoltag: boolean; descLength: number; descriptors: Descriptor[] }> } {
  const pages = [];
  const byteCount = data.readUIntBE(5, 3);
  for (let at = 8; at + 8 <= Math.min(data.length, 8 + byteCount); ) {
    const type = data[at] ?? 0;
    const pvoltag = ((data[at + 1] ?? 0) & 0x80) !== 0;
    const descLength = data.readUInt16BE(at + 2);
    const bytes = data.readUIntBE(at + 5, 3);
    const descriptors: Descriptor[] = [];
    for (let d = at + 8; d + descLength <= at + 8 + bytes && d + descLength <= data.length; d += descLength) {
      const raw = data.subarray(d, d + descLength);
      let off = 12;
      let volumeTag: string | undefined;
      if (pvoltag) {
        volumeTag = raw.subarray(12, 44).toString('ascii');
        off += 36;
      }
      const idLen = raw[off + 3] ?? 0;
      descriptors.push({
        type,
        address: raw.readUInt16BE(0),
        full: ((raw[2] ?? 0) & 1) === 1,
        flags: raw[2] ?? 0,
        byte6: raw[6] ?? 0,
        svalid: ((raw[9] ?? 0) & 0x80) !== 0,
        source: raw.readUInt16BE(10),
        mediumType: (raw[9] ?? 0) & 7,
        volumeTag,
        identifier: idLen > 0 ? raw.subarray(off + 4, off + 4 + idLen) : undefined,
        raw,
      });
    }
    pages.push({ type, pvoltag, descLength, descriptors });
    at += 8 + bytes;
  }
  return { first: data.readUInt16BE(0), count: data.readUInt16BE(2), byteCount, pages };
}
