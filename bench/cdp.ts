// `npm run bench -- cdp [--size 1G] [--commands 2000] [--lag-seconds 30] [--idle-seconds 30]`:
// the CDP volume in one run on one machine, each figure beside its goal:
//   1. write latency p50/p99 (4 KiB and 64 KiB, queue depth 1 and 8) of the CDP volume beside
//      our plain disk LUN beside Debian's tgt (../shared/tools/tgt-ref.sh), case by case, through
//      the project's initiator (integration/lib/initiator.ts, commands in flight on one session);
//      every target's written region is read back against a model;
//   2. the volume is filled (256 KiB writes) so a restore has a whole image to fetch;
//   3. lag from a write's acknowledgement to its journal object being listed in RGW, under a
//      steady 4 KiB load (qd1, 10 ms apart), from a direct S3 client polling the journal keys
//      (their time ranges) every 50 ms: a figure is late by up to one poll;
//   4. store requests during that load and during an idle window (begun once status says
//      nothing is left to store: a base begun under load finishes first), from the counting proxy
//      (bench/s3-proxy.ts) the gateway talks through, extrapolated to an hour;
//   5. `cdp restore --newest` MB/s from RGW beside RGW's raw GET rate of the volume's objects
//      (same proxy, 8 in flight as restore uses), and the restored image checked byte for byte;
//   6. time from `cdp expose` to the first block read through iSCSI on the exposed LUN.
// The last line says whether every byte verified; the exit code is 1 when one did not.
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { cdpInProcess } from '../integration/lib/cdp.ts';
import { startRgw, type Rgw } from '../integration/lib/rgw.ts';
import { s3Client } from '../integration/lib/store.ts';
import { startTarget, type Target } from '../integration/lib/target.ts';
import { freePort, run, SHARED, sleep, workDir } from '../integration/lib/util.ts';
import { BLOCK, fill, Lun, Payload, writeLatency, type Latency } from './cdp-latency.ts';
import { getCeiling, JournalWatch, lagFigures, listObjects, wallMs } from './cdp-store.ts';
import { type CountingProxy, startCountingProxy } from './s3-proxy.ts';

export interface CdpBenchOptions { size: number; commands: number; lagSeconds: number; idleSeconds: number }

const MiB = 2 ** 20;
const BUCKET = 's3vtl-bench-cdp';
const IQN = 'iqn.2026-11.org.s3vtl:bench-cdp';
const VOLUME = 't0-disk1';
const REGION = 64 * MiB; // where the latency writes land
const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const goal = (ok: boolean): string => (ok ? 'met' : 'NOT met');

async function startTgt(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = workDir('bench-cdp-tgt');
  const env = { PORT: String(await freePort()), DISK_MB: String(REGION / MiB), TAPE_MB: '64', NUM_DRIVES: '1', NUM_TAPES: '1' };
  const script = path.join(SHARED, 'tools/tgt-ref.sh');
  const stop = async () => { await run('bash', [script, 'stop', dir], { env }); };
  const r = await run('bash', [script, 'start', dir], { env });
  if (r.code !== 0) { await stop(); throw new Error(`tgt-ref.sh start: ${r.stderr}`); }
  const url = /^disk\s*: (\S+)$/m.exec(r.stdout)?.[1];
  if (!url) { await stop(); throw new Error(`tgt-ref.sh printed no disk URL:\n${r.stdout}`); }
  return { url, stop };
}

/** First byte where the file differs from the model, -1 if none. */
async function compareFile(file: string, model: Buffer): Promise<number> {
  const fh = await open(file, 'r');
  try {
    if ((await fh.stat()).size !== model.length) return Math.min((await fh.stat()).size, model.length);
    const buf = Buffer.alloc(16 * MiB);
    for (let off = 0; off < model.length; off += buf.length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, model.length - off), off);
      const want = model.subarray(off, off + bytesRead);
      if (!buf.subarray(0, bytesRead).equals(want)) for (let i = 0; i < bytesRead; i++) if (buf[i] !== want[i]) return off + i;
    }
    return -1;
  } finally {
    await fh.close();
  }
}

