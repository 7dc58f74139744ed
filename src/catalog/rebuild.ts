// Rebuild the catalog from the bucket alone: every cartridge has its newest
// manifest under <prefix>/tapes/<BARCODE>/manifest/, and a manifest carries
// the medium metadata, segments, filemarks and EOD. Cartridges are found by
// skipping through the listing one cartridge at a time (startAfter
// "<prefix>/tapes/<BARCODE>/~"), so segment keys are never enumerated.
// Library placement is not in the bucket: rebuilt cartridges are outside
// every element until the operator (or wiring) places them.

import { TapeKeys } from '../../tapes/keys.ts';
import type { ManifestAuth } from '../../tapes/manifest-auth.ts';
import { readManifest } from '../../tapes/manifest-read.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';
import type { Catalog } from './catalog.ts';

export interface RebuildReport {
  /** Barcodes restored or updated from a manifest. */
  readonly cartridges: string[];
  /** Barcodes whose manifests could not be read, with the reason. */
  readonly failed: { barcode: string; reason: string }[];
  /** Cartridges restored from an older manifest because newer ones failed their checks. */
  readonly fellBack: { barcode: string; version: number; refused: { version: number; reason: string }[] }[];
}

export interface RebuildOptions {
  /** Check manifest MACs with this key (config tapes.manifestKey). */
  readonly auth?: ManifestAuth;
}

export async function rebuildFromStore(catalog: Catalog, store: ObjectStore, prefix: string, o: RebuildOptions = {}): Promise<RebuildReport> {
  const keys = new TapeKeys(prefix);
  const report: RebuildReport = { cartridges: [], failed: [], fellBack: [] };
  let after: string | undefined;
  for (;;) {
    const page = await store.list(keys.tapesPrefix, { limit: 1, ...(after === undefined ? {} : { startAfter: after }) });
    const first = page.objects[0];
    if (first === undefined) break;
    const barcode = keys.barcodeOf(first.key);
    if (barcode === undefined) {
      after = first.key;
      continue;
    }
    after = keys.afterCartridge(barcode);
    try {
      // Every manifest passes the same checks as when a drive loads the cartridge.
      const found = await readManifest(store, keys, barcode, o.auth === undefined ? {} : { auth: o.auth });
      if (found === undefined) {
        report.failed.push({ barcode, reason: 'objects but no manifest' });
        continue;
      }
      const m = found.manifest;
      if (found.refused.length > 0) report.fellBack.push({ barcode, version: m.version, refused: [...found.refused] });
      // The store is the truth for what is written: a catalog (restored from a copy) that knows a
      // newer manifest than the newest the store holds and accepts forgets what it knew first.
      if ((catalog.cartridges.get(barcode)?.manifestVersion ?? 0) > m.version) catalog.resetWritten(barcode);
      catalog.manifestCommitted(m, keys.manifest(barcode, m.version));
      report.cartridges.push(barcode);
    } catch (e) {
      report.failed.push({ barcode, reason: (e as Error).message });
    }
  }
  return report;
}
