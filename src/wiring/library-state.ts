// The changer's LibraryStateStore backed by the catalog's elements table,
// which is keyed by SCSI element address; the personality's address bases
// translate between the two.
//
// With a snapshot writer, every save() also writes the library's state object
// to the store (src/catalog/library-snapshot.ts) after the catalog
// transaction and before save() resolves, i.e. before the changer answers
// GOOD: an acknowledged move is in the bucket. Crash windows:
//  - after the catalog commit, before the PUT: the move was not acknowledged;
//    at the next start publish() finds the catalog differs from the newest
//    state object and writes it (if the machine is lost instead, the bucket
//    has the state before the unacknowledged move: also a valid outcome);
//  - the PUT fails (store down): the move stands (the catalog is the running
//    gateway's truth), the error is logged, and the state is written again at
//    the next save or start. The bucket lags only while the store fails.
import type { Catalog } from '../catalog/catalog.ts';
import { ConfigError } from '../errors.ts';
import { ElementType } from '../catalog/elements.ts';
import type { LibrarySnapshotWriter, SnapshotCartridge, SnapshotContent, SnapshotElement } from '../catalog/library-snapshot.ts';
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

export interface LibraryPublishing {
  readonly writer: LibrarySnapshotWriter;
  readonly library: string;
  readonly personality: { readonly changer: string; readonly drive: string };
  readonly onError: (e: unknown) => void;
}

export class CatalogLibraryState implements LibraryStateStore {
  readonly #catalog: Catalog;
  readonly #bases: ElementAddressBases;
  readonly #geometry: Geometry;
  readonly #publishing: LibraryPublishing | undefined;

  constructor(catalog: Catalog, geometry: Geometry, publishing?: LibraryPublishing) {
    this.#catalog = catalog;
    this.#bases = geometry.bases;
    this.#geometry = geometry;
    this.#publishing = publishing;
    const { kept } = catalog.elements.define(elementsOf(geometry));
    if (kept.length > 0) {
      // The config asks for fewer elements than hold cartridges: the operator's to fix, not a crash.
      const KEY: Record<ElementKind, string> = { storage: 'slots', 'import-export': 'mailslots', 'data-transfer': 'drives' };
      const kind = refOf(this.#bases, kept[0]!)?.kind;
      throw new ConfigError(`library.${kind === undefined ? 'slots' : KEY[kind]}`, `fewer elements than before, but elements ${kept.join(', ')} still hold cartridges: empty them first (MOVE MEDIUM, or s3vtl library export) or keep the old count`);
    }
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
    await this.publish();
  }

  /**
   * Write the library's state object when it differs from the newest one in
   * the store (start-up, after every save, after operator changes to pool,
   * state or protection of a cartridge in the library). Never throws.
   */
  async publish(): Promise<boolean> {
    const p = this.#publishing;
    if (p === undefined) return false;
    try {
      return (await p.writer.write(this.snapshot())) !== undefined;
    } catch (e) {
      p.onError(e);
      return false;
    }
  }

  /** What the state object holds, from the catalog as it is now. */
  snapshot(): SnapshotContent {
    const elements: SnapshotElement[] = [];
    const cartridges: SnapshotCartridge[] = [];
    for (const row of this.#catalog.elements.list()) {
      const ref = refOf(this.#bases, row.address);
      if (row.barcode === null || ref === undefined) continue;
      const sref = row.sourceAddress === null ? undefined : refOf(this.#bases, row.sourceAddress);
      elements.push({
        kind: ref.kind, index: ref.index, address: row.address, barcode: row.barcode,
        source: sref === undefined ? null : { kind: sref.kind, index: sref.index, address: row.sourceAddress! },
        imported: ref.kind === 'import-export',
      });
      const c = this.#catalog.cartridges.get(row.barcode);
      if (c !== undefined) {
        cartridges.push({
          barcode: c.barcode, mediaType: c.mediaType, pool: c.pool, capacityBytes: c.capacityBytes, worm: c.worm,
          writeProtected: c.writeProtected, state: c.state, createdAt: c.createdAt, retainUntil: c.retainUntil,
        });
      }
    }
    cartridges.sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : 0));
    const g = this.#geometry;
    return {
      library: this.#publishing?.library ?? '',
      personality: this.#publishing?.personality ?? { changer: '', drive: '' },
      geometry: { bases: { ...g.bases }, slots: g.slots, mailslots: g.mailslots, drives: g.drives },
      elements,
      cartridges,
    };
  }
}
