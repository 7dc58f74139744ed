// S3 Object Lock in the S3 store against a scripted S3Client (a middleware
// answers every command, so no server is involved), the stores that cannot
// lock, and the lock plumbing of cartridges and the wiring.

import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import { lockFor, type ObjectLock } from '../../tapes/object-store.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { S3StoreError } from '../../tapes/stores/s3-errors.ts';
import { lockShortfall } from '../../tapes/stores/s3-lock.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { cartridgeLock, openStore } from '../../src/wiring/store.ts';
import { ConfigError } from '../../src/errors.ts';
import { makeFixture, writeBlocks } from './cartridge-fixture.ts';

const MiB = 1 << 20;
const LOCK: ObjectLock = { mode: 'GOVERNANCE', retainUntil: new Date('2030-01-02T03:04:05.000Z') };

interface Call {
  readonly name: string;
  readonly input: Record<string, unknown>;
}
type Answer = (input: Record<string, unknown>) => unknown;

/** An S3 store whose client answers from `script` (by command name) and records every call. */
function scripted(script: Record<string, Answer>, extra: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}): { store: S3ObjectStore; calls: Call[] } {
  const store = new S3ObjectStore({
    bucket: 'locked-bucket', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' }, conditionalWrites: 'native', retry: { maxAttempts: 1 },
    multipartThreshold: 5 * MiB, partSize: 5 * MiB, ...extra,
  });
  const calls: Call[] = [];
  store.client.middlewareStack.add(
    (_next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      calls.push({ name, input });
      const answer = script[name];
      if (answer === undefined) throw new Error(`unscripted ${name}`);
      return { output: { $metadata: { httpStatusCode: 200 }, ...(answer(input) as object) }, response: {} };
    },
    { step: 'initialize', name: 'scriptedS3', priority: 'high' },
  );
  return { store, calls };
}

function s3Error(name: string, status: number, message = ''): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/** HEAD answers: the lock a version carries after `retentionApplied` (or from the start). */
function versionedBucket(opts: { headersHonoured: boolean; retentionTakes?: boolean; completeVersion?: boolean }): Record<string, Answer> {
  let locked: ObjectLock | undefined;
  return {
    PutObject: (i) => {
      if (opts.headersHonoured && i.ObjectLockMode !== undefined) locked = { mode: i.ObjectLockMode as ObjectLock['mode'], retainUntil: i.ObjectLockRetainUntilDate as Date };
      return { ETag: '"e1"', VersionId: 'v-put' };
    },
    CreateMultipartUpload: () => ({ UploadId: 'u1' }),
    UploadPart: () => ({ ETag: '"p"' }),
    CompleteMultipartUpload: () => ({ ETag: '', ...(opts.completeVersion !== false && { VersionId: 'v-mpu' }) }),
    PutObjectRetention: (i) => {
      const r = i.Retention as { Mode: ObjectLock['mode']; RetainUntilDate: Date };
      if (opts.retentionTakes !== false) locked = { mode: r.Mode, retainUntil: r.RetainUntilDate };
      return {};
    },
    HeadObject: (i) => ({
      VersionId: (i.VersionId as string | undefined) ?? 'v-head', ETag: '"from-head-2"', ContentLength: 1,
      ...(locked !== undefined && { ObjectLockMode: locked.mode, ObjectLockRetainUntilDate: locked.retainUntil }),
    }),
  };
}

