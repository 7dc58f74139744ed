// Committed segments an overwrite cut away, and the prune that deletes them.
//
// A cut-away segment stays in the store while a kept manifest version still
// names it: `until` is the newest such version. The list is written into
// every journal entry and every newer manifest (`cutAway`) until the prune of
// version `until` deletes the segment with that version, so an unload, a
// restart or a rebuild from the bucket does not forget it.
//
// The prune is the one place where the gateway deletes objects a manifest
// names, so it deletes only keys of this cartridge's own segment form
// (TapeKeys.parseSegmentKey): whatever the manifest or the journal it was
// loaded from said, another cartridge's objects and manifests are never
// touched. Manifests are checked the same way on read (manifest-check.ts).

import type { TapeKeys } from './keys.ts';
import type { CutAway } from './manifest.ts';
import type { ObjectStore } from './object-store.ts';

export class CutAwayLedger {
  readonly #store: ObjectStore;
  readonly #keys: TapeKeys;
  readonly #barcode: string;
  /** Manifest versions kept in the store (0: all, nothing is ever pruned). */
  readonly #keep: number;
  #entries: CutAway[];

  constructor(o: { store: ObjectStore; keys: TapeKeys; barcode: string; keep: number; initial?: readonly CutAway[] }) {
    this.#store = o.store;
    this.#keys = o.keys;
    this.#barcode = o.barcode;
    this.#keep = o.keep;
    this.#entries = (o.initial ?? []).filter((c) => this.#own(c.key));
  }

  /** Every entry, for the journal. */
  get entries(): readonly CutAway[] {
    return this.#entries;
  }

  /** A committed segment left the tape; manifests up to `newest` name it. Nothing to remember when every version is kept. */
  add(key: string, newest: number): void {
    if (this.#keep > 0 && this.#own(key)) this.#entries.push({ key, until: newest });
  }

  /** What manifest `version` carries: the entries its own prune does not delete (the journal keeps those until it succeeds). */
  carriedBy(version: number): CutAway[] {
    return this.#entries.filter((g) => g.until > version - this.#keep);
  }

  /**
   * After manifest `version` is committed: delete the oldest kept version and
   * the segments that only versions up to it named. Not awaited by the
   * caller (in an outage the store's retries would hold seals and sync points
   * behind it); a failed delete keeps the entries for the next prune.
   */
  prune(version: number, onError: (e: unknown) => void): void {
    if (this.#keep === 0 || version <= this.#keep) return;
    const gone = version - this.#keep;
    const dead = this.#entries.filter((g) => g.until <= gone);
    void this.#store.delete([this.#keys.manifest(this.#barcode, gone), ...dead.map((g) => g.key)]).then(() => {
      if (dead.length > 0) this.#entries = this.#entries.filter((g) => !dead.includes(g));
    }, onError);
  }

  #own(key: string): boolean {
    return this.#keys.parseSegmentKey(this.#barcode, key) !== undefined;
  }
}
