// An S3 outage under a streaming backup, against a real Ceph RGW. The target
// runs on s3://BUCKET/PREFIX with small segments (A: 16 MiB sent in 5 MiB
// parts while written, B: 4 MiB) and a small shared upload buffer, so an
// outage fills the buffer within seconds. RGW is stopped
// without purging (its objects survive) and started again on the same port.
//  A. A 30 s outage mid-stream: WRITEs stall (backpressure: they take
//     seconds, none fails), the stream completes once RGW is back, and after
//     WRITE FILEMARKS and unload every byte reads back identical from the
//     bucket.
//  B. staging.waitSeconds 5 with RGW down: a WRITE fails with CHECK
//     CONDITION, MEDIUM ERROR, WRITE ERROR (03/0C/00), INFORMATION = the
//     transfer length not written; once RGW is back everything acknowledged
//     before reads back, and writing goes on.
import { createHash } from 'node:crypto';
import path from 'node:path';
import test from 'ava';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { IQN_PREFIX, libraryTarget } from './lib/config.ts';
import { startRgw, type Rgw } from './lib/rgw.ts';
import { CHECK_CONDITION, GOOD, pattern, sense, TapeLibraryClient } from './lib/tape-io.ts';
import { startTarget, type Target } from './lib/target.ts';
import { run, SHARED, sleep } from './lib/util.ts';

const bases = changerProfiles.get('stk-l700')!.addressBases;
const IQN = `${IQN_PREFIX}:library`;
const BUCKET = 'vtl3300';
const MiB = 2 ** 20;
const BLOCK = 256 * 1024;

let rgw: Rgw | undefined;

test.before(async () => {
  rgw = await startRgw('3300-rgw', { env: { RGW_OBJECTSTORE: 'bluestore', S3_BUCKETS: BUCKET } });
});

test.after.always(async () => {
  await rgw?.stop(true);
});

/** Stop RGW keeping its objects (bluestore). */
async function stopRgw(r: Rgw): Promise<void> {
  await r.stop(false);
}

/** Start the stopped RGW again on the same port and data dir. */
async function restartRgw(r: Rgw): Promise<void> {
  const res = await run('bash', [path.join(SHARED, 's3/start-rgw'), r.dir, String(r.port)], { env: { RGW_OBJECTSTORE: 'bluestore' }, timeoutMs: 300_000 });
  if (res.code !== 0) throw new Error(`start-rgw exited ${res.code}:\n${res.stderr}`);
}

async function bucketObjects(r: Rgw, prefix: string): Promise<{ key: string; size: number }[]> {
  const s3 = new S3Client({
    endpoint: r.env.S3_ENDPOINT, region: r.env.S3_REGION ?? 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: r.env.AWS_ACCESS_KEY_ID!, secretAccessKey: r.env.AWS_SECRET_ACCESS_KEY! },
  });
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token !== undefined && { ContinuationToken: token }) }));
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token !== undefined);
  s3.destroy();
  return out;
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

type Expect = { kind: 'block'; sha: string; length: number } | { kind: 'filemark' };

/** Read from BOP and compare with `want`; returns the bytes verified. */
async function verifyTape(t: import('ava').ExecutionContext, c: TapeLibraryClient, want: Expect[], what: string): Promise<number> {
  await c.rewind(1);
  let verified = 0;
  for (const [i, w] of want.entries()) {
    const got = await c.read(1, BLOCK);
    if (w.kind === 'filemark') {
      if (got.kind !== 'filemark') return t.fail(`${what}: record ${i}: expected a filemark, got ${got.kind}`), verified;
      continue;
    }
    if (got.kind !== 'block' || got.data.length !== w.length || digest(got.data) !== w.sha) {
      t.fail(`${what}: record ${i}: ${got.kind === 'block' ? `${got.data.length} bytes differ` : JSON.stringify(got)}`);
      return verified;
    }
    verified += got.data.length;
  }
  t.is((await c.read(1, BLOCK)).kind, 'eod', `${what}: EOD after the last record`);
  return verified;
}

function library(name: string, barcodePrefix: string, tapes: Record<string, unknown>, r: Rgw, query = ''): Promise<Target> {
  const spec = libraryTarget('library', { drives: 1, slots: 4, mailslots: 0, cartridges: [{ prefix: barcodePrefix, count: 1, media: 'L6', capacity: '2GiB', pool: 'default' }] });
  return startTarget(name, [spec], {
    config: { store: `s3://${BUCKET}/${name}${query}`, tapes: { segmentSize: '4MiB', uploadConcurrency: 2, ...tapes } },
    env: r.env,
    startTimeoutMs: 120_000,
  });
}

/** Log in, move the library's one cartridge into the drive and rewind it. */
async function loadFirstCartridge(target: Target): Promise<TapeLibraryClient> {
  const c = await TapeLibraryClient.login(target.port, IQN);
  await c.testUnitReady(0);
  await c.moveMedium(bases.storage, bases.dataTransfer);
  await c.testUnitReady(1);
  await c.rewind(1);
  return c;
}