let scratch: string;
test.before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 's3-lock-'));
});
test.after.always(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fileOf(name: string, size: number): Promise<string> {
  const f = path.join(scratch, name);
  await writeFile(f, Buffer.alloc(size, 7));
  return f;
}

test('a locked single PUT carries the lock headers and Content-MD5, then reads the version back', async (t) => {
  const { store, calls } = scripted(versionedBucket({ headersHonoured: true }));
  const body = Buffer.from('manifest');
  await store.put('tapes/A/manifest/1.json', body, { ifNoneMatch: '*', lock: LOCK });
  const put = calls.find((c) => c.name === 'PutObject')!;
  // The lock and the MD5 AWS requires with it go on the PutObject itself.
  t.is(put.input.ObjectLockMode, 'GOVERNANCE');
  t.deepEqual(put.input.ObjectLockRetainUntilDate, LOCK.retainUntil);
  t.is(put.input.ContentMD5, createHash('md5').update(body).digest('base64'));
  // The version the PUT created is what is checked; no retention call is needed.
  t.deepEqual(calls.map((c) => c.name), ['PutObject', 'HeadObject']);
  t.is(calls[1]!.input.VersionId, 'v-put');
  store.close();
});

test('a streamed single PUT (1 to 16 MiB) is locked the same way', async (t) => {
  const { store, calls } = scripted(versionedBucket({ headersHonoured: true }));
  await store.put('tapes/A/seg/x.seg', { path: await fileOf('mid', 2 * MiB) }, { lock: LOCK });
  const put = calls.find((c) => c.name === 'PutObject')!;
  t.is(put.input.ObjectLockMode, 'GOVERNANCE');
  t.is(put.input.ContentMD5, createHash('md5').update(Buffer.alloc(2 * MiB, 7)).digest('base64'));
  t.false(calls.some((c) => c.name === 'PutObjectRetention'));
  store.close();
});

test('a multipart upload is locked afterwards with PutObjectRetention on its VersionId', async (t) => {
  const { store, calls } = scripted(versionedBucket({ headersHonoured: false }));
  const info = await store.put('tapes/A/seg/big.seg', { path: await fileOf('big', 6 * MiB) }, { ifNoneMatch: '*', lock: { ...LOCK, mode: 'COMPLIANCE' } });
  const retention = calls.find((c) => c.name === 'PutObjectRetention')!;
  // The retention names the version CompleteMultipartUpload created.
  t.is(retention.input.VersionId, 'v-mpu');
  t.deepEqual(retention.input.Retention, { Mode: 'COMPLIANCE', RetainUntilDate: LOCK.retainUntil });
  // Then the version is read back once more to prove it took.
  const heads = calls.filter((c) => c.name === 'HeadObject');
  t.is(heads.length, 2);
  t.true(heads.every((h) => h.input.VersionId === 'v-mpu'));
  // RGW's empty multipart ETag is filled from the HEAD.
  t.is(info.etag, '"from-head-2"');
  store.close();
});

test('without a VersionId from CompleteMultipartUpload the version comes from a HEAD', async (t) => {
  const { store, calls } = scripted(versionedBucket({ headersHonoured: false, completeVersion: false }));
  await store.put('tapes/A/seg/big2.seg', { path: await fileOf('big2', 6 * MiB) }, { lock: LOCK });
  t.is(calls.filter((c) => c.name === 'HeadObject')[0]!.input.VersionId, undefined);
  t.is(calls.find((c) => c.name === 'PutObjectRetention')!.input.VersionId, 'v-head');
  store.close();
});

test('a lock that does not take fails the put with a StoreError naming the key', async (t) => {
  const { store } = scripted(versionedBucket({ headersHonoured: false, retentionTakes: false }));
  const e = await t.throwsAsync(store.put('tapes/A/seg/big3.seg', { path: await fileOf('big3', 6 * MiB) }, { lock: LOCK }), { instanceOf: S3StoreError });
  t.is(e!.code, StoreErrorCode.UNAVAILABLE);
  t.is(e!.s3Code, 'ObjectLockNotApplied');
  t.regex(e!.message, /tapes\/A\/seg\/big3\.seg.*Object Lock did not take: mode is none/);
  store.close();
});

test('a put that returns no VersionId cannot have been locked', async (t) => {
  const { store } = scripted({ ...versionedBucket({ headersHonoured: true }), PutObject: () => ({ ETag: '"e"' }), HeadObject: () => ({ ETag: '"e"' }) });
  const e = await t.throwsAsync(store.put('k/a', Buffer.from('x'), { lock: LOCK }), { instanceOf: S3StoreError });
  t.regex(e!.message, /no versioning and no Object Lock/);
  store.close();
});

test('a bucket without Object Lock fails a locked put with a clear message', async (t) => {
  const { store } = scripted({
    PutObject: () => {
      throw s3Error('InvalidRequest', 400);
    },
    GetObjectLockConfiguration: () => {
      throw s3Error('ObjectLockConfigurationNotFoundError', 404);
    },
  });
  const e = await t.throwsAsync(store.put('k/a', Buffer.from('x'), { lock: LOCK }), { instanceOf: StoreError });
  t.regex(e!.message, /bucket locked-bucket has no Object Lock/);
  store.close();
});

test('a locked create-only put that meets an unlocked object locks it before reporting EXISTS', async (t) => {
  const script = versionedBucket({ headersHonoured: true });
  const { store, calls } = scripted({
    ...script,
    PutObject: () => {
      throw s3Error('PreconditionFailed', 412);
    },
  });
  const e = await t.throwsAsync(store.put('k/seg', Buffer.from('x'), { ifNoneMatch: '*', lock: LOCK }), { instanceOf: StoreError });
  // The uploader still sees EXISTS (and compares sizes), but the object is locked now.
  t.is(e!.code, StoreErrorCode.EXISTS);
  t.is(calls.find((c) => c.name === 'PutObjectRetention')!.input.VersionId, 'v-head');
  store.close();
});

test('an object that already carries a lock is left alone', async (t) => {
  const { store, calls } = scripted({
    PutObject: () => {
      throw s3Error('PreconditionFailed', 412);
    },
    HeadObject: () => ({ VersionId: 'v0', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date('2029-01-01T00:00:00Z') }),
  });
  await t.throwsAsync(store.put('k/seg', Buffer.from('x'), { ifNoneMatch: '*', lock: LOCK }), { instanceOf: StoreError });
  // No retention call: a lock is never shortened or changed in mode.
  t.false(calls.some((c) => c.name === 'PutObjectRetention'));
  store.close();
});

test('check({ objectLock }) refuses a bucket without Object Lock', async (t) => {
  const { store } = scripted({
    HeadBucket: () => ({}),
    GetObjectLockConfiguration: () => {
      throw s3Error('ObjectLockConfigurationNotFoundError', 404);
    },
  });
  await t.notThrowsAsync(store.check());
  const e = await t.throwsAsync(store.check({ objectLock: true }), { instanceOf: S3StoreError });
  t.is(e!.s3Code, 'ObjectLockConfigurationNotFoundError');
  t.regex(e!.message, /locked-bucket has no Object Lock/);
  store.close();
});

test('check({ objectLock }) accepts an enabled bucket and reports its default retention', async (t) => {
  const { store } = scripted({
    HeadBucket: () => ({}),
    GetObjectLockConfiguration: () => ({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 3 } } } }),
  });
  await t.notThrowsAsync(store.check({ objectLock: true }));
  t.deepEqual(await store.objectLock(), { enabled: true, defaultRetention: { mode: 'GOVERNANCE', days: 3 } });
  store.close();
});

