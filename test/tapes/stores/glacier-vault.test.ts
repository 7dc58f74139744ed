// The Glacier vault adapter's request flow against a fake client (no real
// Glacier here): tree hashes on every upload, multipart ranges, abort on
// failure, archive-retrieval jobs polled to completion and checked output.
import test from 'ava';
import { GlacierVault, validPartSize } from '../../../tapes/stores/glacier-vault.ts';
import { combineTreeHashes, treeHash } from '../../../tapes/stores/tree-hash.ts';
import { FakeGlacier } from './fake-glacier.ts';

const MiB = 1024 * 1024;

const data = (n: number, seed = 1): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >>> 16)) & 0xff;
  return b;
};

test('an archive up to one part goes up in one UploadArchive with its tree hash', async (t) => {
  const fake = new FakeGlacier();
  const vault = new GlacierVault({ name: 'offsite', partSize: MiB }, fake);
  const body = data(MiB);
  const r = await vault.upload(body, 's3vtl tapes/A/seg/x.seg');
  t.is(fake.calls.length, 1);
  const call = fake.calls[0]!;
  // One UploadArchive to vault "offsite" of the credentials' account ('-'), with the tree hash.
  t.is(call.name, 'UploadArchive');
  t.like(call.input, { vaultName: 'offsite', accountId: '-', archiveDescription: 's3vtl tapes/A/seg/x.seg', checksum: treeHash(body).toString('hex') });
  t.deepEqual(r, { archiveId: 'archive-1', size: MiB, treeHash: treeHash(body).toString('hex') });
});

test('a larger archive goes up in parts, each with its range and tree hash, completed with the whole archive\'s', async (t) => {
  const fake = new FakeGlacier();
  const vault = new GlacierVault({ name: 'offsite', accountId: '123456789012', partSize: MiB }, fake);
  const body = data(2 * MiB + MiB / 2);
  const r = await vault.upload(body, 'big');
  t.deepEqual(fake.calls.map((c) => c.name), ['InitiateMultipartUpload', 'UploadMultipartPart', 'UploadMultipartPart', 'UploadMultipartPart', 'CompleteMultipartUpload']);
  // The part size is announced as a decimal string.
  t.like(fake.calls[0]!.input, { partSize: String(MiB), accountId: '123456789012', archiveDescription: 'big' });
  const parts = fake.calls.filter((c) => c.name === 'UploadMultipartPart');
  // Ranges are inclusive "bytes FIRST-LAST/*"; each part carries its own tree hash.
  t.deepEqual(parts.map((p) => p.input.range), ['bytes 0-1048575/*', 'bytes 1048576-2097151/*', 'bytes 2097152-2621439/*']);
  const partHashes = [0, 1, 2].map((i) => treeHash(body.subarray(i * MiB, (i + 1) * MiB)));
  t.deepEqual(parts.map((p) => p.input.checksum), partHashes.map((h) => h.toString('hex')));
  // Complete carries the size and the whole archive's tree hash, which the part hashes combine to.
  const whole = treeHash(body).toString('hex');
  t.is(combineTreeHashes(partHashes).toString('hex'), whole);
  t.like(fake.calls[4]!.input, { archiveSize: String(body.length), checksum: whole, uploadId: 'upload-1' });
  t.is(r.treeHash, whole);
  t.true(fake.archives.get(r.archiveId)!.equals(body));
});

test('a failed part aborts the multipart upload', async (t) => {
  const fake = new FakeGlacier();
  fake.failPart = 2;
  const vault = new GlacierVault({ name: 'offsite', partSize: MiB }, fake);
  const e = await t.throwsAsync(vault.upload(data(3 * MiB), 'x'));
  t.regex(e?.message ?? '', /glacier vault offsite: UploadMultipartPart: ThrottlingException: slow down/);
  t.is(fake.calls.at(-1)?.name, 'AbortMultipartUpload');
  t.is(fake.calls.at(-1)?.input.uploadId, 'upload-1');
});

test('retrieval: an archive-retrieval job with the tier, polled until done, its output checked against the tree hash', async (t) => {
  const fake = new FakeGlacier();
  fake.jobPolls = 2;
  const vault = new GlacierVault({ name: 'offsite' }, fake);
  const body = data(300_000);
  const up = await vault.upload(body, 'x');
  const job = await vault.startRetrieval(up.archiveId, 'Bulk', 'back');
  t.like(fake.calls.at(-1)!, { name: 'InitiateJob', input: { vaultName: 'offsite', jobParameters: { Type: 'archive-retrieval', ArchiveId: up.archiveId, Tier: 'Bulk', Description: 'back' } } });
  // Two polls in progress, then it succeeds.
  t.deepEqual(await vault.job(job), { status: 'InProgress' });
  t.deepEqual(await vault.job(job), { status: 'InProgress' });
  t.deepEqual(await vault.job(job), { status: 'Succeeded' });
  t.true((await vault.output(job, up.treeHash)).equals(body));
  // A corrupted output is refused.
  fake.corruptOutput = true;
  const e = await t.throwsAsync(vault.output(job, up.treeHash));
  t.regex(e?.message ?? '', /tree hash [0-9a-f]{64} is not/);
});

test('part sizes are 1 MiB x 2^n up to 4 GiB', (t) => {
  t.true([1, 2, 4, 8, 4096].every((m) => validPartSize(m * MiB)));
  t.false([0, 3, 6, 8192].some((m) => validPartSize(m * MiB)));
  t.false(validPartSize(MiB + 1));
  t.throws(() => new GlacierVault({ name: 'v', partSize: 3 * MiB }, new FakeGlacier()), { message: /not 1 MiB x 2\^n/ });
});
