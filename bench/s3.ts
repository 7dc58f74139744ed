// `npm run bench -- s3`: tape writes through a drive into the S3 store, beside the raw S3 PUT
// ceiling of the same gateway, measured in the same run. One Ceph RGW (../shared/s3/start-rgw)
// is started for the run; s3vtl and the ceiling client both reach it through a counting proxy
// (bench/s3-proxy.ts) that tells requests apart by method and key kind, independent of our code.
// Per rep:
//   1. MOVE MEDIUM a fresh cartridge into the drive;
//   2. iscsi-tape-bench --mode write (WRITE(6) stream + WRITE FILEMARKS): the "staging" rate;
//   3. LOAD UNLOAD (unload): seals, uploads and commits everything: with it, the "to S3" rate;
//   4. bench/s3-ceiling.ts: as many single PUTs (or multipart uploads, whichever the gateway
//      used) of the gateway's segment size as the write produced, 4 objects in flight (the
//      uploader's), a multipart one 4 parts at a time (lib-storage queueSize): 16 PUTs at once;
//      then, untimed, RGW's garbage collection of the objects it deleted (reclaim());
//   5. optionally (--verify) load it again and read it back from the bucket, byte-checked.
// Prints medians, the ratio to the ceiling, and S3 requests per GiB written (steps 2-3).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { libraryTarget } from '../integration/lib/config.ts';
import { Initiator, senseTriple } from '../integration/lib/initiator.ts';
import { type BenchJson, tapeBench } from '../integration/lib/iscsi.ts';
import { startRgw, type Rgw } from '../integration/lib/rgw.ts';
import { s3Client } from '../integration/lib/store.ts';
import { startTarget, type Target } from '../integration/lib/target.ts';
import { ROOT, run } from '../integration/lib/util.ts';
import { type Counts, startCountingProxy, type CountingProxy } from './s3-proxy.ts';
import { runProblem } from './verdict.ts';

export interface S3BenchOptions {
  size: string; // bytes per rep, e.g. 1G
  reps: number;
  verify: boolean;
  /** tapes.segmentSize for the target; undefined = the product's default for an S3 store. */
  segment?: string;
  /** extra s3:// query, e.g. "multipartThreshold=16777216&partSize=16777216" (the old defaults). */
  query?: string;
  concurrency: number;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const BUCKET = 's3vtl-bench';
const IQN = 'iqn.2026-11.org.s3vtl:bench';

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

function parseBytes(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase());
}

/** Bytes under a directory (the staging area), 0 if missing. */
function duBytes(dir: string): number {
  let n = 0;
  let names: string[];
  try { names = readdirSync(dir); } catch { return 0; }
  for (const name of names) {
    const p = path.join(dir, name);
    try {
      const st = statSync(p);
      n += st.isDirectory() ? duBytes(p) : st.size;
    } catch { /* removed meanwhile */ }
  }
  return n;
}

const vmHwm = (pid?: number): number => {
  try { return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024; } catch { return NaN; }
};

class Changer {
  private constructor(readonly ini: Initiator, readonly transport: number, readonly firstSlot: number, readonly drive: number) {}

  static async open(port: number): Promise<Changer> {
    const ini = await Initiator.login({ host: '127.0.0.1', port, targetName: IQN, initiatorName: 'iqn.2026-11.org.s3vtl:bench-loader' });
    for (let i = 0; i < 10; i++) if ((await ini.command(0, Buffer.alloc(6))).status === 0) break;
    for (let i = 0; i < 10; i++) if ((await ini.command(1, Buffer.alloc(6))).status === 0 || i > 3) break;
    const ms = await ini.command(0, Buffer.from([0x1a, 0x08, 0x1d, 0, 255, 0]), { readLength: 255 });
    check('MODE SENSE 1Dh', ms);
    const pg = ms.data.subarray(4 + ms.data[3]!);
    return new Changer(ini, pg.readUInt16BE(2), pg.readUInt16BE(6), pg.readUInt16BE(14));
  }