test('lockShortfall: same mode, at least as long (second precision), the hold when asked', (t) => {
  const base = { versionId: 'v', legalHold: false, etag: undefined, size: 0 };
  t.is(lockShortfall({ ...base, mode: 'GOVERNANCE', retainUntil: new Date(LOCK.retainUntil.getTime() - 500) }, LOCK), undefined);
  t.regex(lockShortfall({ ...base, mode: 'GOVERNANCE', retainUntil: new Date(LOCK.retainUntil.getTime() - 5000) }, LOCK)!, /retained until/);
  t.regex(lockShortfall({ ...base, mode: 'COMPLIANCE', retainUntil: LOCK.retainUntil }, LOCK)!, /mode is COMPLIANCE/);
  t.regex(lockShortfall({ ...base, mode: 'GOVERNANCE', retainUntil: LOCK.retainUntil }, { ...LOCK, legalHold: true })!, /legal hold/);
});

test('the directory and memory stores refuse a lock instead of storing an unlocked object', async (t) => {
  const dir = new DirObjectStore({ root: path.join(scratch, 'dir'), fsync: false });
  await t.throwsAsync(dir.put('a/b', Buffer.from('x'), { lock: LOCK }), { message: /directory store cannot lock/ });
  t.is(await dir.head('a/b'), undefined);
  const mem = new MemoryObjectStore();
  await t.throwsAsync(mem.put('a/b', Buffer.from('x'), { lock: LOCK }), { message: /memory store cannot lock/ });
  t.deepEqual(mem.keys(), []);
});

test('lockFor counts the retention from the upload', (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  t.deepEqual(lockFor({ mode: 'COMPLIANCE', days: 2 }, now), { mode: 'COMPLIANCE', retainUntil: new Date('2026-01-03T00:00:00Z') });
});

test('cartridgeLock: the pool decides, WORM media is always COMPLIANCE', (t) => {
  const pools = {
    gov: { archiveClass: 'GLACIER', compression: 'none', objectLock: { mode: 'GOVERNANCE', days: 30 } },
    open: { archiveClass: 'GLACIER', compression: 'none' },
  } as const;
  t.deepEqual(cartridgeLock(pools, { pool: 'gov', worm: false }), { mode: 'GOVERNANCE', days: 30 });
  t.deepEqual(cartridgeLock(pools, { pool: 'gov', worm: true }), { mode: 'COMPLIANCE', days: 30 });
  // WORM outside a locked pool: the SCSI layer refuses overwrites; objects are not locked.
  t.is(cartridgeLock(pools, { pool: 'open', worm: true }), undefined);
  t.is(cartridgeLock(pools, { pool: null, worm: false }), undefined);
  // A pool the config does not define is an error, never an unlocked cartridge.
  t.throws(() => cartridgeLock(pools, { pool: 'govv', worm: false }), { code: 'VTL_POOL_UNKNOWN' });
});

