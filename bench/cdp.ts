// `npm run bench -- cdp`: the CDP volume beside our plain disk LUN beside Debian's tgt, in one run.
//   - write latency p50/p99 (µs) at 4 KiB and 64 KiB, QD1 and QD8, random LBAs in the first 256 MiB;
//   - lag from a write's acknowledgement to the store holding it (newestDurable of `cdp status`,
//     polled every 50 ms through the control socket) under steady QD1 4 KiB load;
//   - store requests idle and under load (a counting proxy between s3vtl and RGW), per hour;
//   - restore MB/s of a --size volume (default 1 GiB, written in 1 MiB writes) beside RGW's raw GET
//     ceiling measured in the same run (the volume's own objects read back, 8 in flight);
//   - time from `cdp expose` to the first block read through iSCSI.
//   node --import=tsx bench/run.ts cdp [--size 1G] [--ops 2000] [--only ours]
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IQN_PREFIX, parseSize, type TargetSpec } from '../integration/lib/config.ts';
import { Initiator } from '../integration/lib/initiator.ts';
import { startRgw } from '../integration/lib/rgw.ts';
import { startTarget } from '../integration/lib/target.ts';
import { freePort, run, SHARED, workDir } from '../integration/lib/util.ts';
import { restoreToFile } from '../src/cdp/index.ts';
import { request, offline } from '../src/control/client.ts';
import { controlSocketPath } from '../src/control/protocol.ts';
import { listAll } from '../tapes/object-store.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';
import { startCountingProxy } from './s3-proxy.ts';

const { values: o } = parseArgs({ allowPositionals: true, options: { size: { type: 'string', default: '1G' }, ops: { type: 'string', default: '2000' }, only: { type: 'string' } } });
const OPS = Number(o.ops);
const SPAN = 256 * 1024 * 1024;
const IQN = `${IQN_PREFIX}:bench-cdp`;
const VOLUME = 't0-disk1';

interface Lun { ini: Initiator; lun: number }

function parseUrl(url: string): { port: number; iqn: string; lun: number } {
  const m = /^iscsi:\/\/[^/]*?:(\d+)\/([^/]+)\/(\d+)$/.exec(url);
  if (!m) throw new Error(`cannot parse ${url}`);
  return { port: Number(m[1]), iqn: m[2]!, lun: Number(m[3]) };
}

async function open(port: number, iqn: string, lun: number): Promise<Lun> {
  const ini = await Initiator.login({ host: '127.0.0.1', port, targetName: iqn, initiatorName: 'iqn.2026-11.org.s3vtl:bench-cdp' });
  for (let i = 0; i < 5 && (await ini.command(lun, Buffer.alloc(6))).status !== 0; i++);
  return { ini, lun };
}

const write10 = (lba: number, blocks: number): Buffer => {
  const c = Buffer.alloc(10);
  c[0] = 0x2a;
  c.writeUInt32BE(lba, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
};

/** Per-command write latencies in µs; `qd` workers each keep one command in flight. */
async function latencies(l: Lun, bs: number, qd: number, ops: number): Promise<number[]> {
  const data = Buffer.alloc(bs, 0xa5);
  const blocks = bs / 512;
  const out: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: qd }, async () => {
    while (next < ops) {
      next++;
      const lba = Math.floor(Math.random() * (SPAN / bs)) * blocks;
      const t0 = process.hrtime.bigint();
      const r = await l.ini.command(l.lun, write10(lba, blocks), { dataOut: data });
      out.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (r.status !== 0) throw new Error(`WRITE failed: status ${r.status}`);
    }
  }));
  return out.sort((a, b) => a - b);
}

const pct = (s: number[], p: number): number => Math.round(s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN);

async function durable(data: string): Promise<number> {
  const s = await request(controlSocketPath(data), 'cdp.status', { volume: VOLUME });
  if (s === offline || s.newestDurable === null) return 0;
  return Date.parse(s.newestDurable);
}