test.serial('A: a 30 s RGW outage mid-stream stalls WRITEs without failing any, and every byte reaches the bucket', async (t) => {
  const r = rgw!;
  const TOTAL = 128 * MiB;
  const OUTAGE_AT = 32 * MiB;
  // 16 MiB segments sent in 5 MiB parts while they are written: the outage hits parts, begins and completes.
  const target = await library('3300-outage-a', 'OA', { segmentSize: '16MiB', staging: { limit: '48MiB', waitSeconds: 600 } }, r, `?partSize=${5 * MiB}`);
  const barcode = 'OA0001L6';
  try {
    const c = await loadFirstCartridge(target);

    const want: Expect[] = [];
    let written = 0;
    let outage: { stoppedAt: number; restartedAt: number } | undefined;
    let stopping = 0;
    const outageDone = (async () => {
      while (written < OUTAGE_AT) await sleep(20);
      const s0 = Date.now();
      stopping = s0;
      await stopRgw(r);
      const stoppedAt = Date.now();
      t.log(`RGW stopped at ${(written / MiB).toFixed(2)} MiB written (stop-rgw took ${((stoppedAt - s0) / 1000).toFixed(1)} s)`);
      await sleep(30_000);
      await restartRgw(r);
      outage = { stoppedAt, restartedAt: Date.now() };
      t.log(`RGW down ${((outage.restartedAt - stoppedAt) / 1000).toFixed(1)} s (start-rgw included)`);
    })();

    // ---- stream 128 MiB of 256 KiB variable blocks ----
    let slowest = 0;
    let slowestAt = 0;
    let slowestEnd = 0;
    const stalls: { at: number; ms: number; mib: number }[] = []; // WRITEs that took more than a second
    let failed = 0;
    const t0 = Date.now();
    for (let k = 0; written < TOTAL; k++) {
      const data = pattern(`3300A/${k}`, BLOCK);
      const w0 = Date.now();
      const res = await c.write(1, data);
      const ms = Date.now() - w0;
      if (res.status !== GOOD) {
        failed++;
        const s = sense(res);
        t.fail(`WRITE ${k}: status ${res.status} sense ${s?.key.toString(16)}/${s?.asc.toString(16)}/${s?.ascq.toString(16)}`);
        break;
      }
      if (ms > slowest) {
        slowest = ms;
        slowestAt = written;
        slowestEnd = Date.now();
      }
      if (ms > 1000) stalls.push({ at: w0, ms, mib: written / MiB });
      want.push({ kind: 'block', sha: digest(data), length: data.length });
      written += data.length;
    }
    const streamMs = Date.now() - t0;
    await outageDone;
    t.log(`streamed ${written / MiB} MiB in ${(streamMs / 1000).toFixed(1)} s; slowest WRITE ${(slowest / 1000).toFixed(1)} s at ${(slowestAt / MiB).toFixed(1)} MiB; ${stalls.length} WRITEs over 1 s; ${failed} failed`);
    for (const s of stalls) t.log(`  WRITE at ${s.mib.toFixed(2)} MiB began ${((s.at - stopping) / 1000).toFixed(1)} s after stop-rgw began and took ${(s.ms / 1000).toFixed(1)} s`);
    t.is(failed, 0, 'no WRITE failed');
    // Backpressure: while RGW was down a WRITE waited for the buffer to drain.
    t.true(slowest >= 5_000, `the slowest WRITE took ${slowest} ms`);
    t.truthy(outage);
    if (outage !== undefined) t.log(`the slowest WRITE completed ${((slowestEnd - outage.restartedAt) / 1000).toFixed(1)} s after start-rgw returned`);

    // ---- sync point, unload (uploads and commits everything), objects in the bucket ----
    const fm = await c.writeFilemarks(1, 1, false);
    t.is(fm.status, GOOD, 'WRITE FILEMARKS (IMMED=0) after the outage');
    want.push({ kind: 'filemark' });
    const u0 = Date.now();
    await c.moveMedium(bases.dataTransfer, bases.storage);
    t.log(`unload took ${((Date.now() - u0) / 1000).toFixed(1)} s`);
    const objects = await bucketObjects(r, `3300-outage-a/tapes/${barcode}/`);
    const segs = objects.filter((o) => o.key.endsWith('.seg'));
    const segBytes = segs.reduce((s, o) => s + o.size, 0);
    t.log(`bucket: ${segs.length} segment objects, ${segBytes} bytes; ${objects.length - segs.length} manifests`);
    t.true(segs.length >= 8, `${segs.length} segments of 16 MiB`);
    t.true(segBytes >= written, `${segBytes} segment bytes for ${written} written`);

    // ---- everything reads back ----
    await c.moveMedium(bases.storage, bases.dataTransfer);
    await c.testUnitReady(1);
    const verified = await verifyTape(t, c, want, barcode);
    t.is(verified, written);
    t.log(`verified ${verified} bytes (${want.length - 1} blocks and a filemark) byte-identical`);
    const log = target.logs();
    t.regex(log, /staging full: writes wait for uploads/, 'the wait was logged');
    t.regex(log, /segment upload failed, retrying/, 'upload retries were logged');
    // Segments went up in parts (a retried request names its part, begin or complete).
    t.regex(log, /\((part \d+|begin|complete)\)/, 'parts of an open segment were retried through the outage');
    await c.logout();
  } finally {
    await target.stop();
  }
});

