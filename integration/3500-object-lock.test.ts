// S3 Object Lock against a real Ceph RGW: locked puts (single and multipart,
// the latter locked after the upload because RGW 16 ignores lock headers on
// CreateMultipartUpload), a locked version refusing deletion, cartridges of a
// locked pool written through CartridgePool with every segment and manifest
// version locked, and the start refused on a bucket without Object Lock.
// S3VTL_IT_S3_ENDPOINT=http://127.0.0.1:PORT reuses a running RGW (keys from
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) instead of starting one.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CartridgePool, type CartridgeSpec } from '../tapes/cartridge-pool.ts';
import { readLatestManifest } from '../tapes/manifest-read.ts';
import { listAll, type ObjectLock } from '../tapes/object-store.ts';
import { type S3StoreOptions } from '../tapes/stores/s3-config.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';
import { ConfigError } from '../src/errors.ts';
import type { Config } from '../src/config.ts';
import { cartridgeLock, openStore } from '../src/wiring/store.ts';

const { startRgw } = await import('./lib/rgw.ts');
type Rgw = Awaited<ReturnType<typeof startRgw>>;

const LOCKED = 's3vtl-it-3500-lock';
const PLAIN = 's3vtl-it-3500-plain';
const MiB = 1 << 20;
let rgw: Rgw | undefined;
let base: Omit<S3StoreOptions, 'bucket'>;
let scratch: string;
let n = 0;

// Multipart from 16 MiB in 8 MiB parts, so a 20 MiB object is a multipart upload whatever the defaults.
const store = (bucket = LOCKED): S3ObjectStore =>
  new S3ObjectStore({ ...base, bucket, prefix: `it/${process.pid}-${++n}`, multipartThreshold: 16 * MiB, partSize: 8 * MiB });

test.before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'object-lock-it-'));
  const reuse = process.env.S3VTL_IT_S3_ENDPOINT;
  let env: Record<string, string | undefined> = process.env;
  if (reuse === undefined) {
    rgw = await startRgw('3500-object-lock', { env: { RGW_OBJECTSTORE: 'memstore' } });
    env = rgw.env;
  }
  const endpoint = reuse ?? env.S3_ENDPOINT!;
  base = {
    endpoint,
    region: env.S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  };
  // openStore() builds its client from the environment, as `serve` does.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: base.region, S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: base.credentials!.accessKeyId, AWS_SECRET_ACCESS_KEY: base.credentials!.secretAccessKey,
  });
  const s = store();
  const ignoreOwned = (e: { name?: string }): void => {
    if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
  };
  await s.client.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true })).catch(ignoreOwned);
  await s.client.send(new CreateBucketCommand({ Bucket: PLAIN })).catch(ignoreOwned);
  s.close();
});

test.after.always(async () => {
  await rm(scratch, { recursive: true, force: true });
  await rgw?.stop(true);
});

async function fileOf(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(scratch, name);
  await writeFile(file, bytes);
  return file;
}

async function retention(client: S3Client, bucket: string, key: string, versionId?: string): Promise<{ mode?: string; until?: Date }> {
  const r = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined && { VersionId: versionId }) }));
  return { ...(r.Retention?.Mode && { mode: r.Retention.Mode }), ...(r.Retention?.RetainUntilDate && { until: r.Retention.RetainUntilDate }) };
}

/** Every object version (not delete markers) under a prefix, and the delete markers' keys. */
async function versions(s: S3ObjectStore, prefix: string): Promise<{ versions: { key: string; versionId: string }[]; markers: string[] }> {
  const out: { key: string; versionId: string }[] = [];
  const markers: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const r = await s.client.send(new ListObjectVersionsCommand({ Bucket: s.bucket, Prefix: s.prefix + prefix, KeyMarker, VersionIdMarker }));
    for (const v of r.Versions ?? []) out.push({ key: v.Key!, versionId: v.VersionId! });
    for (const m of r.DeleteMarkers ?? []) markers.push(m.Key!);
    if (r.IsTruncated !== true) return { versions: out, markers };
    KeyMarker = r.NextKeyMarker;
    VersionIdMarker = r.NextVersionIdMarker;
  }
}

const near = (a: Date | undefined, b: Date): boolean => a !== undefined && Math.abs(a.getTime() - b.getTime()) < 2000;