const rgw = await startRgw('bench-cdp-rgw', { env: { RGW_OBJECTSTORE: 'memstore', S3_BUCKETS: 'benchcdp' } });
const proxy = await startCountingProxy(rgw.env.S3_ENDPOINT!);
const env = { ...rgw.env, S3_ENDPOINT: proxy.endpoint };
const spec: TargetSpec = { iqn: IQN, luns: [{ lun: 0, type: 'disk', size: '2GiB' }, { lun: 1, type: 'disk', size: o.size!.replace(/G$/, 'GiB'), cdp: {} }] };
const target = await startTarget('bench-cdp', [spec], { kind: 'ours', config: { store: 's3://benchcdp/cdp' }, env, startTimeoutMs: 120_000 });
const data = path.join(target.dir, 'data');
let tgtStop: (() => Promise<void>) | undefined;
const rows: string[] = [];
try {
  const sides: [string, Lun][] = [['ours plain', await open(target.port, IQN, 0)], ['ours CDP', await open(target.port, IQN, 1)]];
  if (o.only !== 'ours') {
    const dir = workDir('bench-cdp-tgt');
    const tenv = { PORT: String(await freePort()), DISK_MB: '2048', TAPE_MB: '64', NUM_DRIVES: '1', NUM_TAPES: '1' };
    const script = path.join(SHARED, 'tools/tgt-ref.sh');
    tgtStop = async () => { await run('bash', [script, 'stop', dir], { env: tenv }); };
    const r = await run('bash', [script, 'start', dir], { env: tenv });
    const url = /^disk\s*: (\S+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || url === undefined) throw new Error(`tgt-ref.sh start: ${r.stderr}`);
    const u = parseUrl(url);
    sides.unshift(['tgt', await open(u.port, u.iqn, u.lun)]);
  }
  rows.push('write latency (µs)        p50      p99');
  for (const [bs, ops] of [[4096, OPS], [65536, Math.max(100, OPS / 4)]] as const) {
    for (const qd of [1, 8]) {
      for (const [name, l] of sides) {
        const s = await latencies(l, bs, qd, ops);
        rows.push(`${`${bs / 1024} KiB QD${qd} ${name}`.padEnd(24)} ${String(pct(s, 50)).padStart(7)}  ${String(pct(s, 99)).padStart(7)}`);
      }
    }
  }
  process.stdout.write(rows.join('\n') + '\n');

  // Idle: no request at all is the goal.
  const cdpLun = sides.find(([n]) => n === 'ours CDP')![1];
  await new Promise((r) => setTimeout(r, 3000));
  proxy.reset();
  await new Promise((r) => setTimeout(r, 30_000));
  const idle = proxy.counts().requests;
  // Steady load (QD1 4 KiB for 20 s), polling the durable instant.
  proxy.reset();
  const acks: number[] = [];
  const lags: number[] = [];
  let loading = true;
  const t0 = Date.now();
  const poller = (async () => {
    while (loading || acks.length > 0) {
      const d = await durable(data);
      const now = Date.now();
      while (acks.length > 0 && acks[0]! < d) lags.push(now - acks.shift()!);
      await new Promise((r) => setTimeout(r, 50));
      if (!loading && now - t0 > 60_000) break;
    }
  })();
  const buf = Buffer.alloc(4096, 0x3c);
  while (Date.now() - t0 < 20_000) {
    await cdpLun.ini.command(cdpLun.lun, write10(Math.floor(Math.random() * (SPAN / 4096)) * 8, 8), { dataOut: buf });
    acks.push(Date.now());
  }
  loading = false;
  await poller;
  const loadSecs = (Date.now() - t0) / 1000;
  const loaded = proxy.counts().requests;
  lags.sort((a, b) => a - b);
  process.stdout.write(`lag ack -> store (ms)     p50 ${pct(lags, 50)}  p99 ${pct(lags, 99)}  (${lags.length} writes)\n`);
  process.stdout.write(`store requests per hour   idle ${Math.round(idle * 120)}  under load ${Math.round((loaded / loadSecs) * 3600)}\n`);

  // Fill the volume, then restore it from RGW beside the raw GET ceiling over the same objects.
  const total = parseSize(o.size!);
  const mib = Buffer.alloc(1 << 20, 0x5a);
  for (let off = 0; off < total; off += 1 << 20) await cdpLun.ini.command(cdpLun.lun, write10(off / 512, 2048), { dataOut: mib });
  await request(controlSocketPath(data), 'cdp.drain', { volume: VOLUME });
  Object.assign(process.env, rgw.env);
  const store = S3ObjectStore.fromUrl('s3://benchcdp/cdp');
  const file = path.join(target.dir, 'restore.img');
  const r0 = Date.now();
  const restored = await restoreToFile(store, '', VOLUME, { newest: true }, file);
  const restoreSecs = (Date.now() - r0) / 1000;
  await rm(file, { force: true });
  const keys: string[] = [];
  for await (const x of listAll(store, `cdp/${VOLUME}/`)) keys.push(x.key);
  const g0 = Date.now();
  let got = 0;
  let i = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (i < keys.length) got += (await store.get(keys[i++]!)).length;
  }));
  const getSecs = (Date.now() - g0) / 1000;
  process.stdout.write(`restore ${(restored.bytes / 1e6 / restoreSecs).toFixed(1)} MB/s of ${restored.bytes} bytes; raw GET ceiling ${(got / 1e6 / getSecs).toFixed(1)} MB/s (${keys.length} objects, ${got} bytes)\n`);
  store.close();

  // expose -> first block.
  const e0 = Date.now();
  const ex = await request(controlSocketPath(data), 'cdp.expose', { volume: VOLUME, at: new Date().toISOString() });
  if (ex === offline) throw new Error('serve is not answering');
  const pit = await open(target.port, ex.iqn, ex.lun);
  const rd = Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
  await pit.ini.command(pit.lun, rd, { readLength: 4096 });
  process.stdout.write(`expose -> first block     ${Date.now() - e0} ms\n`);
  await pit.ini.logout().catch(() => undefined);
  for (const [, l] of sides) await l.ini.logout().catch(() => undefined);
} finally {
  await target.stop();
  await tgtStop?.();
  await proxy.close();
  await rgw.stop();
}