test.serial('B: with waitSeconds 5 and RGW down a WRITE fails with 03/0C/00; what was acknowledged survives', async (t) => {
  const r = rgw!;
  const target = await library('3300-outage-b', 'OB', { staging: { limit: '16MiB', waitSeconds: 5 } }, r);
  const barcode = 'OB0001L6';
  try {
    const c = await loadFirstCartridge(target);
    const want: Expect[] = [];
    let k = 0;
    const writeOk = async (): Promise<void> => {
      const data = pattern(`3300B/${k++}`, BLOCK);
      const res = await c.write(1, data);
      if (res.status !== GOOD) throw new Error(`WRITE ${k - 1}: status ${res.status}`);
      want.push({ kind: 'block', sha: digest(data), length: data.length });
    };
    // 8 MiB and a filemark with RGW up.
    for (let i = 0; i < 32; i++) await writeOk();
    t.is((await c.writeFilemarks(1, 1, false)).status, GOOD);
    want.push({ kind: 'filemark' });

    await stopRgw(r);
    let failure: { k: number; ms: number; status: number; s: ReturnType<typeof sense> } | undefined;
    let acked = 0;
    try {
      for (let i = 0; i < 400 && failure === undefined; i++) {
        const data = pattern(`3300B/${k}`, BLOCK);
        const w0 = Date.now();
        const res = await c.write(1, data);
        if (res.status === GOOD) {
          want.push({ kind: 'block', sha: digest(data), length: data.length });
          k++;
          acked++;
        } else {
          failure = { k, ms: Date.now() - w0, status: res.status, s: sense(res) };
        }
      }
      t.truthy(failure, 'a WRITE failed once the buffer stayed full for waitSeconds');
      t.log(`RGW down: ${acked} WRITEs (${acked * BLOCK / MiB} MiB) acknowledged, then WRITE ${failure?.k} failed after ${((failure?.ms ?? 0) / 1000).toFixed(1)} s`);
      t.is(failure?.status, CHECK_CONDITION);
      // MEDIUM ERROR, WRITE ERROR; INFORMATION = the transfer length not written (variable block).
      t.is(failure?.s?.key, 0x3);
      t.is(failure?.s?.asc, 0x0c);
      t.is(failure?.s?.ascq, 0x00);
      t.is(failure?.s?.info, BLOCK);
      t.true((failure?.ms ?? 0) >= 4_500, 'it waited about waitSeconds');
      t.regex(target.logs(), new RegExp(`staging full.*${barcode}|${barcode}.*staging full`), 'the failure was logged with the barcode');
      t.regex(target.logs(), /stagedBytes/);
    } finally {
      await restartRgw(r);
    }
    // RGW is back. The uploads resume at their next retry (the S3 client backs off up to 10 s,
    // the uploader up to 30 s), and until one lands the buffer is still full: a WRITE now may
    // again end with 03/0C/00 after 5 s, and nothing of it is written. Retry it until room comes.
    const back = Date.now();
    let refused = 0;
    for (;;) {
      const data = pattern(`3300B/${k}`, BLOCK);
      const res = await c.write(1, data);
      if (res.status === GOOD) {
        want.push({ kind: 'block', sha: digest(data), length: data.length });
        k++;
        break;
      }
      const s = sense(res);
      t.deepEqual([res.status, s?.key, s?.asc, s?.ascq], [CHECK_CONDITION, 0x3, 0x0c, 0x00], 'only the staging-full sense while uploads resume');
      refused++;
      if (Date.now() - back > 120_000) throw new Error('no room in the upload buffer within 120 s of RGW coming back');
    }
    t.log(`the first WRITE after RGW came back succeeded ${((Date.now() - back) / 1000).toFixed(1)} s later (${refused} refused meanwhile)`);
    // Writing goes on, the sync point and the unload complete.
    for (let i = 0; i < 4; i++) await writeOk();
    t.is((await c.writeFilemarks(1, 1, false)).status, GOOD);
    want.push({ kind: 'filemark' });
    await c.moveMedium(bases.dataTransfer, bases.storage);
    const segs = (await bucketObjects(r, `3300-outage-b/tapes/${barcode}/seg/`)).length;
    await c.moveMedium(bases.storage, bases.dataTransfer);
    await c.testUnitReady(1);
    const verified = await verifyTape(t, c, want, barcode);
    t.is(verified, want.filter((w) => w.kind === 'block').length * BLOCK);
    t.log(`verified ${verified} bytes acknowledged around the failure (${segs} segment objects in the bucket)`);
    await c.logout();
  } finally {
    await target.stop();
  }
});
