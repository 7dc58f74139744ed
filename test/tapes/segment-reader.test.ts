import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { ByteRange, GetOptions } from '../../tapes/object-store.ts';
import { SegmentReader } from '../../tapes/segment-reader.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

/** A memory store that counts ranged GETs. */
class CountingStore extends MemoryObjectStore {
  gets: { offset: number; length: number }[] = [];
  override get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    if (range !== undefined) this.gets.push({ offset: range.offset, length: range.length });
    return super.get(key, range, options);
  }
}

const CHUNK = 64 << 10;

test('a sequential read of records that straddle chunks fetches each byte once and returns them exactly', async (t) => {
  const store = new CountingStore();
  const body = randomBytes(40 * CHUNK + 123);
  await store.put('s/seg', body);
  const seg = { key: 's/seg', size: body.length, indexOffset: body.length };
  const reader = new SegmentReader(store, { readAheadBytes: CHUNK, cacheBytes: 4 * CHUNK });
  const record = 50_021; // never aligned to a chunk
  for (let off = 0; off < body.length; off += record) {
    const len = Math.min(record, body.length - off);
    const got = await reader.read(seg, off, len);
    if (!got.equals(body.subarray(off, off + len))) return t.fail(`bytes differ at ${off}`);
  }
  const fetched = store.gets.reduce((n, g) => n + g.length, 0);
  t.log(`${store.gets.length} GETs for ${body.length} bytes`);
  t.true(fetched <= body.length + CHUNK, `fetched ${fetched} bytes for ${body.length}`);
  t.true(store.gets.length <= Math.ceil(body.length / CHUNK) + 1);
});

test('a record larger than the read-ahead is one GET; a read past the object end is clipped', async (t) => {
  const store = new CountingStore();
  const body = randomBytes(3 * CHUNK);
  await store.put('s/seg', body);
  const seg = { key: 's/seg', size: body.length, indexOffset: body.length };
  const reader = new SegmentReader(store, { readAheadBytes: CHUNK });
  t.true((await reader.read(seg, 10, 2 * CHUNK)).equals(body.subarray(10, 10 + 2 * CHUNK)));
  const short = { key: 's/seg', size: body.length + 100, indexOffset: body.length + 100 };
  const reader2 = new SegmentReader(store, { readAheadBytes: CHUNK });
  const tail = await reader2.read(short, body.length - 50, 100);
  t.true(tail.equals(body.subarray(body.length - 50)));
});
