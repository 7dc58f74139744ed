// The contract every ObjectStore implementation passes. A backend's test file
// calls objectStoreContract('dir', factory); the S3 backend will do the same.

import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import { listAll, MIN_PART_BYTES, type ObjectStore } from '../../tapes/object-store.ts';

export interface StoreFixture {
  readonly store: ObjectStore;
  readonly cleanup?: () => Promise<void>;
}

const isStoreError = (code: string) => (e: unknown): boolean => e instanceof StoreError && e.code === code;

/** What a backend offers beyond the core interface; declared by its test file, checked here. */
export interface StoreCapabilities {
  /** The store has ObjectStore.beginUpload (uploads in parts). */
  readonly parts: boolean;
}

export function objectStoreContract(name: string, factory: () => Promise<StoreFixture>, caps: StoreCapabilities): void {
  const withStore = (title: string, body: (store: ObjectStore, t: import('ava').ExecutionContext) => Promise<void>): void => {
    test(`${name}: ${title}`, async (t) => {
      const f = await factory();
      try {
        await body(f.store, t);
      } finally {
        await f.cleanup?.();
      }
    });
  };

  withStore('put then get returns the same bytes', async (store, t) => {
    await store.put('a/b/one.bin', Buffer.from('hello world'));
    // The whole object reads back unchanged.
    t.deepEqual(await store.get('a/b/one.bin'), Buffer.from('hello world'));
  });

  withStore('put returns the object size', async (store, t) => {
    const info = await store.put('k/size.bin', Buffer.alloc(1234, 7));
    // The returned info names the key and its size.
    t.is(info.key, 'k/size.bin');
    t.is(info.size, 1234);
  });

  withStore('put from a file path stores the file content', async (store, t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contract-'));
    const file = path.join(dir, 'body');
    await writeFile(file, Buffer.from('0123456789'));
    await store.put('k/from-file', { path: file });
    await store.put('k/from-part', { path: file, offset: 2, length: 5 });
    // A path body uploads the file; offset/length upload a part of it.
    t.deepEqual(await store.get('k/from-file'), Buffer.from('0123456789'));
    t.deepEqual(await store.get('k/from-part'), Buffer.from('23456'));
    await rm(dir, { recursive: true, force: true });
  });

  withStore('put of an immutable file stores its content', async (store, t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contract-'));
    const file = path.join(dir, 'sealed');
    await writeFile(file, Buffer.from('sealed segment'));
    await store.put('k/immutable', { path: file, immutable: true });
    await rm(dir, { recursive: true, force: true });
    // The object keeps its content after the source file is gone.
    t.deepEqual(await store.get('k/immutable'), Buffer.from('sealed segment'));
  });

  withStore(`declares uploads in parts ${caps.parts ? 'offered' : 'not offered'}, as the store is`, async (store, t) => {
    // The declaration decides below whether the part tests run or are skipped: it must be true.
    t.is(typeof store.beginUpload === 'function', caps.parts);
  });

  // Uploads in parts (ObjectStore.beginUpload): only stores that offer them; the others show
  // them as skipped, not passed.
  const withParts = (title: string, body: (store: ObjectStore & Required<Pick<ObjectStore, 'beginUpload'>>, file: string, t: import('ava').ExecutionContext) => Promise<void>): void => {
    if (!caps.parts) {
      test.skip(`${name}: ${title} (skipped: this store uploads whole objects only)`, () => {});
      return;
    }
    withStore(title, async (store, t) => {
      if (store.beginUpload === undefined) throw new Error('the store was declared to offer uploads in parts but has no beginUpload');
      const dir = await mkdtemp(path.join(tmpdir(), 'contract-'));
      try {
        // Bytes 0..(MIN_PART_BYTES*2 + 1000) with a pattern that shows misplaced parts.
        const bytes = Buffer.alloc(MIN_PART_BYTES * 2 + 1000);
        for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32BE(i, i);
        const file = path.join(dir, 'growing');
        await writeFile(file, bytes);
        await body(store as ObjectStore & Required<Pick<ObjectStore, 'beginUpload'>>, file, t);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  };
  const P = MIN_PART_BYTES;

  withParts('an upload in parts is invisible until complete, then is the parts joined', async (store, file, t) => {
    const up = await store.beginUpload('p/whole.seg');
    await up.part(2, { path: file, offset: P, length: P });
    await up.part(1, { path: file, offset: 0, length: P });
    await up.part(3, { path: file, offset: 2 * P, length: 1000 });
    // Parts sent in any order are not an object yet.
    t.is(await store.head('p/whole.seg'), undefined);
    const info = await up.complete(3, 2 * P + 1000);
    // Completed: the object is the three ranges in part-number order.
    t.is(info.size, 2 * P + 1000);
    const got = await store.get('p/whole.seg');
    t.is(got.length, 2 * P + 1000);
    t.is(got.readUInt32BE(P), P);
    t.is(got.readUInt32BE(2 * P + 996), 2 * P + 996);
  });

  withParts('a part sent again replaces the earlier one', async (store, file, t) => {
    const up = await store.beginUpload('p/again.seg');
    await up.part(1, { path: file, offset: P, length: P });
    await up.part(1, { path: file, offset: 0, length: P });
    await up.part(2, { path: file, offset: P, length: 8 });
    await up.complete(2, P + 8);
    const got = await store.get('p/again.seg');
    // Part 1 is the second range sent as part 1.
    t.is(got.readUInt32BE(0), 0);
    t.is(got.readUInt32BE(P + 4), P + 4);
  });

  withParts('complete is create-only: an existing key is VTL_STORE_EXISTS and keeps its bytes', async (store, file, t) => {
    await store.put('p/taken.seg', Buffer.from('first'));
    const up = await store.beginUpload('p/taken.seg');
    await up.part(1, { path: file, offset: 0, length: 100 });
    const e = await t.throwsAsync(up.complete(1, 100));
    // The upload does not replace the object.
    t.true(isStoreError(StoreErrorCode.EXISTS)(e));
    t.deepEqual(await store.get('p/taken.seg'), Buffer.from('first'));
    await up.abort();
  });

  withParts('an aborted upload leaves nothing behind', async (store, file, t) => {
    const up = await store.beginUpload('p/aborted.seg');
    await up.part(1, { path: file, offset: 0, length: P });
    await up.abort();
    // No object, and the listing does not show one.
    t.is(await store.head('p/aborted.seg'), undefined);
    t.deepEqual((await store.list('p/')).objects, []);
  });

  withStore('get may read into a caller buffer; the result holds the bytes', async (store, t) => {
    await store.put('k/into', Buffer.from('abcdefgh'));
    const into = Buffer.alloc(16, 0x2e);
    const got = await store.get('k/into', { offset: 2, length: 4 }, { into });
    // Whatever the store did with `into`, the returned buffer is the range.
    t.deepEqual(got, Buffer.from('cdef'));
  });

  withStore('put replaces an existing object', async (store, t) => {
    await store.put('k/x', Buffer.from('old'));
    await store.put('k/x', Buffer.from('newer'));
    // The second put wins.
    t.deepEqual(await store.get('k/x'), Buffer.from('newer'));
  });

  withStore('create-only put fails when the key exists and keeps the object', async (store, t) => {
    await store.put('k/once', Buffer.from('first'), { ifNoneMatch: '*' });
    // A second create-only put is refused with VTL_STORE_EXISTS.
    await t.throwsAsync(store.put('k/once', Buffer.from('second'), { ifNoneMatch: '*' }), { instanceOf: StoreError, code: StoreErrorCode.EXISTS });
    // The first object is untouched.
    t.deepEqual(await store.get('k/once'), Buffer.from('first'));
  });

  withStore('ranged get returns the bytes asked for, clipped at the end', async (store, t) => {
    await store.put('r/obj', Buffer.from('abcdefghij'));
    // A range inside the object returns exactly that range.
    t.deepEqual(await store.get('r/obj', { offset: 3, length: 4 }), Buffer.from('defg'));
    // A range running past the end is clipped.
    t.deepEqual(await store.get('r/obj', { offset: 8, length: 10 }), Buffer.from('ij'));
    // A range starting at the end is empty.
    t.is((await store.get('r/obj', { offset: 10, length: 5 })).length, 0);
  });

  withStore('get of a missing key throws VTL_STORE_NOT_FOUND', async (store, t) => {
    const e = await t.throwsAsync(store.get('missing/key'));
    // The error is a StoreError with the not-found code.
    t.true(isStoreError(StoreErrorCode.NOT_FOUND)(e));
  });

  withStore('head reports size, and undefined for a missing key', async (store, t) => {
    await store.put('h/obj', Buffer.alloc(42));
    // head of an existing key gives its size.
    t.is((await store.head('h/obj'))?.size, 42);
    // head of a missing key is undefined, not an error.
    t.is(await store.head('h/none'), undefined);
  });

  withStore('list returns keys under a prefix in key order', async (store, t) => {
    for (const k of ['p/b/2', 'p/a/1', 'p/a/0', 'q/z', 'p/c']) await store.put(k, Buffer.from(k));
    const page = await store.list('p/');
    // Only keys with the prefix, sorted by key.
    t.deepEqual(page.objects.map((o) => o.key), ['p/a/0', 'p/a/1', 'p/b/2', 'p/c']);
    // A complete listing has no continuation.
    t.is(page.next, undefined);
  });

  withStore('list matches a prefix that ends inside a key segment', async (store, t) => {
    for (const k of ['m/0000000000000001.json', 'm/0000000000000002.json', 'm/1000000000000000.json']) await store.put(k, Buffer.alloc(1));
    // The prefix need not end at a '/'.
    t.deepEqual((await store.list('m/000')).objects.map((o) => o.key), ['m/0000000000000001.json', 'm/0000000000000002.json']);
  });

  withStore('list paginates with limit and startAfter', async (store, t) => {
    const keys = Array.from({ length: 7 }, (_, i) => `pg/${i.toString(16).padStart(4, '0')}`);
    for (const k of [...keys].reverse()) await store.put(k, Buffer.alloc(1));
    const first = await store.list('pg/', { limit: 3 });
    // The first page holds the first three keys and a continuation.
    t.deepEqual(first.objects.map((o) => o.key), keys.slice(0, 3));
    t.is(first.next, keys[2]);
    const rest = await store.list('pg/', { limit: 10, startAfter: first.next! });
    // startAfter resumes strictly after the given key.
    t.deepEqual(rest.objects.map((o) => o.key), keys.slice(3));
    const all: string[] = [];
    for await (const o of listAll(store, 'pg/')) all.push(o.key);
    // listAll walks every page.
    t.deepEqual(all, keys);
  });

  withStore('paging one key at a time follows byte order across nested names', async (store, t) => {
    const keys = ['n/a-c', 'n/a.b', 'n/a/b', 'n/a/b0/x', 'n/a0', 'n/b'];
    for (const k of [...keys].reverse()) await store.put(k, Buffer.alloc(1));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list('n/', { limit: 1, ...(after === undefined ? {} : { startAfter: after }) });
      seen.push(...page.objects.map((o) => o.key));
      if (page.next === undefined) break;
      after = page.next;
    }
    // '-' < '.' < '/' < '0': the listing is in byte order of the whole key.
    t.deepEqual(seen, keys);
  });

  withStore('startAfter need not be an existing or valid key', async (store, t) => {
    for (const k of ['t/A/1', 't/A/2', 't/B/1']) await store.put(k, Buffer.alloc(1));
    // '~' sorts after every key character, so this skips all of t/A/.
    t.deepEqual((await store.list('t/', { startAfter: 't/A/~' })).objects.map((o) => o.key), ['t/B/1']);
  });

  withStore('delete removes keys and ignores missing ones', async (store, t) => {
    await store.put('d/1', Buffer.alloc(1));
    await store.put('d/2', Buffer.alloc(1));
    await store.delete(['d/1', 'd/does-not-exist']);
    // The deleted key is gone, the other stays.
    t.is(await store.head('d/1'), undefined);
    t.truthy(await store.head('d/2'));
  });

  withStore('keys with dot segments or bad characters are rejected', async (store, t) => {
    for (const bad of ['../escape', 'a/../b', 'a/./b', '/abs', 'a//b', '.hidden', 'a/b\\c', 'sp ace', '']) {
      const e = await t.throwsAsync(store.put(bad, Buffer.alloc(1)));
      // Each unsafe key is refused with VTL_STORE_INVALID_KEY.
      t.true(isStoreError(StoreErrorCode.INVALID_KEY)(e), bad);
    }
  });
}