  async move(from: number, to: number): Promise<void> {
    const t = this.transport;
    check(`MOVE MEDIUM ${from} -> ${to}`, await this.ini.command(0, Buffer.from([0xa5, 0, t >> 8, t & 255, from >> 8, from & 255, to >> 8, to & 255, 0, 0, 0, 0])));
  }

  /** LOAD UNLOAD on the drive (LUN 1); unload = seal, upload and commit the cartridge. */
  async loadUnload(load: boolean): Promise<void> {
    for (let i = 0; ; i++) {
      const r = await this.ini.command(1, Buffer.from([0x1b, 0, 0, 0, load ? 1 : 0, 0]));
      const s = senseTriple(r.sense);
      if (r.status === 0x02 && s?.key === 0x6 && i < 5) continue; // a unit attention first
      check(load ? 'LOAD' : 'UNLOAD', r);
      return;
    }
  }

  close(): Promise<void> {
    return this.ini.logout().catch(() => this.ini.destroy());
  }
}

/**
 * The ceiling deletes what it wrote, and RGW's garbage collector reclaims it
 * later (start-rgw sets rgw gc obj min wait = 30 s): some 1300 RADOS deletes,
 * which used to land in the middle of the next rep's tape write and slow it
 * to about two thirds. Reclaim them now, untimed, so every timed phase starts
 * on an idle gateway.
 */
async function reclaim(rgw: Rgw): Promise<void> {
  const r = await run('radosgw-admin', ['-c', path.join(rgw.env.RGW_DATA_DIR!, 'ceph.conf'), 'gc', 'process', '--include-all'], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`radosgw-admin gc process: ${r.stderr.trim().split('\n').slice(-3).join('\n')}`);
  console.error(`rgw gc: deleted objects reclaimed in ${(r.ms / 1000).toFixed(1)} s (untimed)`);
}

function check(what: string, r: { status: number; sense: Buffer }): void {
  if (r.status !== 0) throw new Error(`${what}: status ${r.status} sense ${JSON.stringify(senseTriple(r.sense))}`);
}

interface Rep {
  bytes: number;
  stagingMBps: number; // write + filemark (GOOD = durable in staging)
  s3MBps: number; // write + filemark + unload (everything in the bucket)
  unloadS: number;
  ceilingMBps: number;
  ceilingPhase: string;
  ceilingQueue: number; // parts of one object in flight (lib-storage queueSize)
  counts: Counts;
  segmentBytes: number;
  segments: number;
  stagingPeak: number;
  readMBps: number;
  readRequests: number; // S3 requests while reading it back (load + read)
}

