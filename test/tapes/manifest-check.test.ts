// manifest-check.ts: what a manifest may say about its own cartridge. Each
// case changes one field of a manifest the gateway wrote; the original passes.

import test from 'ava';
import type { Manifest } from '../../tapes/manifest.ts';
import { problemOf } from '../../tapes/manifest-check.ts';
import { canonicalJson, macProblem, manifestMac } from '../../tapes/manifest-auth.ts';
import { BARCODE, makeFixture, writeBlocks } from './cartridge-fixture.ts';

async function written(): Promise<{ m: Manifest; keys: import('../../tapes/keys.ts').TapeKeys }> {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 100);
  await c.writeFilemarks(2);
  await c.close();
  const m = c.manifest;
  await f.cleanup();
  return { m, keys: f.keys };
}

test('a manifest the gateway wrote passes; each out-of-bounds or foreign field is named', async (t) => {
  const { m, keys } = await written();
  t.true(m.segments.length >= 2, 'several segments');
  t.is(problemOf(m, keys, BARCODE), undefined);
  t.is(problemOf({ ...m, medium: { ...m.medium, worm: true } }, keys, BARCODE), undefined, 'a cartridge made WORM by tape create --worm');
  const wormBarcode: Manifest = { ...m, barcode: 'TST001LW', segments: [], filemarks: [], usedBytes: 0, eodObjectId: 0, medium: { ...m.medium, worm: false } };
  t.regex(problemOf(wormBarcode, keys, 'TST001LW') ?? '', /WORM flag false on a WORM barcode/, 'a WORM media id is always WORM');
  t.is(problemOf({ ...wormBarcode, medium: { ...m.medium, worm: true } }, keys, 'TST001LW'), undefined);
  const seg0 = m.segments[0]!;
  const withSeg = (s: Partial<Manifest['segments'][number]>): Manifest => ({ ...m, segments: [{ ...seg0, ...s }, ...m.segments.slice(1)] });
  const cases: [string, Manifest, RegExp][] = [
    ['another barcode', m, /names cartridge/],
    ['capacity above LTO-6 native', { ...m, medium: { ...m.medium, capacityBytes: 3e12 } }, /capacity 3000000000000 outside/],
    ['media type not the barcode\'s', { ...m, medium: { ...m.medium, mediaType: 'LTO-9' } }, /medium type "LTO-9"/],
    ['WORM flag not a boolean', { ...m, medium: { ...m.medium, worm: 'yes' as unknown as boolean } }, /WORM flag is not a boolean/],
    ['usedBytes beyond capacity', { ...m, usedBytes: 2 ** 40 }, /usedBytes .* beyond the capacity/],
    ['EOD beyond bytes and filemarks', { ...m, eodObjectId: m.usedBytes + m.filemarks.length + 1 }, /EOD .* beyond/],
    ['nextSeq beyond 32 bits', { ...m, nextSeq: 2 ** 32 + 1 }, /nextSeq/],
    ['segment seq not below nextSeq', withSeg({ seq: m.nextSeq }), /seq must ascend/],
    ['segment key of another cartridge', withSeg({ key: keys.segment('VIC001L6', seg0.first, seg0.seq) }), /is not vtl\/tapes\/TST001L6\/seg\//],
    ['segment key of this cartridge in another form', withSeg({ key: seg0.key.toUpperCase() }), /key .* is not/],
    ['segment size not its layout', withSeg({ size: seg0.size + 1 }), /size .* does not match/],
    ['segment size beyond 5 TiB', withSeg({ size: 6 * 2 ** 40 }), /size at most 5 TiB/],
    ['fractional record count', withSeg({ records: 1.5 }), /must be counts/],
    ['attribute id not 16-bit hex', { ...m, attributes: { '0x10000': '' } }, /attribute id/],
    ['cutAway naming a manifest', { ...m, cutAway: [{ key: keys.manifest(BARCODE, 1), until: 1 }] }, /cutAway key .* is not a segment of TST001L6/],
    ['cutAway naming another cartridge', { ...m, cutAway: [{ key: keys.segment('VIC001L6', 0, 1), until: 1 }] }, /not a segment of TST001L6/],
    ['cutAway outside the prefix', { ...m, cutAway: [{ key: `x/${seg0.key}`, until: 1 }] }, /not a segment of TST001L6/],
    ['cutAway naming a live segment', { ...m, cutAway: [{ key: seg0.key, until: 1 }] }, /is a segment of the tape/],
    ['cutAway seq not yet allocated', { ...m, cutAway: [{ key: keys.segment(BARCODE, 0, m.nextSeq), until: 1 }] }, /seq beyond nextSeq/],
  ];
  for (const [what, bad, why] of cases) {
    t.regex(problemOf(bad, keys, what === 'another barcode' ? 'VIC001L6' : BARCODE) ?? 'accepted', why, what);
  }
});

test('segment keys parse only in the exact form segment() writes, for that barcode', async (t) => {
  const { keys } = await written();
  const k = keys.segment(BARCODE, 0x1234, 7);
  t.deepEqual(keys.parseSegmentKey(BARCODE, k), { first: 0x1234, seq: 7 });
  t.is(keys.parseSegmentKey('VIC001L6', k), undefined);
  t.is(keys.parseSegmentKey(BARCODE, k.replace('.seg', '.json')), undefined);
  t.is(keys.parseSegmentKey(BARCODE, `${keys.segmentPrefix(BARCODE)}../../VIC001L6/seg/0000000000000000-00000001.seg`), undefined);
  t.is(keys.parseSegmentKey(BARCODE, `${keys.segmentPrefix(BARCODE)}ffffffffffffffff-00000001.seg`), undefined, 'beyond 2^53');
});

test('the MAC covers the canonical content, whatever the key order, and nothing else', (t) => {
  const key = Buffer.alloc(32, 7);
  const doc = { b: 1, a: { d: [1, 'x'], c: null } };
  t.is(canonicalJson(doc), '{"a":{"c":null,"d":[1,"x"]},"b":1}');
  const mac = manifestMac(key, doc);
  t.is(macProblem({ key, acceptUnsigned: false }, { a: { c: null, d: [1, 'x'] }, b: 1, mac }), undefined, 'reordered keys');
  t.regex(macProblem({ key, acceptUnsigned: false }, { ...doc, b: 2, mac }) ?? '', /does not match/);
  t.regex(macProblem({ key: Buffer.alloc(32, 8), acceptUnsigned: false }, { ...doc, mac }) ?? '', /does not match/);
  t.regex(macProblem({ key, acceptUnsigned: false }, { ...doc, mac: 'hmac-sha256:00' }) ?? '', /malformed/);
  t.regex(macProblem({ key, acceptUnsigned: false }, doc) ?? '', /no MAC/);
  t.is(macProblem({ key, acceptUnsigned: true }, doc), undefined);
});
