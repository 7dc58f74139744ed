import test from 'ava';
import { Sense } from '../../../scsi/sense.ts';
import { readyDisk, run } from './fixture.ts';

test('REPORT LUNS lists the target LUNs', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], { luns: [0, 3, 300] })).dataIn ?? Buffer.alloc(0);
  // Verify LUN LIST LENGTH = 24.
  t.is(d.readUInt32BE(0), 24);
  // Verify LUN 3 in peripheral addressing and LUN 300 in flat addressing.
  t.deepEqual([d[17], d.readUInt16BE(24)], [3, 0x4000 | 300]);
});

test('SELECT REPORT 01h (well-known only) is empty, 03h is invalid', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, [0xa0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0])).dataIn ?? Buffer.alloc(0);
  // Verify an empty list.
  t.is(d.readUInt32BE(0), 0);
  const r = await run(disk, [0xa0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  // Verify 5/24/00 for select report 3.
  t.is(r.asc, 0x24);
});

test('an allocation length under 16 is invalid', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
  // Verify 5/24/00.
  t.is(r.asc, 0x24);
});

test('REPORT LUNS clears REPORTED LUNS DATA HAS CHANGED', async (t) => {
  const { disk } = await readyDisk();
  disk.lunsChanged();
  await run(disk, [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  const r = await run(disk, [0, 0, 0, 0, 0, 0]);
  // Verify that TEST UNIT READY no longer sees 3F/0E.
  t.not(r.asc, Sense.reportedLunsDataChanged.asc);
});
