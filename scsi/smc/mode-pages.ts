// The SMC-3 mode pages of the changer (7.3): element address assignment
// (1Dh), transport geometry (1Eh), device capabilities (1Fh). None is
// changeable: the layout comes from the personality and the configuration.
import { page0 } from '../spc/mode-pages.ts';
import { ElementType, type ElementMap } from './elements.ts';
import type { ModePages } from '../spc/mode-pages.ts';

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

export function addChangerModePages(pages: ModePages, elements: ElementMap, exchange: boolean): void {
  // 1Dh: 2-3 first MT, 4-5 number of MT, 6-7 first ST, 8-9 number of ST,
  // 10-11 first I/E, 12-13 number of I/E, 14-15 first DT, 16-17 number of DT.
  const r = (t: 1 | 2 | 3 | 4): number[] => {
    const { first, count } = elements.range(t);
    return [...u16(first), ...u16(count)];
  };
  const body1d = [...r(ElementType.MEDIUM_TRANSPORT), ...r(ElementType.STORAGE), ...r(ElementType.IMPORT_EXPORT), ...r(ElementType.DATA_TRANSFER), 0, 0];
  pages.add({ name: 'Element Address Assignment', page: 0x1d, defaults: page0(0x1d, body1d), changeable: page0(0x1d, body1d.map(() => 0)) });

  // 1Eh: one transport: 2 ROTATE(0), 3 MEMBER NUMBER IN TRANSPORT ELEMENT SET.
  pages.add({ name: 'Transport Geometry Parameters', page: 0x1e, defaults: page0(0x1e, [0, 0]), changeable: page0(0x1e, [0, 0]) });

  // 1Fh: 2 STORDT STORI/E STORST STORMT; 4..7 MOVE from MT, ST, I/E, DT to
  // (DT, I/E, ST, MT bits 3..0); 12..15 EXCHANGE likewise. The picker is not a
  // source or destination; every other pair is allowed.
  const ex = exchange ? 0x0e : 0;
  const body1f = [0x0e, 0, 0x00, 0x0e, 0x0e, 0x0e, 0, 0, 0, 0, 0, ex, ex, ex, 0, 0, 0, 0];
  pages.add({ name: 'Device Capabilities', page: 0x1f, defaults: page0(0x1f, body1f), changeable: page0(0x1f, body1f.map(() => 0)) });
}
