// READ(6) through a real cartridge of a compressing, encrypting pool: the
// drive sees logical block lengths (ILI residues, fixed-mode sizes), a
// missing key is DATA PROTECT 74/01, an altered record MEDIUM ERROR 11/00.
import test from 'ava';
import { genericTape } from '../../../scsi/profiles/generic-tape.ts';
import { TapeDrive } from '../../../scsi/ssc/tape-drive.ts';
import { KeyRing, RecordCodec } from '../../../tapes/record-codec.ts';
import { decodeFooter, decodeSegmentHeader, encodeSegment } from '../../../tapes/segment-format.ts';
import { makeFixture, type Fixture } from '../../tapes/cartridge-fixture.ts';
import { block, cdb, clearUnitAttentions, position, quietLog, run, writeScript } from './harness.ts';

const NO_SENSE = 0x0, MEDIUM_ERROR = 0x3, DATA_PROTECT = 0x7;
const KEY = Buffer.alloc(32, 0x5a);
const sealing = (): RecordCodec => new RecordCodec({ compression: 'deflate', encryptWith: 'vault-1', keyring: new KeyRing([{ id: 'vault-1', key: KEY }]) });

/** A drive whose media source opens the fixture's cartridge with `codec`. */
async function driveOver(f: Fixture, codec: RecordCodec): Promise<TapeDrive> {
  const drive = new TapeDrive({ profile: genericTape, serial: '1000000009', media: { open: () => f.open({ codec }) }, log: quietLog });
  await drive.insert('TST001L6');
  await clearUnitAttentions(drive);
  return drive;
}

test('variable read of an encoded block shorter than asked: ILI with the logical residue and the logical bytes', async (t) => {
  const f = await makeFixture();
  const drive = await driveOver(f, sealing());
  await writeScript(drive, [100, 5000]);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(300));
  t.log('CHECK CONDITION, NO SENSE, ILI, INFORMATION = 300 - 100 (not the stored length)');
  t.is(r.status, 2);
  t.is(r.sense?.key, NO_SENSE);
  t.true(r.sense?.ili);
  t.is(r.sense?.info, 200);
  t.deepEqual(r.data, block(100, 0));
  t.log('the next block (5000 bytes, stored deflated and encrypted) reads whole');
  const s = await run(drive, cdb.read6(5000));
  t.is(s.status, 0);
  t.deepEqual(s.data, block(5000, 1));
  t.is((await position(drive)).first, 2);
  await drive.close();
  await f.cleanup();
});

test('fixed-mode read of encoded blocks returns whole blocks of the mode length', async (t) => {
  const f = await makeFixture();
  const drive = await driveOver(f, sealing());
  const list = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0x04, 0x00]);
  t.is((await run(drive, cdb.modeSelect6(list.length), { dataOut: list })).status, 0);
  const data = Buffer.concat([block(1024, 7), block(1024, 8), block(1024, 9)]);
  t.is((await run(drive, cdb.write6(3, { fixed: true }), { dataOut: data })).status, 0);
  await run(drive, cdb.rewind());
  const r = await run(drive, cdb.read6(3, { fixed: true }));
  t.is(r.status, 0);
  t.deepEqual(r.data, data);
  await drive.close();
  await f.cleanup();
});

test('a block whose key the gateway lacks: DATA PROTECT 74/01 UNABLE TO DECRYPT DATA, position unchanged', async (t) => {
  const f = await makeFixture();
  const writer = await driveOver(f, sealing());
  await writeScript(writer, [1000]);
  await writer.close();
  const reader = await driveOver(f, new RecordCodec());
  const r = await run(reader, cdb.read6(1000));
  t.is(r.status, 2);
  t.is(r.sense?.key, DATA_PROTECT);
  t.is(r.sense?.asc, 0x74);
  t.is(r.sense?.ascq, 0x01);
  t.is((await position(reader)).first, 0);
  await reader.close();
  await f.cleanup();
});

test('another key under the same key id: DATA PROTECT 74/03 INCORRECT DATA ENCRYPTION KEY', async (t) => {
  const f = await makeFixture();
  const writer = await driveOver(f, sealing());
  await writeScript(writer, [1000]);
  await writer.close();
  const reader = await driveOver(f, new RecordCodec({ keyring: new KeyRing([{ id: 'vault-1', key: Buffer.alloc(32, 1) }]) }));
  const r = await run(reader, cdb.read6(1000));
  t.is(r.sense?.key, DATA_PROTECT);
  t.is(r.sense?.asc, 0x74);
  t.is(r.sense?.ascq, 0x03);
  await reader.close();
  await f.cleanup();
});

test('a ciphertext altered with its CRCs recomputed still fails: MEDIUM ERROR 11/00', async (t) => {
  const f = await makeFixture();
  const codec = sealing();
  const writer = await driveOver(f, codec);
  await writeScript(writer, [2000, 2000]);
  await writer.close();
  // Rewrite object 0's stored bytes as object 1's: valid CRCs, wrong position.
  const c = await f.open({ codec });
  const seg = c.manifest.segments[0]!;
  await c.close();
  const bytes = await f.store.get(seg.key);
  const { index } = decodeFooter(bytes.subarray(seg.indexOffset));
  const rec = (i: number): { kind: 'block'; data: Buffer; coding: number } => ({ kind: 'block' as const, data: bytes.subarray(index.offset(i) + 16, index.offset(i) + 16 + index.length(i)), coding: (bytes[index.offset(i) + 5]! << 16) | bytes.readUInt16BE(index.offset(i) + 6) });
  const h = decodeSegmentHeader(bytes);
  await f.store.put(seg.key, encodeSegment(h.firstObjectId, h.seq, [rec(1), rec(0)]));
  const reader = await driveOver(f, codec);
  const r = await run(reader, cdb.read6(2000));
  t.is(r.status, 2);
  t.is(r.sense?.key, MEDIUM_ERROR);
  t.is(r.sense?.asc, 0x11);
  t.is(r.sense?.ascq, 0x00);
  await reader.close();
  await f.cleanup();
});
