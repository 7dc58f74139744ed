// Every SequentialMedium operation of Cartridge, one aspect per test.

import test from 'ava';
import { CartridgeError } from '../../tapes/errors.ts';
import { block, makeFixture, readAll, writeBlocks } from './cartridge-fixture.ts';

test('a new cartridge is blank: at BOP and EOD, nothing used', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  // Position 0, file 0, EOD 0.
  t.deepEqual(c.position(), { objectId: 0, fileNumber: 0, eodObjectId: 0 });
  t.is(c.usedBytes(), 0);
  // Reading a blank tape reports end of data.
  t.deepEqual(await c.read(), { kind: 'end-of-data' });
  await c.close();
  await f.cleanup();
});

test('attributes come from the medium description', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  // Barcode, media type, capacity and a positive early warning.
  t.is(c.attributes.barcode, 'TST001L6');
  t.is(c.attributes.mediaType, 'LTO-6');
  t.is(c.attributes.capacityBytes, 1 << 30);
  t.true(c.attributes.earlyWarningBytes > 0);
  await c.close();
  await f.cleanup();
});

test('write splits data into blocks, one object each', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await c.write(Buffer.concat([block(0, 512), block(1, 512), block(2, 512)]), 512);
  // Three objects written, position at EOD.
  t.deepEqual(c.position(), { objectId: 3, fileNumber: 0, eodObjectId: 3 });
  t.is(c.usedBytes(), 1536);
  await c.close();
  await f.cleanup();
});

test('write rejects data that is not a multiple of the block length', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  // 1000 bytes in 512-byte blocks is refused.
  await t.throwsAsync(c.write(Buffer.alloc(1000), 512), { instanceOf: CartridgeError, code: 'VTL_CARTRIDGE_INVALID_ARGUMENT' });
  await c.close();
  await f.cleanup();
});

test('reads return blocks and filemarks in order, across segments', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 100);
  await c.writeFilemarks(1);
  await writeBlocks(c, 100, 102);
  await c.rewind();
  const all = await readAll(c);
  // 100 blocks, a filemark, 2 blocks: 103 objects.
  t.is(all.length, 103);
  t.is(all[100], 'F');
  t.is(all[101], 'b100');
  await c.close();
  await f.cleanup();
});

test('reading a filemark advances past it', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await c.writeFilemarks(1);
  await c.rewind();
  // The read reports the filemark and the position moves to 1.
  t.deepEqual(await c.read(), { kind: 'filemark' });
  t.deepEqual(c.position(), { objectId: 1, fileNumber: 1, eodObjectId: 1 });
  await c.close();
  await f.cleanup();
});

test('a read at EOD does not move', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 2);
  // At EOD: end of data, twice, position unchanged.
  t.deepEqual(await c.read(), { kind: 'end-of-data' });
  t.deepEqual(await c.read(), { kind: 'end-of-data' });
  t.is(c.position().objectId, 2);
  await c.close();
  await f.cleanup();
});

test('space blocks forward over a filemark stops after it', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 3);
  await c.writeFilemarks(1);
  await writeBlocks(c, 3, 6);
  await c.rewind();
  // Spacing 5 blocks meets the filemark after 3: positioned after it (object 4).
  t.deepEqual(await c.spaceBlocks(5), { spaced: 3, stoppedBy: 'filemark' });
  t.is(c.position().objectId, 4);
  await c.close();
  await f.cleanup();
});

test('space blocks backward over a filemark stops before it', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 3);
  await c.writeFilemarks(1);
  await writeBlocks(c, 3, 6);
  // From EOD (7), back 5 meets the filemark at 3 after 3 blocks: positioned at 3 (its BOP side).
  t.deepEqual(await c.spaceBlocks(-5), { spaced: 3, stoppedBy: 'filemark' });
  t.is(c.position().objectId, 3);
  await c.close();
  await f.cleanup();
});

test('space blocks backward stops at BOP', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 3);
  // Back 10 from 3 reaches BOP after 3.
  t.deepEqual(await c.spaceBlocks(-10), { spaced: 3, stoppedBy: 'beginning-of-partition' });
  t.is(c.position().objectId, 0);
  await c.close();
  await f.cleanup();
});

test('space filemarks forward and back', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  for (let i = 0; i < 4; i++) {
    await writeBlocks(c, i * 10, i * 10 + 2);
    await c.writeFilemarks(1);
  }
  await c.rewind();
  // Forward 3 filemarks: after the third (objects 2, 5, 8 are filemarks), at 9.
  t.deepEqual(await c.spaceFilemarks(3), { spaced: 3 });
  t.deepEqual(c.position(), { objectId: 9, fileNumber: 3, eodObjectId: 12 });
  // Back 2: before the second filemark (object 5).
  t.deepEqual(await c.spaceFilemarks(-2), { spaced: 2 });
  t.is(c.position().objectId, 5);
  // Forward 5 from there: only 3 remain, stop at EOD.
  t.deepEqual(await c.spaceFilemarks(5), { spaced: 3, stoppedBy: 'end-of-data' });
  t.is(c.position().objectId, 12);
  await c.close();
  await f.cleanup();
});

