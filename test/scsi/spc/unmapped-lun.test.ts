import test from 'ava';
import { UnmappedLun } from '../../../scsi/spc/unmapped-lun.ts';
import { identity, parseSense, run, silentLog } from './fixture.ts';

const lu = () => new UnmappedLun({ identity, log: silentLog });

test('INQUIRY on an unmapped LUN answers qualifier 011b, type 1Fh', async (t) => {
  const r = await run(lu(), [0x12, 0, 0, 0, 36, 0]);
  // Verify byte 0 = 7Fh.
  t.is(r.dataIn?.[0], 0x7f);
});

test('REPORT LUNS works on an unmapped LUN', async (t) => {
  const r = await run(lu(), [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], { luns: [1] });
  // Verify one LUN reported.
  t.is(r.dataIn?.readUInt32BE(0), 8);
});

test('REQUEST SENSE on an unmapped LUN reports LOGICAL UNIT NOT SUPPORTED', async (t) => {
  const r = await run(lu(), [0x03, 0, 0, 0, 18, 0]);
  // Verify 5/25/00 in the data.
  t.deepEqual(parseSense(r.dataIn), { key: 5, asc: 0x25, ascq: 0 });
});

test('other commands on an unmapped LUN end in 25/00', async (t) => {
  const r = await run(lu(), [0, 0, 0, 0, 0, 0]);
  // Verify CHECK CONDITION 5/25/00 without a unit attention first.
  t.deepEqual([r.status, r.key, r.asc], [2, 5, 0x25]);
});
