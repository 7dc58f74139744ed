// Cartridges of pools with compression and encryption: round trips through
// staging and the store, capacity in stored bytes, manifests naming the key,
// crash recovery of encoded records, key rotation, missing keys and altered
// segments.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { restoreState } from '../../tapes/cartridge-recovery.ts';
import { CartridgeError, MediumIntegrityError } from '../../tapes/errors.ts';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, decodeManifest, encodeManifest, type Manifest } from '../../tapes/manifest.ts';
import { CartridgeKeyError, ENCRYPTION_OVERHEAD_BYTES, KeyRing, RecordCodec } from '../../tapes/record-codec.ts';
import { RecordKind } from '../../tapes/record-format.ts';
import { decodeFooter, decodeSegmentHeader, encodeSegment, type SegmentRecord } from '../../tapes/segment-format.ts';
import { segmentFileName } from '../../tapes/segment-pipeline.ts';
import type { JournalEntry } from '../../tapes/staging-journal.ts';
import { StagingSegment } from '../../tapes/staging-segment.ts';
import { BARCODE, block, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';

const KEY_1 = Buffer.alloc(32, 0x11);
const KEY_2 = Buffer.alloc(32, 0x22);
const ring = (...ids: ('k1' | 'k2')[]): KeyRing => new KeyRing(ids.map((id) => ({ id, key: id === 'k1' ? KEY_1 : KEY_2 })));
const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `b${from + i}`);

const codecs = {
  none: () => new RecordCodec(),
  deflate: () => new RecordCodec({ compression: 'deflate' }),
  aes: () => new RecordCodec({ encryptWith: 'k1', keyring: ring('k1') }),
  'deflate+aes': () => new RecordCodec({ compression: 'deflate', encryptWith: 'k1', keyring: ring('k1') }),
};

for (const [name, make] of Object.entries(codecs)) {
  test(`${name}: blocks and filemarks read back from staging, then from the store after close`, async (t) => {
    const f = await makeFixture({ codec: make() });
    const c = await f.open();
    await writeBlocks(c, 0, 150);
    await c.writeFilemarks(1);
    await writeBlocks(c, 150, 160, 3000);
    await c.rewind();
    t.log('read back while staged (segments of 64 KiB: some sealed, one open)');
    t.deepEqual(await readAll(c), [...numbered(0, 150), 'F', ...numbered(150, 160)]);
    await c.close();
    const d = await f.open();
    t.log('read back from the store');
    const r = await d.read();
    t.is(r.kind, 'block');
    t.deepEqual(r.kind === 'block' ? r.data : undefined, block(0));
    await d.rewind();
    t.deepEqual(await readAll(d), [...numbered(0, 150), 'F', ...numbered(150, 160)]);
    await d.close();
    await f.cleanup();
  });
}

test('compression: usedBytes counts stored bytes, fewer than written for compressible blocks', async (t) => {
  const f = await makeFixture({ codec: codecs.deflate() });
  const c = await f.open();
  await writeBlocks(c, 0, 100, 8192);
  t.log(`100 blocks of 8 KiB stored in ${c.usedBytes()} bytes`);
  t.true(c.usedBytes() < (100 * 8192) / 10);
  await c.close();
  t.is(c.manifest.usedBytes, c.manifest.segments.reduce((n, s) => n + s.dataBytes, 0));
  await f.cleanup();
});

test('compression: incompressible blocks are stored raw (usedBytes = bytes written)', async (t) => {
  const f = await makeFixture({ codec: codecs.deflate() });
  const c = await f.open();
  const blocks = Array.from({ length: 10 }, () => randomBytes(4096));
  for (const b of blocks) await c.write(b, 4096);
  t.is(c.usedBytes(), 10 * 4096);
  await c.rewind();
  for (const b of blocks) t.deepEqual(await c.read(), { kind: 'block', data: b });
  await c.close();
  await f.cleanup();
});

test('encryption: every block stores 28 bytes more; usedBytes counts them', async (t) => {
  const f = await makeFixture({ codec: codecs.aes() });
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  t.is(c.usedBytes(), 10 * (1024 + ENCRYPTION_OVERHEAD_BYTES));
  await c.close();
  t.is(c.manifest.usedBytes, 10 * (1024 + ENCRYPTION_OVERHEAD_BYTES));
  await f.cleanup();
});

