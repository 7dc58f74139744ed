import test from 'ava';
import { makeDisk, readyDisk, run, parseSense } from './fixture.ts';

test('REQUEST SENSE returns and clears a pending unit attention', async (t) => {
  const { disk } = makeDisk();
  const r = await run(disk, [0x03, 0, 0, 0, 252, 0]);
  // Verify fixed format 29/00 in the data.
  t.deepEqual(parseSense(r.dataIn), { key: 6, asc: 0x29, ascq: 0 });
  // Verify that TEST UNIT READY is now GOOD.
  t.is((await run(disk, [0, 0, 0, 0, 0, 0])).status, 0);
});

test('REQUEST SENSE with DESC=1 returns descriptor format NO SENSE', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x03, 1, 0, 0, 252, 0]);
  // Verify response code 72h and sense key 0.
  t.deepEqual([r.dataIn?.[0], r.dataIn?.[1]], [0x72, 0]);
});
