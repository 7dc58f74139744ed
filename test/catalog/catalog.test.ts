import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { CatalogError } from '../../src/catalog/errors.ts';
import type { Manifest } from '../../tapes/manifest.ts';

const manifest = (version: number, segs: { seq: number; first: number; count: number }[], extra: Partial<Manifest> = {}): Manifest => ({
  format: 's3vtl.cartridge-manifest', formatVersion: 1, barcode: 'CAT001L8', version, createdAt: `2026-01-0${version}T00:00:00.000Z`,
  medium: { mediaType: 'LTO-8', capacityBytes: 10 * 2 ** 30, worm: false, pool: 'weekly' },
  segments: segs.map((s) => ({ ...s, key: `t/CAT001L8/seg/${s.seq}`, records: s.count, dataBytes: s.count * 10, size: s.count * 20, indexOffset: s.count * 18 })),
  filemarks: [], eodObjectId: segs.reduce((n, s) => n + s.count, 0), usedBytes: segs.reduce((n, s) => n + s.count * 10, 0),
  attributes: {}, nextSeq: 10, ...extra,
});

test('adding a cartridge derives media type and WORM from the barcode', (t) => {
  const c = Catalog.open(':memory:');
  const row = c.cartridges.add({ barcode: 'WRM001LY', pool: 'vault', capacityBytes: 2 ** 30 });
  // LY is LTO-8 WORM; the override capacity is kept; a new tape is scratch.
  t.is(row.mediaType, 'LTO-8');
  t.true(row.worm);
  t.is(row.capacityBytes, 2 ** 30);
  t.is(row.state, 'scratch');
  c.close();
});

test('adding a cartridge twice fails with VTL_CATALOG_EXISTS', (t) => {
  const c = Catalog.open(':memory:');
  c.cartridges.add({ barcode: 'DUP001L6' });
  // The second add is refused.
  t.throws(() => c.cartridges.add({ barcode: 'DUP001L6' }), { instanceOf: CatalogError, code: 'VTL_CATALOG_EXISTS' });
  c.close();
});

test('describe gives what the cartridge pool needs', (t) => {
  const c = Catalog.open(':memory:');
  c.cartridges.add({ barcode: 'DSC001L6', pool: 'p' });
  c.cartridges.setWriteProtected('DSC001L6', true);
  // Media, capacity, pool and write protection come from the row; unknown barcodes are undefined.
  t.like(c.describe('DSC001L6'), { mediaType: 'LTO-6', capacityBytes: 2_500_000_000_000, pool: 'p', writeProtected: true, manifestVersion: 0 });
  t.is(c.describe('NONE01L6'), undefined);
  c.close();
});

test('a committed manifest updates totals, segments and the object registry', (t) => {
  const c = Catalog.open(':memory:');
  c.cartridges.add({ barcode: 'CAT001L8' });
  c.manifestCommitted(manifest(2, [{ seq: 1, first: 0, count: 5 }, { seq: 2, first: 5, count: 3 }]), 'k2');
  const row = c.cartridges.get('CAT001L8')!;
  // Bytes, EOD and version follow the manifest; a written scratch tape becomes in-use.
  t.like(row, { bytesWritten: 80, eodObjectId: 8, manifestVersion: 2, state: 'in-use' });
  // Both segments are recorded as current.
  t.deepEqual(c.segments('CAT001L8').map((s) => [s.seq, s.validCount, s.droppedAfter]), [[1, 5, null], [2, 3, null]]);
  c.close();
});

test('a cut manifest marks dropped segments with the last version that named them', (t) => {
  const c = Catalog.open(':memory:');
  c.cartridges.add({ barcode: 'CAT001L8' });
  c.manifestCommitted(manifest(2, [{ seq: 1, first: 0, count: 5 }, { seq: 2, first: 5, count: 3 }]), 'k2');
  c.manifestCommitted(manifest(3, [{ seq: 1, first: 0, count: 2 }, { seq: 3, first: 2, count: 1 }]), 'k3');
  // Segment 1 is cut to 2 records, segment 2 was last named by version 2, segment 3 is new.
  t.deepEqual(c.segments('CAT001L8').map((s) => [s.seq, s.validCount, s.droppedAfter]), [[1, 2, null], [2, 3, 2], [3, 1, null]]);
  // Manifest history is kept.
  t.deepEqual(c.manifests('CAT001L8').map((m) => m.version), [2, 3]);
  c.close();
});

test('an older manifest arriving late does not roll totals back', (t) => {
  const c = Catalog.open(':memory:');
  c.cartridges.add({ barcode: 'CAT001L8' });
  c.manifestCommitted(manifest(3, [{ seq: 1, first: 0, count: 9 }]), 'k3');
  c.manifestCommitted(manifest(2, [{ seq: 1, first: 0, count: 1 }]), 'k2');
  // Version 3's totals stand.
  t.like(c.cartridges.get('CAT001L8'), { eodObjectId: 9, manifestVersion: 3 });
  c.close();
});

test('elements hold cartridges and remember the source slot on a move', (t) => {
  const c = Catalog.open(':memory:');
  c.elements.define([
    { address: 0, type: 'transport' },
    { address: 256, type: 'data-transfer' },
    { address: 1024, type: 'storage' },
    { address: 1025, type: 'storage' },
  ]);
  c.cartridges.add({ barcode: 'ELM001L6' });
  c.elements.place('ELM001L6', 1024);
  c.elements.move(1024, 256);
  // The drive holds the cartridge and remembers slot 1024.
  t.like(c.elements.get(256), { barcode: 'ELM001L6', sourceAddress: 1024 });
  t.like(c.elements.whereIs('ELM001L6'), { address: 256 });
  // Moving into a full element is refused.
  c.cartridges.add({ barcode: 'ELM002L6' });
  c.elements.place('ELM002L6', 1025);
  t.throws(() => c.elements.move(1025, 256), { code: 'VTL_CATALOG_ELEMENT_FULL' });
  // Moving from an empty element is refused.
  t.throws(() => c.elements.move(1024, 0), { code: 'VTL_CATALOG_ELEMENT_EMPTY' });
  c.close();
});

test('redefining the geometry keeps elements that still hold cartridges', (t) => {
  const c = Catalog.open(':memory:');
  c.elements.define([{ address: 1, type: 'storage' }, { address: 2, type: 'storage' }]);
  c.cartridges.add({ barcode: 'GEO001L6' });
  c.elements.place('GEO001L6', 2);
  const { kept } = c.elements.define([{ address: 3, type: 'storage' }]);
  // The empty element 1 is removed; the full element 2 stays and is reported.
  t.deepEqual(kept, [2]);
  t.deepEqual(c.elements.list().map((e) => e.address), [2, 3]);
  c.close();
});
