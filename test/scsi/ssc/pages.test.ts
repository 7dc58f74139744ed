// MODE SENSE/SELECT (block descriptor, device-specific byte, SSC pages) and
// LOG SENSE pages of the tape drive.
import test from 'ava';
import { block, cdb, loadedDrive, run } from './harness.ts';

const ILLEGAL_REQUEST = 0x5;

/** Find a page in MODE SENSE(6) data. */
function findPage(data: Buffer, page: number): Buffer | undefined {
  let at = 4 + (data[3] ?? 0);
  while (at < data.length) {
    const code = (data[at] ?? 0) & 0x3f;
    const len = 2 + (data[at + 1] ?? 0);
    if (code === page) return data.subarray(at, at + len);
    at += len;
  }
  return undefined;
}

test('mode sense(6) page 0 with 12 bytes (what st reads at open): density, block length 0, buffered mode 1', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.modeSense6(0, { alloc: 12 }));
  t.is(r.status, 0);
  t.is(r.data.length, 12);
  t.log('block descriptor length 8');
  t.is(r.data[3], 8);
  t.log('density code of the loaded LTO-6 cartridge');
  t.is(r.data[4], 0x5a);
  t.log('variable block mode');
  t.is(r.data.readUIntBE(9, 3), 0);
  t.log('BUFFERED MODE 1, WP clear');
  t.is(r.data[2], 0x10);
});

test('mode select(6) block descriptor sets fixed-block mode; mode sense reads it back', async (t) => {
  const { drive } = await loadedDrive();
  const list = Buffer.from([0, 0, 0x10, 8, 0x00, 0, 0, 0, 0, 0, 0x80, 0x00]);
  t.log('the block length 8000h reads back and is the drive\'s fixed block length');
  t.is((await run(drive, cdb.modeSelect6(12), { dataOut: list })).status, 0);
  const r = await run(drive, cdb.modeSense6(0, { alloc: 12 }));
  t.is(r.data.readUIntBE(9, 3), 0x8000);
  t.is(drive.blockLength, 0x8000);
});

test('mode select with a block length above the maximum is INVALID FIELD IN PARAMETER LIST', async (t) => {
  const { drive } = await loadedDrive();
  const list = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
  const r = await run(drive, cdb.modeSelect6(12), { dataOut: list });
  t.log('ILLEGAL REQUEST 26/00');
  t.is(r.sense?.key, ILLEGAL_REQUEST);
  t.is(r.sense?.asc, 0x26);
});

test('mode select with an unknown density code is refused', async (t) => {
  const { drive } = await loadedDrive();
  const list = Buffer.from([0, 0, 0x10, 8, 0x13, 0, 0, 0, 0, 0, 0, 0]);
  t.log('density 13h is not one the drive knows: 26/00');
  t.is((await run(drive, cdb.modeSelect6(12), { dataOut: list })).sense?.asc, 0x26);
});

test('mode sense 3Fh lists pages 01h 02h 0Ah 0Fh 10h 11h 1Ch 1Dh', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.modeSense6(0x3f));
  t.is(r.status, 0);
  for (const p of [0x01, 0x02, 0x0a, 0x0f, 0x10, 0x11, 0x1c, 0x1d]) {
    t.log(`page ${p.toString(16)}h present`);
    t.truthy(findPage(r.data, p));
  }
});

test('data compression page: DCC set, DCE follows MODE SELECT, as st MTCOMPRESSION does it', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.modeSense6(0x0f));
  const page = findPage(r.data, 0x0f);
  t.truthy(page);
  t.log('DCC (compression capable) and DCE (enabled by default)');
  t.is((page?.[2] ?? 0) & 0xc0, 0xc0);
  const list = Buffer.from(r.data);
  list[0] = 0;
  const off = 4 + (list[3] ?? 0);
  list[off + 2] = (list[off + 2] ?? 0) & 0x7f;
  t.is((await run(drive, cdb.modeSelect6(list.length), { dataOut: list })).status, 0);
  t.false(drive.compression);
  const again = findPage((await run(drive, cdb.modeSense6(0x0f))).data, 0x0f);
  t.is((again?.[2] ?? 0) & 0x80, 0);
  t.log('the device configuration page follows: SELECT DATA COMPRESSION ALGORITHM 0');
  const dc = findPage((await run(drive, cdb.modeSense6(0x10))).data, 0x10);
  t.is(dc?.[14], 0);
});