test('a small PUT and a multipart upload (> 16 MiB) both carry the lock', async (t) => {
  const s = store();
  const lock: ObjectLock = { mode: 'GOVERNANCE', retainUntil: new Date(Date.now() + 86_400_000) };
  await s.put('lock/small', Buffer.from('small locked object'), { ifNoneMatch: '*', lock });
  const big = randomBytes(20 * MiB);
  const info = await s.put('lock/big', { path: await fileOf('big', big) }, { ifNoneMatch: '*', lock });
  // The single PUT got the lock from its headers.
  const small = await retention(s.client, s.bucket, s.objectKey('lock/small'));
  t.is(small.mode, 'GOVERNANCE');
  t.true(near(small.until, lock.retainUntil));
  // The multipart upload got it afterwards (RGW ignores the headers on CreateMultipartUpload).
  const multipart = await retention(s.client, s.bucket, s.objectKey('lock/big'));
  t.is(multipart.mode, 'GOVERNANCE');
  t.true(near(multipart.until, lock.retainUntil));
  // RGW's empty multipart ETag was filled from the HEAD that checked the lock.
  t.regex(info.etag ?? '', /-3"$/);
  t.is(s.requestCounts().PutObjectRetention, 1);
  t.true((await s.get('lock/big')).equals(big));
  // The create-only probe (RGW ignores If-None-Match on a versioned bucket) removed its own
  // unlocked versions by VersionId: nothing of it is left, not even a delete marker.
  t.deepEqual(await s.conditionalWrites(), { put: false, multipart: false });
  const probe = await versions(s, '.s3vtl/');
  t.deepEqual([probe.versions.length, probe.markers.length], [0, 0]);
  s.close();
});

test('COMPLIANCE on a multipart upload; a locked version refuses deletion by VersionId; a plain delete only hides it', async (t) => {
  const s = store();
  const lock: ObjectLock = { mode: 'COMPLIANCE', retainUntil: new Date(Date.now() + 86_400_000) };
  await s.put('del/big', { path: await fileOf('big-c', randomBytes(17 * MiB)) }, { ifNoneMatch: '*', lock });
  t.is((await retention(s.client, s.bucket, s.objectKey('del/big'))).mode, 'COMPLIANCE');
  const [version] = (await versions(s, 'del/')).versions;
  // Deleting the locked version itself is refused by the server.
  const refused = await t.throwsAsync(s.client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: version!.key, VersionId: version!.versionId })));
  t.is(refused!.name, 'AccessDenied');
  // The store's delete (no VersionId) succeeds: a delete marker hides the key from listings...
  await t.notThrowsAsync(s.delete(['del/big']));
  t.deepEqual((await s.list('del/')).objects, []);
  // ...while the locked version stays, still locked.
  const after = await versions(s, 'del/');
  t.deepEqual(after.versions.map((v) => v.versionId), [version!.versionId]);
  t.deepEqual(after.markers, [version!.key]);
  t.is((await retention(s.client, s.bucket, version!.key, version!.versionId)).mode, 'COMPLIANCE');
  s.close();
});

test('a locked put on a bucket without Object Lock fails with a clear StoreError', async (t) => {
  const s = store(PLAIN);
  const lock: ObjectLock = { mode: 'GOVERNANCE', retainUntil: new Date(Date.now() + 86_400_000) };
  await t.throwsAsync(s.put('x/small', Buffer.from('x'), { lock }), { message: new RegExp(`bucket ${PLAIN} has no Object Lock`) });
  await t.throwsAsync(s.put('x/big', { path: await fileOf('big-p', randomBytes(17 * MiB)) }, { lock }), { message: /has no Object Lock|no versioning and no Object Lock/ });
  await t.throwsAsync(s.check({ objectLock: true }), { message: /has no Object Lock enabled/ });
  await t.notThrowsAsync(store(LOCKED).check({ objectLock: true }));
  s.close();
});

const POOLS = {
  vault: { archiveClass: 'GLACIER', compression: 'none', objectLock: { mode: 'GOVERNANCE', days: 1 } },
} as unknown as Config['pools'];

