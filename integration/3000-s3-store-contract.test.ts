// The S3 ObjectStore against a real Ceph RGW on loopback: the same contract
// suite as the directory store, then what only S3 has (multipart uploads,
// ranges across parts, conditional-write emulation, error mapping, an outage).
// S3VTL_IT_S3_ENDPOINT=http://127.0.0.1:PORT reuses a running RGW (keys from
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) instead of starting one; the
// outage test is then skipped.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { StoreError, StoreErrorCode } from '../tapes/errors.ts';
import { listAll } from '../tapes/object-store.ts';
import { parseS3Url, type S3StoreOptions } from '../tapes/stores/s3-config.ts';
import { S3StoreError } from '../tapes/stores/s3-errors.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';
import { objectStoreContract } from '../test/tapes/object-store-contract.ts';

// RGW ports for this project are 7480-7490; lib/rgw.ts draws from S3VTL_IT_PORTS
// (the iSCSI range by default), read when lib/util.ts loads: set it first.
process.env.S3VTL_IT_PORTS = process.env.S3VTL_IT_RGW_PORTS ?? '7482-7489';
const { startRgw } = await import('./lib/rgw.ts');
const { run, SHARED } = await import('./lib/util.ts');
type Rgw = Awaited<ReturnType<typeof startRgw>>;

const BUCKET = 's3vtl-it-3000';
const MiB = 1 << 20;
let rgw: Rgw | undefined;
let base: S3StoreOptions;
let scratch: string;
let n = 0;

const store = (extra: Partial<S3StoreOptions> = {}): S3ObjectStore =>
  new S3ObjectStore({ ...base, prefix: `it/${process.pid}-${++n}`, ...extra });

async function emptyAndClose(s: S3ObjectStore): Promise<void> {
  const keys: string[] = [];
  for await (const o of listAll(s, '')) keys.push(o.key);
  await s.delete(keys);
  s.close();
}

test.before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 's3-store-it-'));
  const reuse = process.env.S3VTL_IT_S3_ENDPOINT;
  let env: Record<string, string | undefined> = process.env;
  if (reuse === undefined) {
    rgw = await startRgw('3000-s3-store'); // bluestore: a stopped cluster restarts with its objects (outage test)
    env = rgw.env;
  }
  base = {
    bucket: BUCKET,
    endpoint: reuse ?? env.S3_ENDPOINT!,
    region: env.S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  };
  const s = new S3ObjectStore(base);
  await s.client.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
  });
  s.close();
});

test.after.always(async () => {
  await rm(scratch, { recursive: true, force: true });
  await rgw?.stop(true);
});

objectStoreContract('s3', async () => {
  const s = store();
  return { store: s, cleanup: () => emptyAndClose(s) };
}, { parts: true });

async function fileOf(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(scratch, name);
  await writeFile(file, bytes);
  return file;
}