export async function benchS3(o: S3BenchOptions): Promise<void> {
  const bytesPerRep = parseBytes(o.size);
  let rgw: Rgw | undefined;
  let proxy: CountingProxy | undefined;
  let target: Target | undefined;
  let changer: Changer | undefined;
  const reps: Rep[] = [];
  try {
    rgw = await startRgw('bench-rgw', { env: { RGW_OBJECTSTORE: process.env.S3VTL_BENCH_RGW_OBJECTSTORE ?? 'bluestore' } });
    console.error(`rgw on ${rgw.env.S3_ENDPOINT}`);
    proxy = await startCountingProxy(rgw.env.S3_ENDPOINT!);
    const direct = s3Client(rgw.env);
    await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // s3vtl (and the ceiling client) see the proxy as the endpoint
    const env = { ...rgw.env, S3_ENDPOINT: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL: proxy.endpoint };
    const capacity = `${Math.max(4, Math.ceil((bytesPerRep * 1.25) / GiB))}GiB`;
    const spec = libraryTarget('bench', { name: 'bench', drives: 1, slots: 2 * o.reps + 1, mailslots: 0,
      cartridges: [{ prefix: 'S3B', count: o.reps, media: 'L6', capacity }] });
    const store = `s3://${BUCKET}/tape${o.query ? `?${o.query}` : ''}`;
    target = await startTarget('bench-s3', [spec], {
      kind: 'ours', env, startTimeoutMs: 120_000,
      config: { store, ...(o.segment !== undefined && { tapes: { segmentSize: o.segment } }) },
    });
    const startup = proxy.counts();
    changer = await Changer.open(target.port);
    const staging = path.join(target.dir, 'data', 'staging');
    for (let rep = 0; rep < o.reps; rep++) {
      const slot = changer.firstSlot + rep;
      await changer.move(slot, changer.drive);
      await changer.loadUnload(true).catch(() => undefined); // library drives auto-load; LOAD is then a no-op
      proxy.reset();
      let stagingPeak = 0;
      const sampler = setInterval(() => { stagingPeak = Math.max(stagingPeak, duBytes(staging)); }, 250);
      const t0 = performance.now();
      let w: Awaited<ReturnType<typeof tapeBench>>;
      let tWritten: number;
      try {
        w = await tapeBench(target.url(IQN, 1), ['--mode', 'write', '--size', o.size, '--seed', String(rep + 1)], { timeoutMs: 3_600_000 });
        tWritten = performance.now();
        if (!w.json?.ok) throw new Error(`iscsi-tape-bench write: ${w.json?.error ?? w.stderr.trim()}`);
        await changer.loadUnload(false);
      } finally {
        clearInterval(sampler);
      }
      const tDone = performance.now();
      for (let i = 0; i < 100 && proxy.inFlight() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      const counts: Counts = proxy.counts();
      const j = w.json as BenchJson & { bytes: number };
      const bytes = j.bytes;
      // The write itself: iscsi-tape-bench's own clock (data + filemark); the unload on ours.
      const writeS = bytes / 1e6 / Number(j.write_incl_flush_MBps);
      const unloadS = (tDone - tWritten) / 1000;
      // Segment objects as they landed in the bucket (read directly, not through our code).
      const segs: number[] = [];
      let token: string | undefined;
      do {
        const l = await direct.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `tape/tapes/S3B${String(rep + 1).padStart(3, '0')}L6/seg/`, ...(token ? { ContinuationToken: token } : {}) }));
        for (const x of l.Contents ?? []) segs.push(x.Size ?? 0);
        token = l.IsTruncated ? l.NextContinuationToken : undefined;
      } while (token);
      const segmentBytes = Math.max(...segs);
      // The ceiling: the same object size, count and concurrency, through the same proxy.
      const multipart: boolean = Object.keys(counts.byKind).some((k) => k.startsWith('PUT part'));
      const sizeMiB = Math.max(1, Math.round(segmentBytes / MiB));
      const c = await run(process.execPath, ['--import=tsx', 'bench/s3-ceiling.ts', '--store', `s3://${BUCKET}/ceiling${o.query ? `?${o.query}` : ''}`,
        '--objects', String(Math.max(o.concurrency, segs.length)), '--size', String(sizeMiB), '--single', String(sizeMiB),
        '--concurrency', String(o.concurrency), '--skip', 'store', '--skip', multipart ? 'single' : 'multipart'], { env, timeoutMs: 1_800_000, cwd: ROOT });
      await reclaim(rgw);
      const cj = JSON.parse(c.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{')) ?? '{}') as Record<string, { MBps?: number } | undefined>;
      const phase = multipart ? 'multipart' : 'single';
      const ceilingMBps = Number(cj[phase]?.MBps);
      if (!Number.isFinite(ceilingMBps)) console.error(`s3-ceiling failed: ${c.stderr.trim().split('\n').slice(-5).join('\n')}`);
      let readMBps = NaN;
      let readRequests = NaN;
      if (o.verify) {
        await changer.loadUnload(true);
        const before = proxy.counts().requests;
        const r = await tapeBench(target.url(IQN, 1), ['--mode', 'read', '--size', o.size, '--seed', String(rep + 1)], { timeoutMs: 3_600_000 });
        const problem = r.json === undefined ? `no result: ${r.stderr.trim()}` : runProblem(r.json, true);
        if (problem !== undefined) throw new Error(`rep ${rep + 1}: read back from the bucket: ${problem}`);
        readMBps = Number(r.json?.read_MBps);
        readRequests = proxy.counts().requests - before;
        await changer.loadUnload(false);
      }
      await changer.move(changer.drive, changer.firstSlot + o.reps + rep);
      const rr: Rep = {
        bytes, stagingMBps: Number(j.write_incl_flush_MBps), s3MBps: bytes / 1e6 / (writeS + unloadS), unloadS,
        ceilingMBps, ceilingPhase: phase, ceilingQueue: Number((cj as Record<string, unknown>).queue_size), counts, segmentBytes, segments: segs.length, stagingPeak, readMBps, readRequests,
      };
      reps.push(rr);
      console.error(`rep ${rep + 1}: staging ${f1(rr.stagingMBps)} MB/s (WRITEs ${f1(Number(j.write_MBps))} MB/s, WRITE FILEMARKS ${Number(j.flush_s).toFixed(2)} s), to S3 ${f1(rr.s3MBps)} MB/s (unload ${rr.unloadS.toFixed(1)} s), ceiling ${f1(ceilingMBps)} MB/s, ${counts.requests} requests, ${segs.length} segments of ${sizeMiB} MiB${o.verify ? `, read ${f1(readMBps)} MB/s verified` : ''}`);
    }
    // ---- the table ----
    const m = (k: (r: Rep) => number): number => median(reps.map(k));
    const perGiB = (r: Rep): number => r.counts.requests / (r.bytes / GiB);
    const last = reps[reps.length - 1]!;
    const byKind = Object.entries(last.counts.byKind).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    const ratio = m((r) => r.s3MBps / r.ceilingMBps);
    console.log(`\ns3: ${o.reps} rep(s) of ${f1(last.bytes / MiB)} MiB (variable 256 KiB blocks, qd1) into ${store} on Ceph RGW (loopback, through a counting proxy); medians, MB = 10^6 B`);
    const rows: [string, string, string][] = [
      ['tape write, durable in staging', f1(m((r) => r.stagingMBps)), 'MB/s (iscsi-tape-bench write + filemark)'],
      ['tape write, durable in S3', f1(m((r) => r.s3MBps)), `MB/s (+ UNLOAD: sealed, uploaded, committed; unload ${m((r) => r.unloadS).toFixed(1)} s)`],
      ['S3 PUT ceiling, same RGW', f1(m((r) => r.ceilingMBps)), `MB/s (${Math.max(o.concurrency, last.segments)} x ${last.ceilingPhase} ${f1(last.segmentBytes / MiB)} MiB, ${o.concurrency} objects in flight${last.ceilingPhase === 'multipart' ? `, each ${last.ceilingQueue} parts at a time` : ''})`],
      ['ratio to ceiling', m((r) => r.s3MBps / r.ceilingMBps).toFixed(2), `(goal >= 0.8: ${ratio >= 0.8 ? 'met' : 'NOT met'})`],
      ['S3 requests per GiB', f1(m(perGiB)), `(goal <= 16: ${m(perGiB) <= 16 ? 'met' : 'NOT met'}; ${last.counts.requests} requests for ${f1(last.bytes / MiB)} MiB, write + unload)`],
      ['segments', String(last.segments), `of ${f1(last.segmentBytes / MiB)} MiB (largest)`],
      ['staging peak', f1(m((r) => r.stagingPeak) / MiB), 'MiB on disk under <data>/staging during the write'],
      ['target peak RSS', f1(vmHwm(target.pid()) / MiB), 'MiB (VmHWM)'],
      ...(o.verify ? [['read back from S3', f1(m((r) => r.readMBps)), `MB/s (after unload + load, every byte verified; ${f1(m((r) => r.readRequests / (r.bytes / GiB)))} requests per GiB)`] as [string, string, string]] : []),
    ];
    for (const [a, b, c] of rows) console.log(`${a.padEnd(32)} ${b.padStart(9)}  ${c}`);
    console.log(`requests (last rep): ${byKind}`);
    console.log(`startup (not counted above): ${Object.entries(startup.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  } finally {
    await changer?.close();
    await target?.stop();
    await proxy?.close();
    await rgw?.stop(true);
  }
}
