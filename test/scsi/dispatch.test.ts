import test from 'ava';
import { Status } from '../../scsi/command.ts';
import { Sense } from '../../scsi/sense.ts';
import { makeDisk, nexus, readyDisk, run, silentLog } from './spc/fixture.ts';

test('an unknown opcode is ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // Verify that the command ends in CHECK CONDITION 5/20/00.
  t.deepEqual([r.status, r.key, r.asc, r.ascq], [Status.CHECK_CONDITION, 5, 0x20, 0]);
});

test('an unknown service action is INVALID FIELD IN CDB', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]);
  // Verify that SERVICE ACTION IN(16) with service action 1Fh is 5/24/00.
  t.deepEqual([r.key, r.asc], [5, 0x24]);
});

test('the first command of a nexus reports POWER ON, once', async (t) => {
  const { disk } = makeDisk();
  const first = await run(disk, [0, 0, 0, 0, 0, 0]);
  // Verify that TEST UNIT READY first reports UNIT ATTENTION 29/00.
  t.deepEqual([first.key, first.asc, first.ascq], [6, 0x29, 0]);
  const second = await run(disk, [0, 0, 0, 0, 0, 0]);
  // Verify that the unit attention was cleared by being reported.
  t.is(second.status, Status.GOOD);
});

test('INQUIRY, REPORT LUNS and REQUEST SENSE do not report a pending unit attention', async (t) => {
  const { disk } = makeDisk();
  // Verify that INQUIRY succeeds while 29/00 is pending.
  t.is((await run(disk, [0x12, 0, 0, 0, 36, 0])).status, Status.GOOD);
  // Verify that REPORT LUNS succeeds while 29/00 is pending.
  t.is((await run(disk, [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])).status, Status.GOOD);
  const tur = await run(disk, [0, 0, 0, 0, 0, 0]);
  // Verify that the unit attention is still there for the next other command.
  t.is(tur.key, 6);
});

test('a unit attention is reported before an invalid opcode', async (t) => {
  const { disk } = makeDisk();
  const r = await run(disk, [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // Verify that the pending 29/00 wins over 20/00.
  t.is(r.asc, 0x29);
});

test('NACA or LINK in the CONTROL byte is INVALID FIELD IN CDB', async (t) => {
  const { disk } = await readyDisk();
  const r = await run(disk, [0, 0, 0, 0, 0, 0x04]);
  // Verify that TEST UNIT READY with NACA=1 fails with 5/24/00.
  t.deepEqual([r.key, r.asc], [5, 0x24]);
});

test('an unexpected exception becomes HARDWARE ERROR / INTERNAL TARGET FAILURE', async (t) => {
  const { disk, backend } = await readyDisk();
  backend.read = () => Promise.reject(new Error('disk on fire'));
  const before = silentLog.errors.length;
  const r = await run(disk, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  // Verify that the READ ends in 4/44/00.
  t.deepEqual([r.key, r.asc, r.ascq], [4, 0x44, 0]);
  // Verify that the failure was logged once.
  t.is(silentLog.errors.length, before + 1);
});

test('descriptor-format sense when the control page sets D_SENSE', async (t) => {
  const { disk } = await readyDisk();
  const page = Buffer.from([0, 0, 0, 0, 0x0a, 0x0a, 0x04, 0x10, 0, 0, 0, 0, 0xff, 0xff, 0, 0]);
  const sel = await run(disk, [0x15, 0x10, 0, 0, page.length, 0], { dataOut: page });
  // Verify that MODE SELECT(6) setting D_SENSE succeeds.
  t.is(sel.status, Status.GOOD);
  const r = await run(disk, [0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0]);
  // Verify that the sense data now has response code 72h.
  t.is((r.sense?.[0] ?? 0) & 0x7f, 0x72);
  // Verify that it still says LBA OUT OF RANGE.
  t.deepEqual([r.key, r.asc], [5, 0x21]);
});

test('RESERVATION CONFLICT for another nexus while RESERVE(6) is held', async (t) => {
  const { disk } = await readyDisk({}, [1, 2]);
  t.is((await run(disk, [0x16, 0, 0, 0, 0, 0])).status, Status.GOOD);
  const r = await run(disk, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], { nexus: nexus(2) });
  // Verify that READ(10) from the other nexus conflicts.
  t.is(r.status, Status.RESERVATION_CONFLICT);
  // Verify that INQUIRY from the other nexus is still allowed.
  t.is((await run(disk, [0x12, 0, 0, 0, 36, 0], { nexus: nexus(2) })).status, Status.GOOD);
});

test('a LUN reset raises 29/03 for every nexus and drops RESERVE(6)', async (t) => {
  const { disk } = await readyDisk({}, [1, 2]);
  await run(disk, [0x16, 0, 0, 0, 0, 0]);
  disk.reset('lun-reset', nexus(1));
  const r = await run(disk, [0, 0, 0, 0, 0, 0], { nexus: nexus(2) });
  // Verify that the other nexus sees BUS DEVICE RESET FUNCTION OCCURRED.
  t.deepEqual([r.asc, r.ascq], [Sense.busDeviceResetFunctionOccurred.asc, 0x03]);
  // Verify that the reservation is gone: the other nexus can now read.
  t.is((await run(disk, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], { nexus: nexus(2) })).status, Status.GOOD);
});

test('an ORDERED task waits for earlier tasks and later tasks wait for it', async (t) => {
  const { disk, backend } = await readyDisk();
  const order: string[] = [];
  const slowRead = backend.read.bind(backend);
  backend.read = async (lba, n) => {
    await new Promise((r) => setTimeout(r, lba === 0n ? 30 : 1));
    order.push(`read${lba}`);
    return slowRead(lba, n);
  };
  const a = run(disk, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  const b = run(disk, [0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0], { taskAttribute: 'ordered' });
  const c = run(disk, [0x28, 0, 0, 0, 0, 2, 0, 0, 1, 0]);
  await Promise.all([a, b, c]);
  // Verify that the reads completed in command order around the ORDERED one.
  t.deepEqual(order, ['read0', 'read1', 'read2']);
});