test('cartridges of a locked pool: every segment and manifest version is locked, WORM ones in COMPLIANCE', async (t) => {
  const s = store();
  const specs: Record<string, CartridgeSpec> = {
    LCK001L6: { barcode: 'LCK001L6', mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: false, pool: 'vault' },
    LCK002L6: { barcode: 'LCK002L6', mediaType: 'LTO-6', capacityBytes: 1 << 30, worm: true, pool: 'vault' },
  };
  const pool = (): CartridgePool => new CartridgePool({
    store: s,
    prefix: '',
    stagingDir: path.join(scratch, 'staging'),
    directory: { describe: (b) => specs[b] },
    // 20 MiB segments: the first goes up as a multipart upload, the last as a single PUT.
    segments: { segmentBytes: 20 * MiB, keepManifests: 2 },
    lockPolicy: (spec) => cartridgeLock(POOLS, spec),
  });
  const p = pool();
  const block = randomBytes(256 << 10);
  for (const barcode of Object.keys(specs)) {
    const c = await p.open(barcode);
    for (let i = 0; i < 100; i++) await c.write(block, block.length); // 25 MiB
    await c.writeFilemarks(1);
    await c.close();
  }
  // Overwrite the plain cartridge from block 10 on (a cut: no object is rewritten or removed).
  const c1 = await p.open('LCK001L6');
  await c1.locate(10);
  await c1.write(block, block.length);
  await c1.close();

  const before = Date.now();
  let manifestVersions = 0;
  for (const [barcode, spec] of Object.entries(specs)) {
    const { versions: all, markers } = await versions(s, `tapes/${barcode}/`);
    const segments = all.filter((v) => v.key.includes('/seg/'));
    const manifests = all.filter((v) => v.key.includes('/manifest/'));
    t.true(segments.length >= 2, `${barcode}: ${segments.length} segment versions`);
    t.true(manifests.length >= 2, `${barcode}: ${manifests.length} manifest versions`);
    // Old manifests beyond keepManifests were "deleted": delete markers only, the versions stay.
    if (manifests.length > 2) t.true(markers.some((k) => k.includes('/manifest/')), `${barcode}: no manifest delete markers`);
    manifestVersions += manifests.length;
    for (const v of all) {
      const r = await retention(s.client, s.bucket, v.key, v.versionId);
      t.is(r.mode, spec.worm ? 'COMPLIANCE' : 'GOVERNANCE', `${v.key} ${v.versionId}`);
      // One day from its upload.
      t.true(r.until !== undefined && r.until.getTime() > before + 86_400_000 - 15 * 60_000 && r.until.getTime() <= Date.now() + 86_400_000 + 2000, `${v.key} until ${r.until?.toISOString()}`);
    }
  }
  t.true(manifestVersions >= 5, `${manifestVersions} manifest versions in all`);
  // The first segment of each tape (20 MiB) was a multipart upload, locked after the upload.
  t.true((s.requestCounts().PutObjectRetention ?? 0) >= 2);

  // The newest manifest is found through the delete markers, and the tapes read back.
  const m = await readLatestManifest(s, p.keys, 'LCK001L6');
  t.is(m?.eodObjectId, 11);
  const current: string[] = [];
  for await (const o of listAll(s, 'tapes/LCK002L6/manifest/')) current.push(o.key);
  t.true(current.length >= 1 && current.length <= 2);
  const again = pool();
  const c2 = await again.open('LCK002L6');
  for (let i = 0; i < 100; i++) {
    const r = await c2.read();
    if (r.kind !== 'block' || !r.data.equals(block)) return t.fail(`block ${i}: ${r.kind}`);
  }
  t.is((await c2.read()).kind, 'filemark');
  await c2.close();
  s.close();
});

test('the start refuses objectLock on a bucket without Object Lock, naming the pool key and the bucket', async (t) => {
  const e = await t.throwsAsync(openStore(`s3://${PLAIN}/it-start`, { pools: POOLS }), { instanceOf: ConfigError });
  t.is(e!.key, 'pools.vault.objectLock');
  t.regex(e!.message, new RegExp(`bucket ${PLAIN} .*has no Object Lock enabled`));
  // The same pools on the locked bucket start; without a locked pool the plain bucket does too.
  const ok = await openStore(`s3://${LOCKED}/it-start`, { pools: POOLS });
  await ok.close();
  const plain = await openStore(`s3://${PLAIN}/it-start`, { pools: {} });
  await plain.close();
  t.pass();
});
