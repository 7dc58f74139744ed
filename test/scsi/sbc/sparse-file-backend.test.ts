import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparseFileBackend } from '../../../src/cdp/sparse-file-backend.ts';

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3vtl-sparse-'));
  try {
    await fn(join(dir, 'disk.img'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a new file is deallocated until written', async (t) => {
  await withFile(async (path) => {
    const b = await SparseFileBackend.open({ path, sizeBytes: 1 << 20 });
    // Verify the whole volume reports deallocated.
    t.deepEqual(await b.extentStatus(0n), { mapped: false, blocks: 2048n });
    await b.write(10n, Buffer.alloc(1024, 1));
    // Verify blocks 10-11 are now mapped.
    t.deepEqual(await b.extentStatus(10n), { mapped: true, blocks: 2n });
    await b.close();
  });
});

test('UNMAP zeroes blocks in the middle and at the tail', async (t) => {
  await withFile(async (path) => {
    const b = await SparseFileBackend.open({ path, sizeBytes: 1 << 20 });
    await b.write(0n, Buffer.alloc(1 << 20, 0xff));
    await b.unmap(100n, 3n);
    await b.unmap(2040n, 8n);
    // Verify zeros where unmapped and data around them.
    t.true((await b.read(100n, 3)).every((x) => x === 0) && (await b.read(99n, 1)).every((x) => x === 0xff));
    t.true((await b.read(2040n, 8)).every((x) => x === 0));
    // Verify the extent map agrees.
    t.deepEqual(await b.extentStatus(100n), { mapped: false, blocks: 3n });
    await b.close();
  });
});

test('the extent map survives a reopen', async (t) => {
  await withFile(async (path) => {
    const a = await SparseFileBackend.open({ path, sizeBytes: 1 << 20 });
    await a.write(0n, Buffer.alloc(512, 1));
    await a.close();
    const b = await SparseFileBackend.open({ path, sizeBytes: 1 << 20 });
    // Verify block 0 mapped and block 1 onward deallocated.
    t.deepEqual([await b.extentStatus(0n), await b.extentStatus(1n)], [{ mapped: true, blocks: 1n }, { mapped: false, blocks: 2047n }]);
    await b.close();
  });
});
