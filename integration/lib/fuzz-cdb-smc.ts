// CDB shapes for a medium changer (SMC-3): every command of the changer's
// table. Element addresses are mostly real ones (learned from READ ELEMENT
// STATUS before the run), so that moves really happen, sometimes the edges.
import type { Rng } from './fuzz-common.ts';
import { cdb, dataIn, oddLength, put16, put24, type Shape, type ShapeContext } from './fuzz-cdb-spc.ts';

/** An element address: a real one, the transport (0), or anything. */
function element(rng: Rng, ctx: ShapeContext): number {
  if (ctx.elements.length > 0 && rng.int(6) !== 0) return rng.pick(ctx.elements);
  return rng.pick([0, 1, 0xffff, rng.int(0x10000), rng.int(0x400)]);
}

function initializeWithRange(op: number): Shape {
  return { op, name: `INITIALIZE ELEMENT STATUS WITH RANGE (${op.toString(16)}h)`, make: (rng, ctx) =>
    ({ cdb: put16(put16(cdb(10, op, { 1: rng.int(4) }), 2, element(rng, ctx)), 6, rng.pick([0, 1, 4, 30, 0xffff, rng.int(100)])) }) };
}

export const smcShapes: readonly Shape[] = [
  { op: 0x07, name: 'INITIALIZE ELEMENT STATUS', make: (rng) => ({ cdb: cdb(6, 0x07, { 1: rng.one(8) ? rng.int(256) : 0 }) }) },
  { op: 0x1e, name: 'PREVENT ALLOW MEDIUM REMOVAL', make: (rng) => ({ cdb: cdb(6, 0x1e, { 4: rng.int(4) }) }) },
  { op: 0x2b, name: 'POSITION TO ELEMENT', make: (rng, ctx) => ({ cdb: put16(put16(cdb(10, 0x2b, { 8: rng.int(2) }), 2, element(rng, ctx)), 4, element(rng, ctx)) }) },
  initializeWithRange(0x37),
  initializeWithRange(0xe7),
  { op: 0xa5, name: 'MOVE MEDIUM', make: (rng, ctx) => {
    const c = cdb(12, 0xa5, { 10: rng.one(6) ? 1 : 0 });
    put16(c, 2, rng.one(4) ? element(rng, ctx) : 0);
    return { cdb: put16(put16(c, 4, element(rng, ctx)), 6, element(rng, ctx)) };
  } },
  { op: 0xa6, name: 'EXCHANGE MEDIUM', make: (rng, ctx) => {
    const c = cdb(12, 0xa6, { 10: rng.int(4) });
    put16(c, 2, rng.one(4) ? element(rng, ctx) : 0);
    return { cdb: put16(put16(put16(c, 4, element(rng, ctx)), 6, element(rng, ctx)), 8, element(rng, ctx)) };
  } },
  { op: 0xb8, name: 'READ ELEMENT STATUS', make: (rng, ctx) => {
    const a = oddLength(rng, 0xffffff);
    const c = cdb(12, 0xb8, { 1: (rng.int(2) << 4) | rng.pick([0, 1, 2, 3, 4, rng.int(16)]), 6: rng.int(4) });
    put16(c, 2, rng.one(3) ? 0 : element(rng, ctx));
    put16(c, 4, rng.pick([0, 1, 2, 0xffff, rng.int(40)]));
    return dataIn(rng, put24(c, 7, a), a);
  } },
];