test('capacity: a write that fits by its logical length is taken (the drive checks that), then the tape is full', async (t) => {
  const f = await makeFixture({ codec: codecs.aes(), medium: { mediaType: 'LTO-6', capacityBytes: 3 * 1024, worm: false, pool: 'vault' } });
  const c = await f.open();
  t.log('three 1 KiB blocks store 3 x 1052 bytes: accepted, reported as exactly full');
  await c.write(Buffer.concat([block(0), block(1), block(2)]), 1024);
  t.is(c.usedBytes(), 3 * 1024);
  t.log('one more block: VTL_CARTRIDGE_FULL, nothing appended');
  await t.throwsAsync(c.write(block(3), 1024), { code: 'VTL_CARTRIDGE_FULL' });
  t.is(c.position().eodObjectId, 3);
  await c.close();
  await f.cleanup();
});

test('capacity: compressible blocks fit more than the native capacity in logical bytes', async (t) => {
  const f = await makeFixture({ codec: codecs.deflate(), medium: { mediaType: 'LTO-6', capacityBytes: 64 << 10, worm: false, pool: 'packed' } });
  const c = await f.open();
  await writeBlocks(c, 0, 200, 8192);
  t.log(`200 x 8 KiB = 1600 KiB written on a 64 KiB cartridge, ${c.usedBytes()} bytes stored`);
  t.true(c.usedBytes() <= 64 << 10);
  await c.close();
  await f.cleanup();
});

test('manifests name the encoding and key id per segment; plain cartridges have no encoding field', async (t) => {
  const f = await makeFixture({ codec: codecs['deflate+aes']() });
  const c = await f.open();
  await writeBlocks(c, 0, 300, 1024);
  await c.close();
  t.true(c.manifest.segments.length >= 1);
  for (const s of c.manifest.segments) t.deepEqual(s.encoding, { compression: 'deflate', encryption: { alg: 'AES-256-GCM', keyId: 'k1' } });
  t.log('the manifest in the store says the same');
  const key = f.keys.manifest(BARCODE, c.manifest.version);
  t.deepEqual(decodeManifest(await f.store.get(key), key).segments.map((s) => s.encoding?.encryption?.keyId), c.manifest.segments.map(() => 'k1'));
  t.log('the segment trailer records the key check value of its records');
  const seg = c.manifest.segments[0]!;
  const footer = decodeFooter(await f.store.get(seg.key, { offset: seg.indexOffset, length: seg.size - seg.indexOffset }));
  t.is(footer.coding.mixed, false);
  t.not(footer.coding.keyCheck, 0);
  const g = await makeFixture();
  const p = await g.open();
  await writeBlocks(p, 0, 10);
  await p.close();
  t.false(p.manifest.segments.some((s) => 'encoding' in s));
  await f.cleanup();
  await g.cleanup();
});

test('a manifest written before the encoding field existed decodes and its cartridge reads', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 20);
  await c.close();
  const old = JSON.parse(encodeManifest(c.manifest).toString()) as Record<string, unknown> & Manifest;
  t.false(JSON.stringify(old).includes('encoding'));
  t.notThrows(() => decodeManifest(encodeManifest(old), 'old'));
  t.log('a pool that now encrypts still reads the old plain segments');
  const d = await f.open({ codec: codecs['deflate+aes']() });
  t.deepEqual(await readAll(d), numbered(0, 20));
  await d.close();
  await f.cleanup();
});

test('a manifest with an unknown encoding is refused', (t) => {
  const m = {
    format: 's3vtl.cartridge-manifest', formatVersion: 1, barcode: BARCODE, version: 2, createdAt: '2026-01-01T00:00:00Z',
    medium: { mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: false, pool: null },
    segments: [{ seq: 1, key: 'k', first: 0, records: 1, count: 1, dataBytes: 1, size: 100, indexOffset: 50, encoding: { compression: 'zstd' } }],
    filemarks: [], eodObjectId: 1, usedBytes: 1, attributes: {}, nextSeq: 2,
  };
  t.throws(() => decodeManifest(Buffer.from(JSON.stringify(m)), 'x'), { message: /encoding: unknown compression "zstd"/ });
});

test('crash: encoded records in an open staging segment survive abandon and reopen', async (t) => {
  const f = await makeFixture({ codec: codecs['deflate+aes'](), segmentBytes: 64 << 20 });
  const c = await f.open();
  await writeBlocks(c, 0, 50);
  await c.writeFilemarks(1);
  await c.flush();
  await writeBlocks(c, 50, 60);
  await c.abandon();
  const d = await f.open();
  t.log('the flushed prefix is recovered by scanning the staging file (no key needed for the scan)');
  t.is(d.position().eodObjectId, 51);
  t.deepEqual(await readAll(d), [...numbered(0, 50), 'F']);
  t.log('appending continues in the same segment, then everything commits');
  await writeBlocks(d, 51, 55);
  await d.close();
  const e = await f.open();
  t.deepEqual(await readAll(e), [...numbered(0, 50), 'F', ...numbered(51, 55)]);
  t.is(e.manifest.segments.length, 1);
  await e.close();
  await f.cleanup();
});