export async function benchCdp(o: CdpBenchOptions): Promise<boolean> {
  const size = Math.max(o.size, REGION);
  const failures: string[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  const rows: [string, string, string][] = [];
  const onSignal = () => { void Promise.allSettled(cleanup.reverse().map((c) => c())).then(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const rgw: Rgw = await startRgw('bench-cdp-rgw');
    cleanup.push(() => rgw.stop(true));
    const proxy: CountingProxy = await startCountingProxy(rgw.env.S3_ENDPOINT!);
    cleanup.push(() => proxy.close());
    const direct = s3Client(rgw.env);
    await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const env = { ...rgw.env, S3_ENDPOINT: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL: proxy.endpoint };
    const store = `s3://${BUCKET}/b`;
    const target: Target = await startTarget('bench-cdp', [{ iqn: IQN, luns: [
      { lun: 0, type: 'disk', size: `${REGION / MiB}MiB` },
      { lun: 1, type: 'disk', size: `${size / MiB}MiB`, cdp: {} },
    ] }], { kind: 'ours', env, startTimeoutMs: 120_000, config: { store } });
    cleanup.push(() => target.stop());
    const tgt = await startTgt();
    cleanup.push(() => tgt.stop());
    // The in-process CLI (restore, expose) reaches the store as the gateway does.
    Object.assign(process.env, env);
    const cli = ['--config', path.join(target.dir, 'config.yaml'), '--data', path.join(target.dir, 'data')];
    const load = `${(await import('node:os')).loadavg()[0]!.toFixed(1)}`;

    // ---- 1. write latency, case by case: plain, CDP, tgt ----
    const payload = new Payload();
    const sides = {
      plain: await Lun.open(target.url(IQN, 0), 'iqn.2026-11.org.s3vtl:bench-plain', Buffer.alloc(REGION)),
      cdp: await Lun.open(target.url(IQN, 1), 'iqn.2026-11.org.s3vtl:bench-cdp', Buffer.alloc(size)),
      tgt: await Lun.open(tgt.url, 'iqn.2026-11.org.s3vtl:bench-tgt', Buffer.alloc(REGION)),
    };
    const lat = new Map<string, Latency>();
    for (const [bs, qd] of [[4096, 1], [4096, 8], [65536, 1], [65536, 8]] as const) {
      const commands = bs === 4096 ? o.commands : Math.max(100, Math.round(o.commands / 4));
      for (const [name, lun] of Object.entries(sides)) {
        const r = await writeLatency(lun, payload, { bs, qd, commands, region: REGION });
        lat.set(`${bs}|${qd}|${name}`, r);
        console.error(`${bs / 1024} KiB qd${qd} ${name}: p50 ${f(r.p50us, 0)} µs p99 ${f(r.p99us, 0)} µs, ${f(r.MBps)} MB/s, ${commands} writes`);
      }
    }
    for (const name of ['plain', 'tgt'] as const) {
      const at = await sides[name].verify(REGION);
      if (at >= 0) failures.push(`${name}: read-back differs from what was written at byte ${at}`);
      await sides[name].close();
    }

    // ---- 2. fill the volume (restore then has a whole image to fetch) ----
    const fillMBps = await fill(sides.cdp, payload, size);
    console.error(`filled ${size / MiB} MiB at ${f(fillMBps)} MB/s`);
    const liveAt = await sides.cdp.verify(Math.min(size, 2 * REGION));
    if (liveAt >= 0) failures.push(`CDP live read differs at byte ${liveAt}`);
    // Everything so far shipped before the lag window starts.
    await cdpInProcess(['status', VOLUME, '--json', ...cli]);
    const watch = new JournalWatch(direct, BUCKET, `b/cdp/${VOLUME}/jnl/`);
    for (let i = 0; i < 600; i++) {
      const s = await cdpInProcess(['status', VOLUME, '--json', ...cli]);
      if (s.error === undefined && (JSON.parse(s.out) as { lagMs: number }).lagMs === 0) break;
      await sleep(200);
    }

    // ---- 3 + 4. steady 4 KiB load: lag, requests under load ----
    proxy.reset();
    const acks: { sent: number; acked: number }[] = [];
    const tLoad = Date.now();
    while (Date.now() - tLoad < o.lagSeconds * 1000) {
      const lba = Math.floor(Math.random() * (size / 4096)) * 8;
      const data = payload.next(4096);
      const sent = wallMs();
      await sides.cdp.write(lba, data);
      acks.push({ sent, acked: wallMs() });
      await sleep(10);
    }
    const loadS = (Date.now() - tLoad) / 1000;
    const underLoad = proxy.counts();
    for (let i = 0; i < 200 && watch.newest() < acks.at(-1)!.sent; i++) await sleep(50);
    await watch.stop();
    const lag = lagFigures(watch.lags(acks));
    if (lag.unseen > 0) failures.push(`${lag.unseen} acknowledged writes never appeared in a journal object in the store`);

    // ---- idle window: once the volume has stored everything (the last object, a base begun under load) ----
    const tSettle = Date.now();
    for (let i = 0; i < 3000; i++) {
      const s = await cdpInProcess(['status', VOLUME, '--json', ...cli]);
      if (s.error === undefined && !(JSON.parse(s.out) as { shipping: boolean }).shipping) break;
      await sleep(200);
    }
    const settleS = (Date.now() - tSettle) / 1000;
    console.error(`load's objects and base stored ${f(settleS)} s after the load`);
    proxy.reset();
    await sleep(o.idleSeconds * 1000);
    const idle = proxy.counts();

    // ---- 5. restore vs GET ceiling ----
    await sides.cdp.close();
    const file = path.join(target.dir, 'restored.img');
    await rm(file, { force: true });
    const t0 = performance.now();
    const rs = await cdpInProcess(['restore', VOLUME, '--newest', '--to', file, '--json', ...cli]);
    const restoreS = (performance.now() - t0) / 1000;
    if (rs.error) failures.push(`restore: ${rs.error.message}`);
    else {
      const at = await compareFile(file, sides.cdp.model!);
      if (at >= 0) failures.push(`restored image differs from what was written at byte ${at}`);
    }
    await rm(file, { force: true });
    const objects = await listObjects(direct, BUCKET, `b/cdp/${VOLUME}/`);
    const ceiling = await getCeiling(s3Client(env), BUCKET, objects, 8);
    const restoreMBps = size / 1e6 / restoreS;

    // ---- 6. expose -> first block ----
    const te = performance.now();
    const ex = await cdpInProcess(['expose', VOLUME, '--at', new Date().toISOString(), '--json', ...cli]);
    let exposeMs = NaN;
    if (ex.error) failures.push(`expose: ${ex.error.message}`);
    else {
      const e = JSON.parse(ex.out) as { iqn: string; lun: number };
      const pit = await Lun.open(`iscsi://127.0.0.1:${target.port}/${e.iqn}/${e.lun}`, 'iqn.2026-11.org.s3vtl:bench-pit');
      const first = await pit.read(0, 8);
      exposeMs = performance.now() - te;
      if (!first.equals(sides.cdp.model!.subarray(0, 8 * BLOCK))) failures.push('the exposed LUN\'s first block differs from what was written');
      await pit.close();
      await cdpInProcess(['unexpose', VOLUME, ...cli]);
    }

    // ---- the table ----
    const perHour = (n: number, s: number) => (n / s) * 3600;
    console.log(`\ncdp: one run, load average ${load} at start; volume ${size / MiB} MiB on Ceph RGW (loopback, through a counting proxy); latencies from the project's initiator (Node), µs`);
    for (const [bs, qd] of [[4096, 1], [4096, 8], [65536, 1], [65536, 8]] as const) {
      const g = (n: string) => lat.get(`${bs}|${qd}|${n}`)!;
      const [p, c, t] = [g('plain'), g('cdp'), g('tgt')];
      const ratio = c.p99us / p.p99us;
      rows.push([`write ${bs / 1024}K qd${qd} p50/p99`, `cdp ${f(c.p50us, 0)}/${f(c.p99us, 0)}  plain ${f(p.p50us, 0)}/${f(p.p99us, 0)}  tgt ${f(t.p50us, 0)}/${f(t.p99us, 0)}`,
        `cdp p99 ${f(ratio, 2)}x plain (goal <= 1.25: ${goal(ratio <= 1.25)})`]);
      rows.push([`  MB/s`, `cdp ${f(c.MBps)}  plain ${f(p.MBps)}  tgt ${f(t.MBps)}`,
        bs === 4096 ? `plain ${f(p.MBps / t.MBps, 2)}x tgt (goal >= 1: ${goal(p.MBps >= t.MBps)})` : '']);
    }
    rows.push(['lag ack -> in RGW p50/p99', `${f(lag.p50, 0)}/${f(lag.p99, 0)} ms`, `goal p99 <= 1000 ms: ${goal(lag.p99 <= 1000)} (${acks.length} 4K writes over ${f(loadS)} s, polled every 50 ms)`]);
    rows.push(['requests/h under load', f(perHour(underLoad.requests, loadS), 0), `goal <= 3600: ${goal(perHour(underLoad.requests, loadS) <= 3600)} (${underLoad.requests} in ${f(loadS)} s, extrapolated; ${Object.entries(underLoad.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})`]);
    rows.push(['requests/h idle', f(perHour(idle.requests, o.idleSeconds), 0), `goal 0: ${goal(idle.requests === 0)} (${idle.requests} in ${o.idleSeconds} s, extrapolated; counted once everything was stored, ${f(settleS)} s after the load)`]);
    rows.push(['restore --newest', `${f(restoreMBps)} MB/s`, `${size / MiB} MiB in ${f(restoreS, 2)} s`]);
    rows.push(['RGW GET ceiling', `${f(ceiling.MBps)} MB/s`, `${objects.length} objects of the volume, ${f(ceiling.bytes / MiB)} MiB, 8 in flight; restore ${f(restoreMBps / ceiling.MBps, 2)}x (goal >= 0.8: ${goal(restoreMBps >= 0.8 * ceiling.MBps)})`]);
    rows.push(['expose -> first block', `${f(exposeMs, 0)} ms`, `goal < 2000 ms: ${goal(exposeMs < 2000)} (expose in process, login, READ of LBA 0)`]);
    rows.push(['fill', `${f(fillMBps)} MB/s`, '256 KiB writes, qd8, CDP volume']);
    for (const [a, b, c] of rows) console.log(`${a.padEnd(28)} ${b.padEnd(48)} ${c}`);
  } catch (e) {
    failures.push(`bench failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    for (const c of cleanup.reverse()) await c().catch((e: unknown) => console.error(`cleanup: ${String(e)}`));
  }
  console.log(failures.length === 0 ? 'data verified: every target read back what was written; the restored image and the exposed LUN match the model'
    : `DATA NOT VERIFIED: ${failures.join('; ')}`);
  return failures.length === 0;
}