test('device configuration page: SELECT DATA COMPRESSION ALGORITHM 1 turns compression on', async (t) => {
  const { drive } = await loadedDrive();
  drive.compression = false;
  const r = await run(drive, cdb.modeSense6(0x10, { dbd: true }));
  const list = Buffer.from(r.data);
  list[0] = 0;
  list[4 + 14] = 1;
  t.log('algorithm 1 turns compression on; 7 is refused with 26/00');
  t.is((await run(drive, cdb.modeSelect6(list.length), { dataOut: list })).status, 0);
  t.true(drive.compression);
  list[4 + 14] = 7;
  t.is((await run(drive, cdb.modeSelect6(list.length), { dataOut: list })).sense?.asc, 0x26);
});

test('log sense 00h lists 02h 03h 0Ch 2Eh 31h', async (t) => {
  const { drive } = await loadedDrive();
  const r = await run(drive, cdb.logSense(0x00));
  const pages = [...r.data.subarray(4)];
  t.log('each SSC log page is listed');
  for (const p of [0x02, 0x03, 0x0c, 0x2e, 0x31]) t.true(pages.includes(p), `page ${p.toString(16)}`);
});

function param(page: Buffer, code: number): Buffer | undefined {
  for (let at = 4; at + 4 <= page.length; ) {
    const len = page[at + 3] ?? 0;
    if (page.readUInt16BE(at) === code) return page.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
  return undefined;
}

test('log sense 0Ch counts bytes written and read', async (t) => {
  const { drive } = await loadedDrive();
  await run(drive, cdb.write6(1000), { dataOut: block(1000, 1) });
  await run(drive, cdb.rewind());
  await run(drive, cdb.read6(1000));
  const r = await run(drive, cdb.logSense(0x0c));
  t.log('1000 bytes received from the initiator and 1000 returned to it');
  t.is(param(r.data, 0x0000)?.readBigUInt64BE(0), 1000n);
  t.is(param(r.data, 0x0003)?.readBigUInt64BE(0), 1000n);
});

test('log sense 31h reports remaining and maximum capacity in MiB', async (t) => {
  const { drive } = await loadedDrive({ capacityBytes: 100 * 1024 * 1024 });
  await run(drive, cdb.write6(1024 * 1024), { dataOut: Buffer.alloc(1024 * 1024) });
  const r = await run(drive, cdb.logSense(0x31));
  t.log('99 MiB remain of 100 after writing 1 MiB');
  t.is(param(r.data, 0x0001)?.readUInt32BE(0), 99);
  t.is(param(r.data, 0x0003)?.readUInt32BE(0), 100);
});

test('log sense 2Eh: 64 TapeAlert flags, write protect set after a refused write, cleared once read', async (t) => {
  const { drive } = await loadedDrive({ writeProtected: true });
  await run(drive, cdb.write6(10), { dataOut: Buffer.alloc(10) });
  const r = await run(drive, cdb.logSense(0x2e));
  t.log('64 parameters of 5 bytes; flag 9 (write protect) set, flag 1 clear; cleared on the next read');
  t.is(r.data.readUInt16BE(2), 64 * 5);
  t.is(param(r.data, 0x0009)?.[0], 1);
  t.is(param(r.data, 0x0001)?.[0], 0);
  const again = await run(drive, cdb.logSense(0x2e));
  t.is(param(again.data, 0x0009)?.[0], 0);
});