test('crash, then the pool key rotates: the staged segment is sealed under its old key, new records use the new one', async (t) => {
  const f = await makeFixture({ segmentBytes: 64 << 20 });
  const c = await f.open({ codec: new RecordCodec({ encryptWith: 'k1', keyring: ring('k1') }) });
  await writeBlocks(c, 0, 30);
  await c.flush();
  await c.abandon();
  const rotated = new RecordCodec({ encryptWith: 'k2', keyring: ring('k1', 'k2') });
  const d = await f.open({ codec: rotated });
  t.deepEqual(await readAll(d), numbered(0, 30));
  await writeBlocks(d, 30, 40);
  await d.close();
  t.log('two segments, one per key');
  t.deepEqual(d.manifest.segments.map((s) => s.encoding?.encryption?.keyId), ['k1', 'k2']);
  const e = await f.open({ codec: rotated });
  t.deepEqual(await readAll(e), numbered(0, 40));
  await e.close();
  await f.cleanup();
});

test('reading a block whose key the gateway lacks: CartridgeKeyError naming the key id, position unchanged', async (t) => {
  const f = await makeFixture();
  const c = await f.open({ codec: new RecordCodec({ encryptWith: 'k1', keyring: ring('k1') }) });
  await writeBlocks(c, 0, 5);
  await c.close();
  const d = await f.open({ codec: new RecordCodec({ encryptWith: 'k2', keyring: ring('k2') }) });
  const err = await t.throwsAsync(d.read(), { instanceOf: CartridgeKeyError });
  t.true(err instanceof CartridgeError);
  t.is(err?.code, 'VTL_CARTRIDGE_KEY_UNAVAILABLE');
  t.is(err?.keyId, 'k1');
  t.regex(err?.message ?? '', /key id k1/);
  t.is(d.position().objectId, 0);
  t.log('a plain codec (no keys at all) says the same');
  await d.close();
  const e = await f.open();
  await t.throwsAsync(e.read(), { code: 'VTL_CARTRIDGE_KEY_UNAVAILABLE' });
  await e.close();
  await f.cleanup();
});

/** Rewrite a committed segment consistently (valid CRCs, same layout) with its records in another order. */
async function rewriteSegment(f: Awaited<ReturnType<typeof makeFixture>>, key: string, reorder: (records: SegmentRecord[]) => SegmentRecord[]): Promise<void> {
  const bytes = await f.store.get(key);
  const { firstObjectId, seq } = decodeSegmentHeader(bytes);
  const footerAt = Number(bytes.readBigUInt64BE(bytes.length - 40 + 24));
  const { index } = decodeFooter(bytes.subarray(footerAt));
  const records: SegmentRecord[] = [];
  for (let i = 0; i < index.count; i++) {
    const at = index.offset(i);
    if (index.kind(i) === RecordKind.FILEMARK) records.push({ kind: 'filemark' });
    else records.push({ kind: 'block', data: bytes.subarray(at + 16, at + 16 + index.length(i)), coding: (bytes[at + 5]! << 16) | bytes.readUInt16BE(at + 6) });
  }
  const rewritten = encodeSegment(firstObjectId, seq, reorder(records));
  if (rewritten.length !== bytes.length) throw new Error('layout changed');
  await f.store.put(key, rewritten);
}

test('records swapped inside a segment with valid CRCs: GCM refuses them as an integrity error', async (t) => {
  const f = await makeFixture();
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring('k1') });
  const c = await f.open({ codec });
  for (let i = 0; i < 4; i++) await c.write(randomBytes(1024), 1024);
  await c.close();
  await rewriteSegment(f, c.manifest.segments[0]!.key, (r) => [r[1]!, r[0]!, ...r.slice(2)]);
  const d = await f.open({ codec });
  const err = await t.throwsAsync(d.read(), { instanceOf: MediumIntegrityError });
  t.is(err?.objectId, 0);
  t.regex(err?.message ?? '', /TST001L6: object 0 .*authentication failed/);
  t.log('an untouched record still reads');
  await d.locate(2);
  t.is((await d.read()).kind, 'block');
  await d.close();
  await f.cleanup();
});