test('a file:// store with a locked pool stops the start naming the pool key', async (t) => {
  const e = await t.throwsAsync(openStore(`file://${path.join(scratch, 'fs')}`, {
    pools: { vault: { archiveClass: 'GLACIER', compression: 'none', objectLock: { mode: 'COMPLIANCE', days: 7 } } },
  }), { instanceOf: ConfigError });
  t.is(e!.key, 'pools.vault.objectLock');
  t.regex(e!.message, /cannot lock objects/);
  await t.notThrowsAsync(async () => (await openStore(`file://${path.join(scratch, 'fs')}`, { pools: {} })).close());
});

test('a locked cartridge locks every segment and every manifest it uploads', async (t) => {
  const fx = await makeFixture();
  const store = new MemoryObjectStore({ objectLock: true });
  const before = Date.now();
  const c = await fx.open({ store, lock: { mode: 'GOVERNANCE', days: 10 } });
  await writeBlocks(c, 0, 200, 1024); // several 64 KiB segments
  await c.writeFilemarks(1);
  await c.close();
  const keys = store.keys();
  const segments = keys.filter((k) => k.includes('/seg/'));
  const manifests = keys.filter((k) => k.includes('/manifest/'));
  t.true(segments.length >= 2);
  t.true(manifests.length >= 2);
  for (const k of [...segments, ...manifests]) {
    const locks = store.locks.get(k);
    // Every object was put with the pool's mode, retained 10 days from its upload.
    t.is(locks?.[0]?.mode, 'GOVERNANCE', k);
    const until = locks![0]!.retainUntil.getTime();
    t.true(until >= before + 10 * 86_400_000 && until <= Date.now() + 10 * 86_400_000, k);
  }
  // Old manifest versions deleted beyond keepManifests were locked too (the store kept their lock record).
  t.true(store.locks.size >= keys.length);
  await fx.cleanup();
});

test('an unlocked cartridge asks for no lock (and works on a store that cannot lock)', async (t) => {
  const fx = await makeFixture();
  const c = await fx.open();
  await writeBlocks(c, 0, 100, 1024);
  await c.close();
  t.true(fx.store.keys().length > 1);
  await fx.cleanup();
});

test('a legal hold goes with the PUT, and after a multipart upload through PutObjectLegalHold', async (t) => {
  let hold = false;
  let locked: { mode: string; until: Date } | undefined;
  const { store, calls } = scripted({
    PutObject: (i) => {
      hold = i.ObjectLockLegalHoldStatus === 'ON';
      locked = { mode: i.ObjectLockMode as string, until: i.ObjectLockRetainUntilDate as Date };
      return { VersionId: 'v1' };
    },
    CreateMultipartUpload: () => ({ UploadId: 'u' }),
    UploadPart: () => ({ ETag: '"p"' }),
    CompleteMultipartUpload: () => ({ VersionId: 'v2' }),
    PutObjectRetention: (i) => {
      const r = i.Retention as { Mode: string; RetainUntilDate: Date };
      locked = { mode: r.Mode, until: r.RetainUntilDate };
      return {};
    },
    PutObjectLegalHold: () => {
      hold = true;
      return {};
    },
    HeadObject: (i) => ({ VersionId: i.VersionId, ObjectLockMode: locked?.mode, ObjectLockRetainUntilDate: locked?.until, ObjectLockLegalHoldStatus: hold ? 'ON' : 'OFF' }),
  });
  await store.put('k/small', Buffer.from('x'), { lock: { ...LOCK, legalHold: true } });
  t.is(calls.find((c) => c.name === 'PutObject')!.input.ObjectLockLegalHoldStatus, 'ON');
  hold = false;
  locked = undefined;
  await store.put('k/big', { path: await fileOf('big-hold', 6 * MiB) }, { lock: { ...LOCK, legalHold: true } });
  t.is(calls.find((c) => c.name === 'PutObjectLegalHold')!.input.VersionId, 'v2');
  store.close();
});
