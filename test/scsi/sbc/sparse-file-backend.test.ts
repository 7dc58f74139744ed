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

test('the deallocated map follows a random mix of writes and UNMAPs block for block', async (t) => {
  await withFile(async (path) => {
    const blocks = 96;
    const b = await SparseFileBackend.open({ path, sizeBytes: blocks * 512 });
    const model = Array.from({ length: blocks }, () => false); // mapped?
    let x = 7;
    const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
    for (let step = 0; step < 400; step++) {
      const lba = rnd(blocks - 1);
      const n = 1 + rnd(Math.min(8, blocks - lba));
      const map = rnd(3) !== 0;
      if (map) await b.write(BigInt(lba), Buffer.alloc(n * 512, 1));
      else await b.unmap(BigInt(lba), BigInt(n));
      for (let i = lba; i < lba + n; i++) model[i] = map;
      // Walk the extents the backend reports and compare with the model.
      for (let at = 0; at < blocks; ) {
        const st = await b.extentStatus(BigInt(at));
        const len = Number(st.blocks);
        t.true(len > 0);
        for (let i = at; i < at + len; i++) if (model[i] !== st.mapped) return t.fail(`step ${step}: block ${i} mapped=${st.mapped}, model ${model[i]}`);
        // Extents are maximal: the next block differs.
        if (at + len < blocks && model[at + len] === st.mapped) return t.fail(`step ${step}: extent at ${at} not merged`);
        at += len;
      }
    }
    t.pass();
    await b.close();
  });
});
