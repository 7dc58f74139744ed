// The raw S3 PUT ceiling of an endpoint, measured with the store's own client
// settings, so the tape bench can print tape-write-to-S3 MB/s beside it.
// `npm run bench -- s3` runs it with the segment size, count and concurrency its tape write used.
// Prints one JSON line (MB/s = 1e6 B/s; requests per GiB = HTTP attempts per 2^30 bytes):
//   multipart: N objects of --size MiB through lib-storage Upload, the store's part size and queue size
//   single:    N single PutObject of --single MiB (Buffer bodies)
//   store:     N S3ObjectStore.put() of a --size MiB staging file (the product path, incl. disk reads)
// `concurrency` objects are in flight at once (the uploader's default, 4).
//
//   eval "$(bash ../shared/s3/start-rgw /tmp/rgw 7480)"
//   node --import=tsx bench/s3-ceiling.ts [--store s3://BUCKET/PREFIX] [--objects 8] [--size 256] [--single 256] [--concurrency 4] [--skip store]

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { listAll } from '../tapes/object-store.ts';
import { S3_DEFAULTS } from '../tapes/stores/s3-config.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';

const { values: a } = parseArgs({
  options: {
    store: { type: 'string', default: 's3://s3vtl-bench/ceiling' },
    objects: { type: 'string', default: '8' },
    size: { type: 'string', default: '256' }, // the S3 store's default segment size (S3_DEFAULTS.segmentSize)
    single: { type: 'string', default: '256' },
    concurrency: { type: 'string', default: '4' },
    skip: { type: 'string', multiple: true, default: [] },
  },
});
const MiB = 1 << 20;
const N = Number(a.objects);
const conc = Number(a.concurrency);
const big = Number(a.size) * MiB;
const single = Number(a.single) * MiB;

const store = S3ObjectStore.fromUrl(a.store);
const partSize = store.options.partSize ?? S3_DEFAULTS.partSize;
const queueSize = store.options.queueSize ?? S3_DEFAULTS.queueSize;
await store.client.send(new CreateBucketCommand({ Bucket: store.bucket })).catch((e: { name?: string }) => {
  if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
});
const run = `${Date.now().toString(36)}`;

/** Runs `n` jobs with `conc` in flight; returns MB/s, seconds and request figures for `bytesEach` per job. */
async function phase(name: string, bytesEach: number, job: (i: number) => Promise<unknown>): Promise<Record<string, number>> {
  await job(-1); // warm-up: connections, the conditional probe; not timed
  const before = store.requestCounts();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(conc, N) }, async () => {
    while (next < N) await job(next++);
  }));
  const s = (performance.now() - t0) / 1000;
  const after = store.requestCounts();
  const requests = Object.entries(after).reduce((sum, [k, v]) => sum + v - (before[k] ?? 0), 0);
  const bytes = bytesEach * N;
  const keys: string[] = [];
  for await (const o of listAll(store, `${run}/${name}/`)) keys.push(o.key);
  await store.delete(keys);
  return {
    object_bytes: bytesEach,
    MBps: Math.round((bytes / 1e6 / s) * 10) / 10,
    seconds: Math.round(s * 1000) / 1000,
    requests,
    requests_per_GiB: Math.round((requests / bytes) * 2 ** 30 * 10) / 10,
  };
}

const result: Record<string, unknown> = {
  bench: 's3-ceiling',
  endpoint: store.options.endpoint ?? 'aws',
  bucket: store.bucket,
  objects: N,
  concurrency: conc,
  part_size: partSize,
  queue_size: queueSize,
  multipart_threshold: store.options.multipartThreshold ?? S3_DEFAULTS.multipartThreshold,
  loadavg_1m_before: Math.round(loadavg()[0]! * 100) / 100, // the client and RGW share the CPUs: a busy machine lowers the ceiling
};
const skip = new Set(a.skip);
const dir = await mkdtemp(path.join(tmpdir(), 's3-ceiling-'));
try {
  const bigBody = randomBytes(big);
  if (!skip.has('multipart')) {
    result.multipart = await phase('multipart', big, (i) => new Upload({
      client: store.client,
      params: { ...store.putParams(store.objectKey(`${run}/multipart/${i + 1}`)), Body: bigBody },
      partSize,
      queueSize,
    }).done());
  }
  if (!skip.has('single')) {
    const body = bigBody.subarray(0, single);
    result.single = await phase('single', single, (i) =>
      store.client.send(new PutObjectCommand({ ...store.putParams(store.objectKey(`${run}/single/${i + 1}`)), Body: body })));
  }
  if (!skip.has('store')) {
    const file = path.join(dir, 'segment');
    await writeFile(file, bigBody);
    result.store = await phase('store', big, (i) => store.put(`${run}/store/${i + 1}`, { path: file }, { ifNoneMatch: '*' }));
  }
  const mp = result.multipart as { MBps?: number } | undefined;
  result.loadavg_1m_after = Math.round(loadavg()[0]! * 100) / 100;
  result.MBps = mp?.MBps ?? (result.single as { MBps?: number } | undefined)?.MBps;
  console.log(JSON.stringify(result));
} finally {
  await rm(dir, { recursive: true, force: true });
  store.close();
}
