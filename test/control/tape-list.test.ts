// Operations.tapeList: a cartridge loaded in a drive is listed with what the
// drive holds (the live pool), not the catalog's last committed manifest.
import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { Operations } from '../../src/control/operations.ts';

function catalogWith(...barcodes: string[]): Catalog {
  const c = Catalog.open(':memory:');
  for (const b of barcodes) c.cartridges.add({ barcode: b });
  return c;
}

test('a loaded, written cartridge lists as in use with the bytes the drive holds; the others as the catalog says', (t) => {
  const catalog = catalogWith('AAA001L6', 'AAA002L6');
  t.teardown(() => catalog.close());
  const live = (b: string) => (b === 'AAA001L6' ? { usedBytes: 5 << 20, eodObjectId: 21 } : undefined);
  const ops = new Operations(catalog, [], { pools: ['default'], live });
  const byBarcode = new Map(ops.tapeList({}).tapes.map((x) => [x.barcode, x]));
  t.log('AAA001L6 is loaded and written: 5 MiB in 21 objects, none committed yet');
  t.is(byBarcode.get('AAA001L6')?.state, 'in-use');
  t.is(byBarcode.get('AAA001L6')?.bytesWritten, 5 << 20);
  t.log('AAA002L6 is not loaded: what the catalog says');
  t.is(byBarcode.get('AAA002L6')?.state, 'scratch');
  t.is(byBarcode.get('AAA002L6')?.bytesWritten, 0);
});

test('a loaded cartridge nothing was written to stays scratch', (t) => {
  const catalog = catalogWith('AAA001L6');
  t.teardown(() => catalog.close());
  const ops = new Operations(catalog, [], { pools: ['default'], live: () => ({ usedBytes: 0, eodObjectId: 0 }) });
  const [tape] = ops.tapeList({}).tapes;
  t.is(tape?.state, 'scratch');
  t.is(tape?.bytesWritten, 0);
});
