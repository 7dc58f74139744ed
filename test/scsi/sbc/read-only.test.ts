import test from 'ava';
import { Status } from '../../../scsi/command.ts';
import { Disk } from '../../../scsi/sbc/disk.ts';
import { be16, be32, be64, identity, MemoryBackend, run, silentLog } from '../spc/fixture.ts';

/** A point-in-time view: flagged read-only, and write() must never be reached. */
class ReadOnlyBackend extends MemoryBackend {
  readonly readOnly = true;
  writes = 0;
  override async write(): Promise<void> {
    this.writes++;
    throw new Error('write reached a read-only backend');
  }
  override async unmap(): Promise<void> {
    this.writes++;
    throw new Error('unmap reached a read-only backend');
  }
}

async function readOnlyDisk(): Promise<{ disk: Disk; backend: ReadOnlyBackend }> {
  const backend = new ReadOnlyBackend();
  backend.data.fill(0x33, 0, 4096);
  const disk = new Disk({ identity, backend, log: silentLog });
  await run(disk, [0, 0, 0, 0, 0, 0]);
  return { disk, backend };
}

const block = Buffer.alloc(512, 0x44);

/** Every command that changes the medium, with its Data-Out. */
const WRITES: Array<[string, number[], Buffer | undefined]> = [
  ['WRITE(6)', [0x0a, 0, 0, 0, 1, 0], block],
  ['WRITE(10)', [0x2a, 0, ...be32(0), 0, ...be16(1), 0], block],
  ['WRITE(12)', [0xaa, 0, ...be32(0), ...be32(1), 0, 0], block],
  ['WRITE(16)', [0x8a, 0, ...be64(0n), ...be32(1), 0, 0], block],
  ['WRITE AND VERIFY(10)', [0x2e, 0, ...be32(0), 0, ...be16(1), 0], block],
  ['WRITE AND VERIFY(16)', [0x8e, 0, ...be64(0n), ...be32(1), 0, 0], block],
  ['WRITE SAME(10)', [0x41, 0, ...be32(0), 0, ...be16(4), 0], block],
  ['WRITE SAME(16)', [0x93, 0, ...be64(0n), ...be32(4), 0, 0], block],
  ['WRITE SAME(16) UNMAP', [0x93, 0x08, ...be64(0n), ...be32(4), 0, 0], Buffer.alloc(512)],
  ['UNMAP', [0x42, 0, 0, 0, 0, 0, 0, ...be16(24), 0], Buffer.from([0, 22, 0, 16, 0, 0, 0, 0, ...be64(0n), ...be32(8), 0, 0, 0, 0])],
  ['COMPARE AND WRITE', [0x89, 0, ...be64(0n), 0, 0, 0, 1, 0, 0], Buffer.concat([Buffer.alloc(512, 0x33), block])],
  ['ORWRITE(16)', [0x8b, 0, ...be64(0n), ...be32(1), 0, 0], block],
];

for (const [name, cdb, dataOut] of WRITES) {
  test(`a read-only backend: ${name} is DATA PROTECT, WRITE PROTECTED and changes nothing`, async (t) => {
    const { disk, backend } = await readOnlyDisk();
    const r = await run(disk, cdb, { dataOut });
    // Verify CHECK CONDITION 7/27/00.
    t.deepEqual([r.status, r.key, r.asc, r.ascq], [Status.CHECK_CONDITION, 7, 0x27, 0]);
    // Verify that the backend saw no write and the blocks are as they were.
    t.is(backend.writes, 0);
    t.true(backend.data.subarray(0, 4096).every((x) => x === 0x33));
  });
}

test('a read-only backend makes the disk report WP in the MODE SENSE(6) and (10) headers', async (t) => {
  const { disk } = await readOnlyDisk();
  const six = (await run(disk, [0x1a, 0, 0x3f, 0, 255, 0])).dataIn!;
  // Verify DEVICE-SPECIFIC PARAMETER bit 7 (WP) in byte 2 of the 6-byte header.
  t.is(six[2]! & 0x80, 0x80);
  const ten = (await run(disk, [0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 255, 0])).dataIn!;
  // Verify it in byte 3 of the 10-byte header.
  t.is(ten[3]! & 0x80, 0x80);
});

test('a writable backend reports no WP', async (t) => {
  const backend = new MemoryBackend();
  const disk = new Disk({ identity, backend, log: silentLog });
  await run(disk, [0, 0, 0, 0, 0, 0]);
  const six = (await run(disk, [0x1a, 0, 0x3f, 0, 255, 0])).dataIn!;
  // Verify WP clear.
  t.is(six[2]! & 0x80, 0);
});

test('a read-only backend still reads and accepts SYNCHRONIZE CACHE', async (t) => {
  const { disk } = await readOnlyDisk();
  const r = await run(disk, [0x28, 0, ...be32(0), 0, ...be16(8), 0]);
  // Verify the stored blocks come back.
  t.is(r.status, Status.GOOD);
  t.true(r.dataIn!.every((x) => x === 0x33));
  // Verify SYNCHRONIZE CACHE(10) is GOOD (nothing to make durable).
  t.is((await run(disk, [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0])).status, Status.GOOD);
});
