// The changer's persistent inventory: which cartridge is in which element and
// where it came from. Declared here (consumer-defined); the wiring backs it
// with the SQLite catalog, tests with MemoryLibraryState. Elements are named
// by kind and 0-based ordinal, not by SCSI address, so that changing the
// personality (and with it the address bases) keeps the inventory.

export type ElementKind = 'storage' | 'import-export' | 'data-transfer';

export interface ElementRef {
  readonly kind: ElementKind;
  readonly index: number;
}

export interface ElementOccupant {
  readonly barcode: string;
  /** The element the cartridge was last moved from (SMC-3 SOURCE STORAGE ELEMENT ADDRESS). */
  readonly source?: ElementRef;
  /** Import/export only: put there by the operator (IMPEXP=1) rather than by the picker. */
  readonly imported?: boolean;
}

export interface ElementContents extends ElementOccupant {
  readonly element: ElementRef;
}

/** One element's new state after a move: the occupant, or undefined when it became empty. */
export interface ElementChange {
  readonly element: ElementRef;
  readonly occupant: ElementOccupant | undefined;
}

export interface LibraryStateStore {
  /** The inventory at start-up. */
  load(): readonly ElementContents[];
  /** Persist the changes of one move or operator action, atomically. */
  save(changes: readonly ElementChange[]): Promise<void>;
}

const keyOf = (e: ElementRef): string => `${e.kind}:${e.index}`;

/** An in-memory store for tests and for libraries that need not survive a restart. */
export class MemoryLibraryState implements LibraryStateStore {
  readonly #contents = new Map<string, ElementContents>();
  saves = 0;

  constructor(initial: readonly ElementContents[] = []) {
    for (const c of initial) this.#contents.set(keyOf(c.element), c);
  }

  load(): readonly ElementContents[] {
    return [...this.#contents.values()];
  }

  async save(changes: readonly ElementChange[]): Promise<void> {
    this.saves++;
    for (const c of changes) {
      if (c.occupant === undefined) this.#contents.delete(keyOf(c.element));
      else this.#contents.set(keyOf(c.element), { element: c.element, ...c.occupant });
    }
  }

  get(e: ElementRef): ElementContents | undefined {
    return this.#contents.get(keyOf(e));
  }
}
