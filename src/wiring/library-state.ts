// The changer's LibraryStateStore backed by the catalog's elements table,
// which is keyed by SCSI element address; the personality's address bases
// translate between the two.
import type { Catalog } from '../catalog/catalog.ts';
import { ElementType } from '../catalog/elements.ts';
import { addressOf, refOf } from '../../scsi/smc/elements.ts';
import type { ElementChange, ElementContents, ElementKind, LibraryStateStore } from '../../scsi/smc/library-state.ts';
import type { ElementAddressBases } from '../../scsi/profiles/types.ts';

export interface Geometry {
  readonly bases: ElementAddressBases;
  readonly slots: number;
  readonly mailslots: number;
  readonly drives: number;
}

const TYPE_OF: Record<ElementKind, ElementType> = {
  storage: ElementType.STORAGE,
  'import-export': ElementType.IMPORT_EXPORT,
  'data-transfer': ElementType.DATA_TRANSFER,
};

/** Every element address of the geometry, with its catalog type. */
export function elementsOf(g: Geometry): { address: number; type: ElementType }[] {
  const out: { address: number; type: ElementType }[] = [{ address: g.bases.transport, type: ElementType.TRANSPORT }];
  const add = (kind: ElementKind, n: number): void => {
    for (let index = 0; index < n; index++) out.push({ address: addressOf(g.bases, { kind, index }), type: TYPE_OF[kind] });
  };
  add('storage', g.slots);
  add('import-export', g.mailslots);
  add('data-transfer', g.drives);
  return out;
}

export class CatalogLibraryState implements LibraryStateStore {
  readonly #catalog: Catalog;
  readonly #bases: ElementAddressBases;

  constructor(catalog: Catalog, geometry: Geometry) {
    this.#catalog = catalog;
    this.#bases = geometry.bases;
    const { kept } = catalog.elements.define(elementsOf(geometry));
    if (kept.length > 0) throw new Error(`library geometry shrank but elements ${kept.join(', ')} still hold cartridges: move them first`);
  }

  load(): readonly ElementContents[] {
    const out: ElementContents[] = [];
    for (const row of this.#catalog.elements.list()) {
      const ref = refOf(this.#bases, row.address);
      if (row.barcode === null || ref === undefined) continue;
      const source = row.sourceAddress === null ? undefined : refOf(this.#bases, row.sourceAddress);
      out.push({
        element: ref,
        barcode: row.barcode,
        ...(source !== undefined && { source }),
        ...(ref.kind === 'import-export' && { imported: true }),
      });
    }
    return out;
  }

  async save(changes: readonly ElementChange[]): Promise<void> {
    this.#catalog.elements.apply(changes.map((c) => ({
      address: addressOf(this.#bases, c.element),
      barcode: c.occupant?.barcode ?? null,
      sourceAddress: c.occupant?.source === undefined ? null : addressOf(this.#bases, c.occupant.source),
    })));
  }
}
