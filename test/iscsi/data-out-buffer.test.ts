import test from 'ava';
import { DataOutBuffer } from '../../src/iscsi/data-out-buffer.ts';

const MiB = 1024 * 1024;
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + (i >> 12)) & 0xff));

test('a long transfer is taken piece by piece as data arrives and assembled whole', (t) => {
  let held = 0;
  const src = pattern(3.5 * MiB);
  const b = new DataOutBuffer(src.length, (d) => (held += d));
  t.is(held, 0, 'nothing is taken for the announcement');
  const seg = 300 * 1024; // segments straddle the 1 MiB pieces
  for (let off = 0; off < src.length; off += seg) {
    const part = src.subarray(off, Math.min(src.length, off + seg));
    const view = b.view(off, part.length);
    if (view !== undefined) {
      part.copy(view); // received in place, as the parser does
      b.place(off, view);
    } else {
      b.place(off, part);
    }
    t.true(held <= Math.ceil((off + part.length) / MiB) * MiB, `after ${off + part.length} bytes ${held} are held`);
  }
  t.true(b.buffer().equals(src), 'the assembled transfer is the data sent');
  t.is(held, src.length, 'the pieces were given back once assembled');
  b.release();
  t.is(held, 0);
});

test('a short transfer is one buffer, taken at its first byte', (t) => {
  let held = 0;
  const b = new DataOutBuffer(256 * 1024, (d) => (held += d));
  t.is(held, 0);
  b.place(0, pattern(4096));
  t.is(held, 256 * 1024);
  t.not(b.view(4096, 8192), undefined, 'later data can be received in place');
  b.release();
  t.is(held, 0);
});

test('only the pieces that data reached are taken', (t) => {
  let held = 0;
  const b = new DataOutBuffer(64 * MiB, (d) => (held += d));
  b.place(40 * MiB, pattern(1000));
  t.is(held, MiB);
  t.is(b.view(50 * MiB, 1000), undefined, 'no piece is taken for a view');
  b.release();
  t.is(held, 0);
});
