// A manifest is read from a store other programs can write: it may not make
// the gateway delete or read another cartridge's objects, carry numbers the
// medium cannot hold, or (with a manifest key) be written by anyone but the
// gateway. A refused manifest falls back to the newest version that passes,
// loudly; a newest version the catalog knows but the store lacks is an error.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CartridgeError, CartridgeErrorCode } from '../../tapes/errors.ts';
import type { Manifest } from '../../tapes/manifest.ts';
import type { ManifestAuth } from '../../tapes/manifest-auth.ts';
import { readManifest } from '../../tapes/manifest-read.ts';
import { BARCODE, type Fixture, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';

const VICTIM = 'VIC001L6';

interface Line { readonly level: string; readonly msg: string; readonly meta: Record<string, unknown> | undefined }
function recordingLog(): { lines: Line[]; info: (m: string, meta?: Record<string, unknown>) => void; warn: (m: string, meta?: Record<string, unknown>) => void; error: (m: string, meta?: Record<string, unknown>) => void } {
  const lines: Line[] = [];
  return {
    lines,
    info: (msg, meta) => void lines.push({ level: 'info', msg, meta }),
    warn: (msg, meta) => void lines.push({ level: 'warn', msg, meta }),
    error: (msg, meta) => void lines.push({ level: 'error', msg, meta }),
  };
}

const manifestKeys = (f: Fixture, barcode: string): string[] => f.store.keys().filter((k) => k.startsWith(f.keys.manifestPrefix(barcode)));

async function newest(f: Fixture, barcode: string): Promise<{ key: string; version: number; m: Manifest & Record<string, unknown> }> {
  const key = manifestKeys(f, barcode).at(-1)!;
  return { key, version: f.keys.manifestVersionOf(key)!, m: JSON.parse((await f.store.get(key)).toString()) as Manifest & Record<string, unknown> };
}

/** Put a manifest the gateway did not write: the newest, changed by `mutate`, as the next version. */
async function forge(f: Fixture, barcode: string, mutate: (m: Manifest & Record<string, unknown>) => object): Promise<number> {
  const { m, version } = await newest(f, barcode);
  const forged = { ...mutate(m), version: version + 1 };
  await f.store.put(f.keys.manifest(barcode, version + 1), Buffer.from(JSON.stringify(forged)));
  return version + 1;
}

/** Let background deletes (the prune after a commit is not awaited) reach the memory store. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Two cartridges in one store, each with ten 1 KiB blocks in one segment: the target (b0..b9) and a victim (b1000..b1009). */
async function twoCartridges(defaults: Parameters<typeof makeFixture>[0] = {}): Promise<Fixture> {
  const f = await makeFixture(defaults);
  const v = await f.open({ barcode: VICTIM });
  await writeBlocks(v, 1000, 1010);
  await v.close();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  return f;
}

test('cutAway naming another cartridge\'s segment and manifest: the manifest is refused, nothing of the other cartridge is deleted', async (t) => {
  const f = await twoCartridges({ keepManifests: 1 });
  const victimObjects = f.store.keys().filter((k) => k.includes(`/${VICTIM}/`));
  const good = (await newest(f, BARCODE)).version;
  const seg = victimObjects.find((k) => k.includes('/seg/'))!;
  const man = victimObjects.find((k) => k.includes('/manifest/'))!;
  const forged = await forge(f, BARCODE, (m) => ({ ...m, cutAway: [{ key: seg, until: 1 }, { key: man, until: 1 }] }));

  const log = recordingLog();
  const c = await f.open({ log });
  t.log('the cartridge loads from the version before the forged one');
  t.is(c.manifest.version, good);
  t.log('the refusal is logged with barcode, version and reason');
  const refused = log.lines.find((l) => l.msg === 'cartridge manifest refused');
  t.like(refused, { level: 'error', meta: { barcode: BARCODE, version: forged } });
  t.regex(String(refused?.meta?.reason), /cutAway key .* is not a segment of TST001L6/);
  t.true(log.lines.some((l) => l.msg === 'cartridge falls back to an older manifest' && l.meta?.version === good));
  t.log('writing commits past the refused version, and its prune (keepManifests 1) runs');
  await writeBlocks(c, 10, 12);
  await c.close();
  await settle();
  t.true((await newest(f, BARCODE)).version > forged);
  t.log('every object of the other cartridge is still there');
  t.deepEqual(f.store.keys().filter((k) => k.includes(`/${VICTIM}/`)), victimObjects);
  const v = await f.open({ barcode: VICTIM });
  t.is((await readAll(v)).length, 10);
  await v.close();
  await f.cleanup();
});

test('a segment key of another cartridge is refused: its data is never read as this cartridge\'s', async (t) => {
  const f = await twoCartridges();
  const victimSegments = (await newest(f, VICTIM)).m.segments;
  await forge(f, BARCODE, (m) => ({ ...m, segments: victimSegments }));
  const log = recordingLog();
  const c = await f.open({ log });
  t.log('object 0 reads as the cartridge\'s own block 0, not the other cartridge\'s block 1000');
  const r = await c.read();
  t.is(r.kind, 'block');
  t.is(r.kind === 'block' ? r.data.readUInt32BE(0) : -1, 0);
  t.regex(String(log.lines.find((l) => l.msg === 'cartridge manifest refused')?.meta?.reason), /key "vtl\/tapes\/VIC001L6\/seg\/.*" is not vtl\/tapes\/TST001L6\/seg\//);
  t.log('the next commit goes past the refused version and names the version it was built on');
  const good = c.manifest.version;
  await c.writeAttribute(0x0800, Buffer.from('x'));
  await c.close();
  const after = JSON.parse((await f.store.get(f.keys.manifest(BARCODE, good + 2))).toString()) as Manifest;
  t.is(after.base, good);
  await f.cleanup();
});

test('a self-consistent EOD of 10^15 is refused and never committed', async (t) => {
  const f = await twoCartridges();
  const huge = 1e15;
  await forge(f, BARCODE, (m) => ({
    ...m,
    segments: [{ seq: 1, key: f.keys.segment(BARCODE, 0, 1), first: 0, records: huge, count: huge, dataBytes: huge, size: 32 + huge * 33 + 40, indexOffset: 32 + huge * 17 }],
    filemarks: [], eodObjectId: huge, usedBytes: huge, nextSeq: 2,
  }));
  const log = recordingLog();
  const c = await f.open({ log });
  await c.spaceToEndOfData();
  t.log('EOD is the real one (10 blocks)');
  t.is(c.position().eodObjectId, 10);
  t.regex(String(log.lines.find((l) => l.msg === 'cartridge manifest refused')?.meta?.reason), /usedBytes 1000000000000000 beyond the capacity/);
  t.log('a commit after it describes the real tape');
  await c.writeAttribute(0x0800, Buffer.from('x'));
  await c.close();
  t.is((await newest(f, BARCODE)).m.eodObjectId, 10);
  await f.cleanup();
});

const auth = (acceptUnsigned = false, key = randomBytes(32)): ManifestAuth => ({ key, acceptUnsigned });

test('with a manifest key, a tampered manifest fails its MAC and the cartridge falls back to the version before', async (t) => {
  const a = auth();
  const f = await makeFixture({ manifestAuth: a });
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const { key, version, m } = await newest(f, BARCODE);
  t.log('every manifest written is signed');
  t.regex(String(m.mac), /^hmac-sha256:[0-9a-f]{64}$/);
  t.log('a writer without the key changes the newest manifest in place (here: forgets the last block)');
  const seg = m.segments.at(-1)!;
  await f.store.put(key, Buffer.from(JSON.stringify({ ...m, segments: [...m.segments.slice(0, -1), { ...seg, count: seg.count - 1, dataBytes: seg.dataBytes - 1024 }], eodObjectId: m.eodObjectId - 1, usedBytes: m.usedBytes - 1024 })));
  const log = recordingLog();
  const d = await f.open({ log });
  t.is(d.manifest.version, version - 1);
  t.like(log.lines.find((l) => l.msg === 'cartridge manifest refused'), { level: 'error', meta: { barcode: BARCODE, version } });
  t.regex(String(log.lines.find((l) => l.msg === 'cartridge manifest refused')?.meta?.reason), /MAC does not match/);
  await d.close();
  t.log('under another key no version passes: the cartridge does not load');
  const e = await t.throwsAsync(f.open({ manifestAuth: auth() }), { instanceOf: CartridgeError });
  t.is(e?.code, CartridgeErrorCode.FORMAT);
  t.regex(e?.message ?? '', /no manifest passes the checks/);
  await f.cleanup();
});

test('with a manifest key, unsigned manifests are refused unless acceptUnsignedManifests; the next commit signs', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const key = randomBytes(32);
  t.log('unsigned only: refused, and with nothing to fall back to the cartridge does not load');
  const e = await t.throwsAsync(f.open({ manifestAuth: auth(false, key) }), { instanceOf: CartridgeError });
  t.is(e?.code, CartridgeErrorCode.FORMAT);
  t.regex(e?.message ?? '', /no MAC/);
  t.log('migration: accepted with the flag, and the next commit is signed');
  const d = await f.open({ manifestAuth: auth(true, key) });
  await d.writeAttribute(0x0800, Buffer.from('signed'));
  await d.close();
  t.regex(String((await newest(f, BARCODE)).m.mac), /^hmac-sha256:/);
  const g = await f.open({ manifestAuth: auth(false, key) });
  t.is((await readAll(g)).length, 10);
  await g.close();
  await f.cleanup();
});

test('the newest manifest the catalog knows missing from the store is an error, not a rollback', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const { key, version } = await newest(f, BARCODE);
  await f.store.delete([key]);
  const log = recordingLog();
  const e = await t.throwsAsync(f.open({ manifestHint: version, log }), { instanceOf: CartridgeError });
  t.is(e?.code, CartridgeErrorCode.FORMAT);
  t.regex(e?.message ?? '', new RegExp(`manifest version ${version}, the newest the catalog knows, is missing`));
  t.like(log.lines.find((l) => l.msg === 'cartridge manifest missing'), { level: 'error', meta: { barcode: BARCODE, version } });
  t.log('a forged newer version does not hide the missing one');
  const prev = (await newest(f, BARCODE)).m;
  await f.store.put(f.keys.manifest(BARCODE, version + 1), Buffer.from(JSON.stringify({ ...prev, version: version + 1, eodObjectId: 1e15 })));
  await t.throwsAsync(f.open({ manifestHint: version }), { instanceOf: CartridgeError, message: /is missing from the store/ });
  t.log('with every manifest gone the cartridge is not recreated blank either');
  await f.store.delete(manifestKeys(f, BARCODE));
  await t.throwsAsync(f.open({ manifestHint: version }), { instanceOf: CartridgeError, message: /missing/ });
  t.deepEqual(manifestKeys(f, BARCODE), []);
  await f.cleanup();
});

