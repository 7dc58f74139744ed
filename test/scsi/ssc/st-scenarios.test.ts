// Sequences the way Linux st and Bacula's btape drive a tape, checking the
// numbers st derives from our sense data (its file counter comes from the
// SPACE residue; tgt breaks exactly here: "I am at file 8388607").
import test from 'ava';
import { block, cdb, loadedDrive, position, run, writeScript } from './harness.ts';

/** What st does for MTEOM without fast_mteom: SPACE 0x7fffff filemarks; file = start + 0x7fffff - INFORMATION. */
async function stEom(drive: Parameters<typeof run>[0], file: number): Promise<number> {
  const r = await run(drive, cdb.space6(1, 0x7fffff));
  if (r.status === 0) return file + 0x7fffff;
  return file + 0x7fffff - (r.sense?.info ?? 0);
}

test('btape append test: three files, mt eod says file 3, appending makes file 4 readable after the others', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [64512, 'F', 64512, 64512, 'F', 64512, 64512, 64512, 'F']);
  await run(drive, cdb.rewind());
  t.log('st file counter after MTEOM is 3');
  t.is(await stEom(drive, 0), 3);
  t.log('READ POSITION agrees: 9 objects, EOD');
  t.is((await position(drive)).first, 9);
  await writeScript(drive, [64512, 'F']);
  await run(drive, cdb.rewind());
  t.log('forward space 3 files then read: the appended block');
  t.is((await run(drive, cdb.space6(1, 3))).status, 0);
  const r = await run(drive, cdb.read6(64512));
  t.is(r.status, 0);
  t.log('it is the first block of the appending script (seed 0), not one of the first three files (seeds 0..5 at other offsets)');
  t.is((await position(drive)).first, 10);
  t.true(r.data.equals(block(64512, 0)));
});

test('BSF at EOM: from EOD, back one filemark and forward one leaves st at the start of the next (empty) file', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [100, 'F', 100, 'F']);
  await run(drive, cdb.space6(3, 0));
  t.is((await run(drive, cdb.space6(1, -1))).status, 0);
  t.is((await run(drive, cdb.space6(1, 1))).status, 0);
  t.is((await position(drive)).first, 4);
  t.log('reading there is BLANK CHECK: end of recorded data');
  t.is((await run(drive, cdb.read6(100))).sense?.key, 0x8);
});

test('tar-style read loop: blocks, then FM ends the file, then the next file, then BLANK CHECK', async (t) => {
  const { drive } = await loadedDrive();
  await writeScript(drive, [10240, 10240, 'F', 10240, 'F']);
  await run(drive, cdb.rewind());
  const seen: string[] = [];
  t.log('the sequence a reader sees');
  for (let i = 0; i < 8; i++) {
    const r = await run(drive, cdb.read6(10240));
    if (r.status === 0) seen.push('data');
    else if (r.sense?.filemark === true) seen.push('FM');
    else if (r.sense?.key === 0x8) { seen.push('EOD'); break; }
  }
  t.deepEqual(seen, ['data', 'data', 'FM', 'data', 'FM', 'EOD']);
});

test('Amanda LEOM: the write crossing early warning succeeds with EOM, later writes too until the end of partition', async (t) => {
  const { drive } = await loadedDrive({ capacityBytes: 32768 * 10, earlyWarningBytes: 32768 * 3 });
  const statuses: string[] = [];
  t.log('seven plain writes, three with early warning, then VOLUME OVERFLOW');
  for (let i = 0; i < 11; i++) {
    const r = await run(drive, cdb.write6(32768), { dataOut: Buffer.alloc(32768) });
    statuses.push(r.status === 0 ? 'ok' : r.sense?.key === 0 && r.sense.eom ? 'ew' : r.sense?.key === 0xd ? 'full' : 'other');
  }
  t.deepEqual(statuses, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ew', 'ew', 'ew', 'full']);
});