test('s3: a 40 MiB file body goes up as a multipart upload and reads back, also across a part boundary', async (t) => {
  const s = store({ partSize: 8 * MiB, queueSize: 4, multipartThreshold: 16 * MiB });
  const data = randomBytes(40 * MiB);
  const file = await fileOf('40m', data);
  await s.conditionalWrites(); // the one-time capability probe, not counted below
  const before = s.requestCounts();
  const info = await s.put('seg/big.seg', { path: file }, { ifNoneMatch: '*' });
  const calls = Object.fromEntries(Object.entries(s.requestCounts()).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  // Five 8 MiB parts, one CreateMultipartUpload, one CompleteMultipartUpload.
  t.is(calls.UploadPart, 5, JSON.stringify(calls));
  t.is(calls.CreateMultipartUpload, 1);
  t.is(calls.CompleteMultipartUpload, 1);
  // The returned info has the size; head reports a five-part multipart ETag (RGW 16 leaves it out of the completion).
  t.is(info.size, data.length);
  t.regex((await s.head('seg/big.seg'))?.etag ?? '', /-5"?$/);
  // The whole object reads back unchanged.
  t.true((await s.get('seg/big.seg')).equals(data));
  // A range straddling the boundary between part 1 and part 2 returns exactly those bytes.
  const cross = { offset: 8 * MiB - 1000, length: 2000 };
  t.true((await s.get('seg/big.seg', cross)).equals(data.subarray(cross.offset, cross.offset + cross.length)));
  await emptyAndClose(s);
});

test('s3: multipart uploads left by an earlier run are aborted; newer ones and other prefixes are kept', async (t) => {
  const s = store();
  const other = store();
  const file = await fileOf('stale', randomBytes(6 * MiB));
  const stale = await s.beginUpload('tapes/STL001L6/seg/0000000000000000-00000001.seg');
  await stale.part(1, { path: file, offset: 0, length: 5 * MiB });
  const elsewhere = await other.beginUpload('tapes/STL002L6/seg/0000000000000000-00000001.seg');
  await new Promise((r) => setTimeout(r, 1500)); // RGW's Initiated has one-second resolution
  const cutoff = new Date();
  await new Promise((r) => setTimeout(r, 1500));
  const fresh = await s.beginUpload('tapes/STL001L6/seg/0000000000000000-00000002.seg');
  await fresh.part(1, { path: file, offset: 0, length: 6 * MiB });
  // Only the upload begun before the cutoff under this store's prefix goes.
  t.is(await s.abortStaleUploads('tapes/', cutoff), 1);
  await t.throwsAsync(stale.complete(1, 5 * MiB));
  // The newer upload still completes; the other prefix's upload is untouched.
  t.is((await fresh.complete(1, 6 * MiB)).size, 6 * MiB);
  t.is(await other.abortStaleUploads('tapes/', new Date(Date.now() + 5000)), 1);
  await elsewhere.abort();
  await emptyAndClose(s);
  await emptyAndClose(other);
});

test('s3: a file range between 1 MiB and the threshold is one streamed PutObject', async (t) => {
  const s = store();
  const data = randomBytes(6 * MiB);
  const file = await fileOf('6m', data);
  await s.put('seg/mid.seg', { path: file, offset: 123, length: 5 * MiB });
  // One request, no multipart.
  t.deepEqual(s.requestCounts(), { PutObject: 1 });
  // The stored object is exactly the range of the file.
  t.true((await s.get('seg/mid.seg')).equals(data.subarray(123, 123 + 5 * MiB)));
  await emptyAndClose(s);
});

test('s3: create-only is native for PutObject and emulated for multipart on RGW 16', async (t) => {
  const s = store({ partSize: 5 * MiB });
  const probe = await s.conditionalWrites();
  t.log(`conditional writes: ${JSON.stringify(probe)}`);
  // RGW 16 honours If-None-Match: * on PutObject.
  t.true(probe.put);
  const first = randomBytes(12 * MiB);
  const file = await fileOf('12m', randomBytes(12 * MiB));
  await s.put('seg/once.seg', first);
  // A create-only multipart upload onto an existing key is refused (natively or by the HEAD check)...
  await t.throwsAsync(s.put('seg/once.seg', { path: file }, { ifNoneMatch: '*' }), { instanceOf: StoreError, code: StoreErrorCode.EXISTS });
  await t.throwsAsync(s.put('seg/once.seg', { path: file, length: 2 * MiB }, { ifNoneMatch: '*' }), { instanceOf: StoreError, code: StoreErrorCode.EXISTS });
  // ...and the object stays the first one.
  t.true((await s.get('seg/once.seg')).equals(first));
  // The probe's own key is not visible in listings.
  t.deepEqual((await s.list('')).objects.map((o) => o.key), ['seg/once.seg']);
  await emptyAndClose(s);
});

test('s3: list pages with a small limit under a prefix', async (t) => {
  const s = store();
  const keys = Array.from({ length: 11 }, (_, i) => `tapes/ABC123L6/manifest/${i.toString(16).padStart(16, '0')}.json`);
  for (const k of keys) await s.put(k, Buffer.from(k));
  await s.put('tapes/ABC124L6/manifest/0000000000000000.json', Buffer.alloc(1));
  const seen: string[] = [];
  let pages = 0;
  for (let after: string | undefined; ; pages++) {
    const page = await s.list('tapes/ABC123L6/', { limit: 4, ...(after !== undefined && { startAfter: after }) });
    seen.push(...page.objects.map((o) => o.key));
    if (page.next === undefined) break;
    after = page.next;
  }
  // Three pages of at most four keys give every key once, in order, and nothing from another tape.
  t.deepEqual(seen, keys);
  t.is(pages, 2);
  await emptyAndClose(s);
});

test('s3: NoSuchKey maps to VTL_STORE_NOT_FOUND; a missing bucket to VTL_STORE_UNAVAILABLE, not retryable', async (t) => {
  const s = store();
  const e = await t.throwsAsync(s.get('no/such/key'));
  // GET of a missing key: not found, with the S3 code kept.
  t.true(e instanceof S3StoreError && e.code === StoreErrorCode.NOT_FOUND && e.s3Code === 'NoSuchKey', String(e));
  // A ranged GET of a missing key is also not found (not an empty range).
  await t.throwsAsync(s.get('no/such/key', { offset: 5, length: 0 }), { code: StoreErrorCode.NOT_FOUND });
  const nb = store({ bucket: 'no-such-bucket-3000' });
  const c = await t.throwsAsync(nb.check());
  // check() names the missing bucket and is not worth retrying.
  t.true(c instanceof S3StoreError && c.code === StoreErrorCode.UNAVAILABLE && !c.retryable, String(c));
  const p = await t.throwsAsync(nb.put('k', Buffer.from('x')));
  t.true(p instanceof S3StoreError && p.code === StoreErrorCode.UNAVAILABLE && p.s3Code === 'NoSuchBucket', String(p));
  nb.close();
  const bad = store({ credentials: { accessKeyId: 'WRONGKEY', secretAccessKey: 'wrong' } });
  const a = await t.throwsAsync(bad.put('k', Buffer.from('x')));
  // Bad credentials: unavailable, not retryable, and the message says what to check.
  t.true(a instanceof S3StoreError && a.code === StoreErrorCode.UNAVAILABLE && !a.retryable && /credentials/.test(a.message), String(a));
  bad.close();
  await emptyAndClose(s);
});

test('s3: the configured storage class applies to single and multipart uploads', async (t) => {
  const { archiveStatus } = await import('../tapes/stores/s3-archive.ts');
  const s = store({ storageClass: 'GLACIER', multipartThreshold: 5 * MiB, partSize: 5 * MiB });
  const file = await fileOf('11m', randomBytes(11 * MiB));
  await s.put('seg/single', Buffer.from('x'));
  await s.put('seg/multi', { path: file });
  // Both the PutObject and the multipart object land in GLACIER (an extra RGW class from start-rgw).
  t.is((await archiveStatus(s, 'seg/single'))?.storageClass, 'GLACIER');
  t.is((await archiveStatus(s, 'seg/multi'))?.storageClass, 'GLACIER');
  t.is(s.requestCounts().UploadPart, 3);
  await emptyAndClose(s);
});

test('s3: storage class change in place (CopyObject) is reported by head', async (t) => {
  const { setStorageClass, archiveStatus } = await import('../tapes/stores/s3-archive.ts');
  const s = store();
  await s.put('seg/cold.seg', Buffer.from('cold data'));
  await setStorageClass(s, 'seg/cold.seg', 'GLACIER');
  // RGW reports the new class; the content is unchanged.
  t.is((await archiveStatus(s, 'seg/cold.seg'))?.storageClass, 'GLACIER');
  t.deepEqual(await s.get('seg/cold.seg'), Buffer.from('cold data'));
  await emptyAndClose(s);
});

test('s3: parseS3Url reads the bucket, the prefix, the query and the AWS environment', (t) => {
  const env = {
    AWS_ENDPOINT_URL: 'http://other:1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:7480', AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', S3_FORCE_PATH_STYLE: 'true', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  };
  const o = parseS3Url('s3://vtl-bucket/site/a/?storageClass=STANDARD_IA&sse=aws:kms&kmsKeyId=k1&partSize=16777216', env);
  // AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL; keys, region and path style come from the environment.
  t.like(o, { bucket: 'vtl-bucket', prefix: 'site/a', endpoint: 'http://127.0.0.1:7480', region: 'eu-west-1', forcePathStyle: true, storageClass: 'STANDARD_IA', sse: 'aws:kms', sseKmsKeyId: 'k1', partSize: 16 << 20, requestChecksumCalculation: 'WHEN_REQUIRED' });
  t.deepEqual(o.credentials, { accessKeyId: 'AK', secretAccessKey: 'SK' });
  // Without keys in the environment the SDK's default chain is left to find them; the query wins over the environment.
  const d = parseS3Url('s3://vtl-bucket?region=us-east-2&pathStyle=false', { AWS_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true' });
  t.like(d, { bucket: 'vtl-bucket', prefix: '', region: 'us-east-2', forcePathStyle: false });
  t.is(d.credentials, undefined);
  // Malformed URLs and values S3 would refuse later are refused now, as config errors.
  for (const bad of ['file:///x', 's3://', 's3://UP_per/x', 's3://b-1/x?partSize=1024', 's3://b-1/x?kmsKeyId=k', 's3://b-1/x?colour=red', 's3://b-1/x?sse=des']) {
    t.throws(() => parseS3Url(bad, {}), { code: 'VTL_CONFIG_INVALID' }, bad);
  }
});

// Last (the integration config runs tests serially, in order): it stops and restarts the gateway.
test('s3: a stopped RGW is VTL_STORE_UNAVAILABLE quickly, and an outage is ridden out by retries', async (t) => {
  if (rgw === undefined) return t.pass('reusing an external RGW: outage test skipped');
  const fast = store({ retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 100 } });
  const patient = store({ retry: { maxAttempts: 20, baseDelayMs: 250, maxDelayMs: 4000 } });
  await patient.put('seg/before', Buffer.from('before'));
  const file = await fileOf('3m', randomBytes(3 * MiB));
  await run('bash', [path.join(SHARED, 's3/stop-rgw'), rgw.dir], { timeoutMs: 120_000 });
  const t0 = Date.now();
  for (const op of [() => fast.get('seg/before'), () => fast.put('x', Buffer.from('x')), () => fast.put('y', { path: file }), () => fast.list('')]) {
    const e = await t.throwsAsync(op());
    // Connection refused becomes VTL_STORE_UNAVAILABLE, marked retryable.
    t.true(e instanceof S3StoreError && e.code === StoreErrorCode.UNAVAILABLE && e.retryable, String(e));
  }
  // With two attempts and 100 ms backoff the four operations fail in well under a second; the
  // default policy (8 attempts, 11-23 s a request) would take over 40 s. The bound is generous.
  t.true(Date.now() - t0 < 30_000, `${Date.now() - t0} ms`);
  // Writes started during the outage finish once the gateway is back (bluestore keeps the objects).
  const buffered = patient.put('seg/during', Buffer.from('during'));
  const streamed = patient.put('seg/during-file', { path: file });
  await new Promise((r) => setTimeout(r, 1500));
  const restart = await run('bash', [path.join(SHARED, 's3/start-rgw'), rgw.dir, String(rgw.port)], { timeoutMs: 300_000 });
  t.is(restart.code, 0, restart.stderr);
  await Promise.all([buffered, streamed]);
  t.log(`outage ridden out after ${Date.now() - t0} ms`);
  t.deepEqual(await patient.get('seg/during'), Buffer.from('during'));
  t.deepEqual(await patient.get('seg/before'), Buffer.from('before'));
  fast.close();
  await emptyAndClose(patient);
});