test('a manifest object larger than the limit is refused without being fetched', async (t) => {
  const f = await twoCartridges();
  const good = (await newest(f, BARCODE)).version;
  const forged = await forge(f, BARCODE, (m) => ({ ...m, padding: 'x'.repeat(64 << 10) }));
  const gets = f.store.calls.get;
  const found = await readManifest(f.store, f.keys, BARCODE, { maxBytes: 32 << 10 });
  t.is(found?.manifest.version, good);
  t.regex(found?.refused[0]?.reason ?? '', new RegExp(`manifest .*${forged.toString(16)}\\.json: \\d+ bytes, more than 32768`));
  t.is(f.store.calls.get - gets, 1, 'only the accepted version was fetched');
  await f.cleanup();
});

test('a known version pruned after a newer one was committed (the catalog one behind) is not missing', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.close();
  const { version } = await newest(f, BARCODE);
  // keepManifests 1 and a crash before the catalog heard of `version`: version - 1 is pruned, the catalog still names it.
  await f.store.delete([f.keys.manifest(BARCODE, version - 1)]);
  const d = await f.open({ manifestHint: version - 1 });
  t.is(d.manifest.version, version);
  await d.close();
  await f.cleanup();
});

test('a forged manifest cannot lift WORM: a cartridge the catalog knows as WORM stays WORM', async (t) => {
  const worm = { mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: true, pool: null };
  const f = await makeFixture();
  const c = await f.open({ medium: worm });
  await writeBlocks(c, 0, 3);
  await c.close();
  await forge(f, BARCODE, (m) => ({ ...m, medium: { ...m.medium, worm: false } }));
  const again = await f.open({ medium: worm });
  t.log('the forged version loads (WORM on an L6 barcode is the catalog\'s word, not the barcode\'s), but the medium stays WORM');
  t.true(again.attributes.worm);
  await again.close();
});