test('space to end of data', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 5);
  await c.rewind();
  await c.spaceToEndOfData();
  // The position is EOD.
  t.is(c.position().objectId, 5);
  await c.close();
  await f.cleanup();
});

test('locate inside the data, at EOD and past EOD', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 5);
  // Locating to 2 succeeds and the next read is block 2.
  t.true(await c.locate(2));
  t.is(((await c.read()) as { data: Buffer }).data.readUInt32BE(0), 2);
  // Locating to EOD succeeds.
  t.true(await c.locate(5));
  // Locating past EOD stops at EOD and reports false.
  t.false(await c.locate(50));
  t.is(c.position().objectId, 5);
  await c.close();
  await f.cleanup();
});

test('writing in the middle cuts everything after the position', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 100);
  await c.writeFilemarks(1);
  await writeBlocks(c, 100, 110);
  await c.locate(40);
  await writeBlocks(c, 1000, 1002);
  // EOD is now 42: 40 old blocks and 2 new ones; the filemark is gone.
  t.deepEqual(c.position(), { objectId: 42, fileNumber: 0, eodObjectId: 42 });
  await c.rewind();
  const all = await readAll(c);
  t.deepEqual(all.slice(38), ['b38', 'b39', 'b1000', 'b1001']);
  // Used bytes count exactly the 42 blocks left.
  t.is(c.usedBytes(), 42 * 1024);
  await c.close();
  await f.cleanup();
});

test('writing filemarks in the middle cuts too', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.locate(4);
  await c.writeFilemarks(2);
  // Four blocks then two filemarks: EOD 6, file number 2.
  t.deepEqual(c.position(), { objectId: 6, fileNumber: 2, eodObjectId: 6 });
  await c.close();
  await f.cleanup();
});

test('erase makes the position EOD', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await writeBlocks(c, 0, 10);
  await c.locate(7);
  await c.erase();
  // EOD is 7.
  t.is(c.position().eodObjectId, 7);
  await c.rewind();
  await c.erase();
  // Erasing at BOP leaves a blank tape.
  t.is(c.position().eodObjectId, 0);
  t.is(c.usedBytes(), 0);
  await c.close();
  await f.cleanup();
});

test('attributes are written, listed and read back', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await c.writeAttribute(0x0800, Buffer.from('VENDOR'));
  await c.writeAttribute(0x0002, Buffer.from([1, 2]));
  // Listed in id order, read back as written; unknown ids are undefined.
  t.deepEqual(c.listAttributes(), [0x0002, 0x0800]);
  t.deepEqual(c.readAttribute(0x0800), Buffer.from('VENDOR'));
  t.is(c.readAttribute(0x0001), undefined);
  await c.close();
  await f.cleanup();
});

test('a write-protected cartridge refuses writes', async (t) => {
  const f = await makeFixture();
  const c = await f.open({ medium: { mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: false, pool: null, writeProtected: true } });
  // Writes, filemarks and erase fail with VTL_CARTRIDGE_WRITE_PROTECTED.
  await t.throwsAsync(c.write(block(0), 1024), { code: 'VTL_CARTRIDGE_WRITE_PROTECTED' });
  await t.throwsAsync(c.writeFilemarks(1), { code: 'VTL_CARTRIDGE_WRITE_PROTECTED' });
  await t.throwsAsync(c.erase(), { code: 'VTL_CARTRIDGE_WRITE_PROTECTED' });
  await c.close();
  await f.cleanup();
});

test('a WORM cartridge appends but refuses to overwrite', async (t) => {
  const f = await makeFixture();
  const c = await f.open({ medium: { mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: true, pool: null } });
  await writeBlocks(c, 0, 3);
  await c.rewind();
  // Overwriting at BOP fails with VTL_CARTRIDGE_WORM.
  await t.throwsAsync(c.write(block(9), 1024), { code: 'VTL_CARTRIDGE_WORM' });
  await c.spaceToEndOfData();
  await writeBlocks(c, 3, 4);
  // Appending at EOD works.
  t.is(c.position().eodObjectId, 4);
  await c.close();
  await f.cleanup();
});

test('writing past capacity fails with VTL_CARTRIDGE_FULL', async (t) => {
  const f = await makeFixture();
  const c = await f.open({ create: true, medium: { mediaType: 'LTO-6', capacityBytes: 4096, worm: false, pool: null } });
  await writeBlocks(c, 0, 4);
  // The fifth 1 KiB block does not fit in 4 KiB.
  await t.throwsAsync(c.write(block(4), 1024), { code: 'VTL_CARTRIDGE_FULL' });
  await c.close();
  await f.cleanup();
});

test('a closed cartridge refuses every operation', async (t) => {
  const f = await makeFixture();
  const c = await f.open();
  await c.close();
  // Reads and positioning fail with VTL_CARTRIDGE_CLOSED.
  await t.throwsAsync(c.read(), { code: 'VTL_CARTRIDGE_CLOSED' });
  await t.throwsAsync(c.rewind(), { code: 'VTL_CARTRIDGE_CLOSED' });
  await f.cleanup();
});
