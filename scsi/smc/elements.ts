// The element model of an SMC-3 medium changer (4.2): one medium transport,
// storage slots, import/export (mail) slots and data transfer elements (the
// drives), each type numbered from the personality's address base.
import type { ElementAddressBases } from '../profiles/types.ts';
import type { DriveBay } from './drive-bay.ts';
import type { ElementKind, ElementRef } from './library-state.ts';

/** ELEMENT TYPE CODE (SMC-3 table 6). */
export const ElementType = { ALL: 0, MEDIUM_TRANSPORT: 1, STORAGE: 2, IMPORT_EXPORT: 3, DATA_TRANSFER: 4 } as const;
export type ElementType = 1 | 2 | 3 | 4;

export interface Element {
  readonly type: ElementType;
  readonly address: number;
  /** 0-based ordinal within its type. */
  readonly index: number;
  readonly drive?: DriveBay;
  /** LUN of the drive on this target (DT descriptor LU VALID / LUN). */
  readonly driveLun?: number;
  barcode: string | undefined;
  /** Address of the element the cartridge was moved from (SVALID). */
  source: number | undefined;
  /** Import/export: placed by the operator (IMPEXP). */
  imported: boolean;
}

export interface ElementCounts {
  readonly storage: number;
  readonly importExport: number;
  readonly drives: ReadonlyArray<{ readonly bay: DriveBay; readonly lun?: number }>;
}

const kindOf: Record<ElementType, ElementKind | undefined> = {
  1: undefined,
  2: 'storage',
  3: 'import-export',
  4: 'data-transfer',
};

export class ElementMap {
  readonly bases: ElementAddressBases;
  readonly #byAddress = new Map<number, Element>();
  readonly #byType = new Map<ElementType, Element[]>();

  constructor(bases: ElementAddressBases, counts: ElementCounts) {
    this.bases = bases;
    this.#add(ElementType.MEDIUM_TRANSPORT, bases.transport, 1);
    this.#add(ElementType.STORAGE, bases.storage, counts.storage);
    this.#add(ElementType.IMPORT_EXPORT, bases.importExport, counts.importExport);
    this.#add(ElementType.DATA_TRANSFER, bases.dataTransfer, counts.drives.length, (i) => {
      const d = counts.drives[i];
      return d === undefined ? {} : { drive: d.bay, ...(d.lun === undefined ? {} : { driveLun: d.lun }) };
    });
  }

  #add(type: ElementType, base: number, count: number, extra: (i: number) => Pick<Element, 'drive' | 'driveLun'> = () => ({})): Element[] {
    const list: Element[] = [];
    for (let i = 0; i < count; i++) {
      const address = base + i;
      if (address > 0xffff || this.#byAddress.has(address)) throw new Error(`element address ${address} of type ${type} overlaps or overflows`);
      const e: Element = { type, address, index: i, barcode: undefined, source: undefined, imported: false, ...extra(i) };
      list.push(e);
      this.#byAddress.set(address, e);
    }
    this.#byType.set(type, list);
    return list;
  }

  get(address: number): Element | undefined {
    return this.#byAddress.get(address);
  }

  ofType(type: ElementType): readonly Element[] {
    return this.#byType.get(type) ?? [];
  }

  /** Every element in ascending address order. */
  all(): Element[] {
    return [...this.#byAddress.values()].sort((a, b) => a.address - b.address);
  }

  /** The first element address and the count of a type (mode page 1Dh). */
  range(type: ElementType): { first: number; count: number } {
    const list = this.ofType(type);
    return { first: list[0]?.address ?? 0, count: list.length };
  }

  ref(e: Element): ElementRef | undefined {
    const kind = kindOf[e.type];
    return kind === undefined ? undefined : { kind, index: e.index };
  }

  byRef(r: ElementRef): Element | undefined {
    const type: ElementType = r.kind === 'storage' ? 2 : r.kind === 'import-export' ? 3 : 4;
    return this.ofType(type)[r.index];
  }

  findBarcode(barcode: string): Element | undefined {
    for (const e of this.#byAddress.values()) if (e.barcode === barcode) return e;
    return undefined;
  }
}

/** The SCSI element address of an element named by kind and ordinal, under a personality's bases. */
export function addressOf(bases: ElementAddressBases, ref: ElementRef): number {
  const base = ref.kind === 'storage' ? bases.storage : ref.kind === 'import-export' ? bases.importExport : bases.dataTransfer;
  return base + ref.index;
}

/**
 * The kind and ordinal of a SCSI element address (for stores keyed by address,
 * such as the catalog): the type whose base is the highest one at or below the
 * address. The transport, or an address below every base, has none.
 */
export function refOf(bases: ElementAddressBases, address: number): ElementRef | undefined {
  const ranges: Array<[ElementKind | 'transport', number]> = [
    ['transport', bases.transport],
    ['storage', bases.storage],
    ['import-export', bases.importExport],
    ['data-transfer', bases.dataTransfer],
  ];
  let best: [ElementKind | 'transport', number] | undefined;
  for (const r of ranges) if (r[1] <= address && (best === undefined || r[1] > best[1])) best = r;
  if (best === undefined || best[0] === 'transport') return undefined;
  return { kind: best[0], index: address - best[1] };
}
