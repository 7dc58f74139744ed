import test from 'ava';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import type { ObjectStore, PutOptions } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import {
  createNextVersion, listVersions, pruneVersions, readNewestVersion, versionKey, versionOfKey, writeNextVersion,
} from '../../tapes/versioned-json.ts';

const prefix = 'tapes/S3V001L6/doc/';
interface Doc { readonly version: number; readonly n: number }
const decode = (bytes: Buffer): Doc => JSON.parse(bytes.toString('utf8')) as Doc;

test('keys are fixed-width hex under the prefix; other keys name no version', (t) => {
  t.is(versionKey(prefix, 1), 'tapes/S3V001L6/doc/0000000000000001.json');
  t.is(versionKey(prefix, 0x1a2b), 'tapes/S3V001L6/doc/0000000000001a2b.json');
  t.is(versionOfKey(prefix, versionKey(prefix, 300)), 300);
  t.is(versionOfKey(prefix, `${prefix}1.json`), undefined);
  t.is(versionOfKey(prefix, `${prefix}0000000000000001.json.tmp`), undefined);
  t.is(versionOfKey(prefix, 'tapes/S3V002L6/doc/0000000000000001.json'), undefined);
});

test('versions increase, the newest N stay, older ones are deleted, the newest reads back', async (t) => {
  const store = new MemoryObjectStore();
  await store.put(`${prefix}notes.txt`, Buffer.from('not a version'));
  for (let n = 1; n <= 6; n++) {
    const doc = await writeNextVersion(store, prefix, (version): Doc => ({ version, n }), 3);
    t.deepEqual(doc, { version: n, n });
  }
  t.deepEqual(await listVersions(store, prefix), [4, 5, 6]);
  t.truthy(await store.head(`${prefix}notes.txt`));
  t.is(await store.head(versionKey(prefix, 3)), undefined);
  const newest = await readNewestVersion(store, prefix, decode);
  t.deepEqual(newest, { doc: { version: 6, n: 6 }, version: 6, key: versionKey(prefix, 6) });
  // Stored as JSON, create-only.
  t.is((await store.head(versionKey(prefix, 6)))?.size, Buffer.byteLength(JSON.stringify({ version: 6, n: 6 })));
});

test('an empty series reads as undefined and starts at version 1', async (t) => {
  const store = new MemoryObjectStore();
  t.is(await readNewestVersion(store, prefix, decode), undefined);
  t.deepEqual(await listVersions(store, prefix), []);
  const created = await createNextVersion(store, prefix, (version): Doc => ({ version, n: 0 }));
  t.is(created.version, 1);
  t.deepEqual(created.listed, []);
});

test('a version that does not read or decode falls back to the one before', async (t) => {
  const store = new MemoryObjectStore();
  await writeNextVersion(store, prefix, (version): Doc => ({ version, n: 1 }), 4);
  await store.put(versionKey(prefix, 2), Buffer.from('{torn'));
  await store.put(versionKey(prefix, 3), Buffer.from(JSON.stringify({ version: 3, n: -1 })));
  const skipped: string[] = [];
  const found = await readNewestVersion(store, prefix, (bytes, key, version) => {
    const d = decode(bytes);
    if (d.n < 0 || d.version !== version) throw new Error(`${key}: rejected`);
    return d;
  }, (key) => skipped.push(key));
  t.is(found?.version, 1);
  t.deepEqual(skipped, [versionKey(prefix, 3), versionKey(prefix, 2)]);
});

/** A memory store whose next `races` create-only puts find another writer's version there first. */
class RacingStore extends MemoryObjectStore {
  races = 0;
  readonly puts: { key: string; options: PutOptions | undefined }[] = [];

  override async put(key: string, body: Parameters<ObjectStore['put']>[1], options?: PutOptions) {
    this.puts.push({ key, options });
    if (this.races > 0 && options?.ifNoneMatch === '*') {
      this.races--;
      await super.put(key, Buffer.from(JSON.stringify({ version: versionOfKey(prefix, key), n: -1 })));
    }
    return super.put(key, body, options);
  }
}

test('a create-only conflict never overwrites: the writer takes the next number', async (t) => {
  const store = new RacingStore();
  await writeNextVersion(store, prefix, (version): Doc => ({ version, n: 1 }), 4);
  store.races = 2;
  const doc = await writeNextVersion(store, prefix, (version): Doc => ({ version, n: 2 }), 4);
  t.deepEqual(doc, { version: 4, n: 2 });
  t.like(decode(await store.get(versionKey(prefix, 2))), { n: -1 });
  t.like(decode(await store.get(versionKey(prefix, 3))), { n: -1 });
  t.true(store.puts.every((p) => p.options?.ifNoneMatch === '*' && p.options.contentType === 'application/json'));
});

test('after three retried conflicts the VTL_STORE_EXISTS error is thrown', async (t) => {
  const store = new RacingStore();
  store.races = 4;
  await t.throwsAsync(writeNextVersion(store, prefix, (version): Doc => ({ version, n: 1 }), 4), { instanceOf: StoreError, code: StoreErrorCode.EXISTS });
  t.deepEqual(await listVersions(store, prefix), [1, 2, 3, 4]);
});

test('other store errors are not retried', async (t) => {
  const store = new RacingStore();
  const put = store.put.bind(store);
  let calls = 0;
  store.put = async (key, body, options) => {
    calls++;
    if (calls === 1) throw new StoreError(StoreErrorCode.UNAVAILABLE, 'down', { key });
    return put(key, body, options);
  };
  await t.throwsAsync(writeNextVersion(store, prefix, (version): Doc => ({ version, n: 1 }), 4), { code: StoreErrorCode.UNAVAILABLE });
  t.is(calls, 1);
});

test('a known newest version skips the listing; a conflict resyncs through the caller', async (t) => {
  const store = new RacingStore();
  const list = store.list.bind(store);
  let listings = 0;
  store.list = (p, o) => {
    listings++;
    return list(p, o);
  };
  const first = await createNextVersion(store, prefix, (version): Doc => ({ version, n: 1 }), { newest: 0 });
  t.is(first.version, 1);
  t.is(first.listed, undefined);
  t.is(listings, 0);
  store.races = 1;
  let resyncs = 0;
  const second = await createNextVersion(store, prefix, (version): Doc => ({ version, n: 2 }), {
    newest: 1,
    resync: async () => {
      resyncs++;
      return (await listVersions(store, prefix)).at(-1) ?? 0;
    },
  });
  t.is(second.version, 3);
  t.is(resyncs, 1);
  // Pruning without a listing lists afresh.
  await pruneVersions(store, prefix, 3, 1);
  t.deepEqual(await listVersions(store, prefix), [3]);
});

test('a failed delete while pruning is ignored', async (t) => {
  const store = new MemoryObjectStore();
  for (let n = 1; n <= 2; n++) await writeNextVersion(store, prefix, (version): Doc => ({ version, n }), 1);
  store.delete = () => Promise.reject(new StoreError(StoreErrorCode.UNAVAILABLE, 'down'));
  const doc = await writeNextVersion(store, prefix, (version): Doc => ({ version, n: 3 }), 1);
  t.is(doc.version, 3);
  t.deepEqual(await listVersions(store, prefix), [2, 3]);
});