test('a plain record planted in an encrypted segment is refused', async (t) => {
  const f = await makeFixture();
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring('k1') });
  const c = await f.open({ codec });
  for (let i = 0; i < 2; i++) await c.write(randomBytes(1024), 1024);
  await c.close();
  await rewriteSegment(f, c.manifest.segments[0]!.key, (r) => [{ kind: 'block', data: Buffer.alloc(1024 + ENCRYPTION_OVERHEAD_BYTES, 0x41) }, r[1]!]);
  const d = await f.open({ codec });
  await t.throwsAsync(d.read(), { instanceOf: MediumIntegrityError, message: /not encrypted/ });
  await d.close();
  await f.cleanup();
});

test('recovery: staged segments get their key from their records; an open one under another key is sealed', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'enc-rec-'));
  const k1 = new RecordCodec({ compression: 'deflate', encryptWith: 'k1', keyring: ring('k1') });
  const stage = async (seq: number, first: number, n: number, seal: boolean): Promise<number> => {
    const s = await StagingSegment.create(path.join(dir, segmentFileName(seq)), seq, first, 1 << 16);
    for (let i = first; i < first + n; i++) {
      const e = k1.encode(block(i), 'REC001L6', i);
      await s.append(RecordKind.DATA, e.stored, e.coding);
    }
    if (seal) await s.seal();
    else await s.sync();
    const bytes = s.synced.bytes;
    await s.close();
    return bytes;
  };
  const blank: Manifest = {
    format: MANIFEST_FORMAT, formatVersion: MANIFEST_FORMAT_VERSION, barcode: 'REC001L6', version: 1, createdAt: '2026-01-01T00:00:00Z',
    medium: { mediaType: 'LTO-6', capacityBytes: 2 ** 30, worm: false, pool: 'vault' }, segments: [], filemarks: [],
    eodObjectId: 0, usedBytes: 0, attributes: {}, nextSeq: 1,
  };
  const journal = (b1: number, b2: number): JournalEntry => ({
    base: 1, keep: 0, attributes: {}, nextSeq: 3,
    pending: [{ seq: 1, first: 0, count: 3, bytes: b1, sealed: true }, { seq: 2, first: 3, count: 2, bytes: b2, sealed: false }],
  });
  const segKey = (f: number, s: number): string => `t/seg/${f}-${s}`;
  const b1 = await stage(1, 0, 3, true);
  const b2 = await stage(2, 3, 2, false);
  t.log('reopened with the same key: the open segment stays open, both name k1');
  const same = await restoreState('REC001L6', blank, journal(b1, b2), dir, 1 << 16, segKey, k1);
  t.deepEqual(same.model.segments.map((s) => [s.seq, s.state, s.encoding?.encryption?.keyId]), [[1, 'sealed', 'k1'], [2, 'open', 'k1']]);
  for (const s of same.model.segments) await s.staging?.close();
  t.log('reopened after the pool moved to k2: the open segment is sealed, still naming k1');
  const rotated = new RecordCodec({ encryptWith: 'k2', keyring: ring('k1', 'k2') });
  const r = await restoreState('REC001L6', blank, journal(b1, b2), dir, 1 << 16, segKey, rotated);
  t.deepEqual(r.model.segments.map((s) => [s.seq, s.state, s.encoding?.encryption?.keyId]), [[1, 'sealed', 'k1'], [2, 'sealed', 'k1']]);
  t.is(r.model.segments[1]!.key, segKey(3, 2));
  t.log('its records decode with the key their check value names');
  const seg2 = r.model.segments[1]!.staging!;
  const at = seg2.index.offset(0);
  const image = await seg2.read(at, 16 + seg2.index.length(0));
  const coding = (image[5]! << 16) | image.readUInt16BE(6);
  t.deepEqual(rotated.decode(image.subarray(16), coding, 'REC001L6', 3, 'k1'), block(3));
  for (const s of r.model.segments) await s.staging?.close();
  await rm(dir, { recursive: true, force: true });
});

test('overwrite in the middle of an encrypted tape: the rewritten positions read back, new nonces', async (t) => {
  const f = await makeFixture({ codec: codecs['deflate+aes']() });
  const c = await f.open();
  await writeBlocks(c, 0, 200);
  await c.close();
  const d = await f.open();
  await d.locate(100);
  await writeBlocks(d, 5000, 5003);
  t.log('and again inside the still-open segment');
  await d.locate(101);
  await writeBlocks(d, 7000, 7002);
  await d.rewind();
  const expected = [...numbered(0, 100), 'b5000', 'b7000', 'b7001'];
  t.deepEqual(await readAll(d), expected);
  await d.close();
  const e = await f.open();
  t.deepEqual(await readAll(e), expected);
  await e.close();
  await f.cleanup();
});
