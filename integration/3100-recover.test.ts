// Disaster recovery from the bucket alone: write three tapes through the TS
// initiator (MOVE MEDIUM into a drive, WRITE(6), WRITE FILEMARKS, MOVE back
// to another slot), move more cartridges around (a mailslot, a drive), stop
// the target, delete its data dir entirely (catalog, staging) keeping only
// the store, run `s3vtl recover`, start again and check every element and
// every byte. The same runs against Ceph RGW (S3VTL_IT_RGW=0 skips it).
import { rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { IQN_PREFIX, libraryTarget } from './lib/config.ts';
import { startRgw, type Rgw } from './lib/rgw.ts';
import { pattern, TapeLibraryClient, type TapeRecord } from './lib/tape-io.ts';
import { startTarget, type Target } from './lib/target.ts';
import { run } from './lib/util.ts';

const bases = changerProfiles.get('stk-l700')!.addressBases;
const slot = (i: number) => bases.storage + i;
const mail = (i: number) => bases.importExport + i;
const drive = (i: number) => bases.dataTransfer + i;
const IQN = `${IQN_PREFIX}:library`;
const barcodes = ['RC0001L6', 'RC0002L6', 'RC0003L6', 'RC0004L6', 'RC0005L6'];

/** What tape `n` holds: two files of blocks of varied sizes. */
function content(n: number): TapeRecord[] {
  const out: TapeRecord[] = [];
  for (let file = 0; file < 2; file++) {
    const blocks = 20 + n * 7 + file * 5;
    for (let k = 0; k < blocks; k++) out.push({ kind: 'block', data: pattern(`${barcodes[n]}/${file}/${k}`, 1000 + ((k * 7919 + n * 104729) % 60000)) });
    out.push({ kind: 'filemark' });
  }
  return out;
}

async function scenario(t: import('ava').ExecutionContext, name: string, storeUrl: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const spec = libraryTarget('library', { drives: 2, slots: 10, mailslots: 2, cartridges: [{ prefix: 'RC', count: 5, media: 'L6', capacity: '256MiB', pool: 'nightly' }] });
  const target: Target = await startTarget(name, [spec], { config: { store: storeUrl, pools: { nightly: {} }, tapes: { segmentSize: '64KiB' } }, startTimeoutMs: 120_000, ...(env !== undefined && { env }) });
  try {
    let c = await TapeLibraryClient.login(target.port, IQN);
    await c.testUnitReady(0);
    // Tapes 1-3: slot i -> drive 0, write, -> slot 6+i.
    let bytes = 0;
    for (let n = 0; n < 3; n++) {
      await c.moveMedium(slot(n), drive(0));
      await c.rewind(1);
      for (const r of content(n)) {
        const res = r.kind === 'block' ? await c.write(1, r.data) : await c.writeFilemarks(1, 1);
        t.is(res.status, 0, `${barcodes[n]}: write accepted`);
        if (r.kind === 'block') bytes += r.data.length;
      }
      await c.moveMedium(drive(0), slot(6 + n));
    }
    // Tape 4 into a mailslot (export), tape 5 stays in drive 1.
    await c.moveMedium(slot(3), mail(1));
    await c.moveMedium(slot(4), drive(1));
    const before = await c.elementStatus();
    await c.logout();
    t.deepEqual([...before.entries()].sort((a, b) => a[0] - b[0]).map(([a, e]) => `${a}:${e.barcode}<-${e.source ?? '-'}`), [
      `${mail(1)}:RC0004L6<-${slot(3)}`, `${drive(1)}:RC0005L6<-${slot(4)}`,
      `${slot(6)}:RC0001L6<-${drive(0)}`, `${slot(7)}:RC0002L6<-${drive(0)}`, `${slot(8)}:RC0003L6<-${drive(0)}`,
    ].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)));

    // The gateway machine is lost: only the store survives.
    await target.stop();
    const data = path.join(target.dir, 'data');
    rmSync(data, { recursive: true, force: true });
    t.false(existsSync(data));
    const cfg = path.join(target.dir, 'config.yaml');
    const rec = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'recover', '--config', cfg, '--json'], { timeoutMs: 120_000, ...(env !== undefined && { env }) });
    t.is(rec.code, 0, rec.stderr);
    const summary = JSON.parse(rec.stdout) as { cartridges: number; fromManifests: number; fromStateOnly: string[]; bytes: number; libraries: { placed: unknown[]; stateVersion: number }[] };
    t.log(`recover summary: ${summary.cartridges} cartridges (${summary.fromManifests} from manifests, ${summary.fromStateOnly.length} from library state only), ${summary.bytes} bytes, ${summary.libraries[0]?.placed.length} placed from state v${summary.libraries[0]?.stateVersion}`);
    t.is(summary.cartridges, 5);
    t.is(summary.bytes, bytes);
    // A second recover refuses to overwrite the catalog it just made.
    const again = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'recover', '--config', cfg], { timeoutMs: 120_000, ...(env !== undefined && { env }) });
    t.is(again.code, 2);
    t.regex(again.stderr, /refusing to overwrite/);
    const human = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'recover', '--config', cfg, '--force'], { timeoutMs: 120_000, ...(env !== undefined && { env }) });
    t.is(human.code, 0, human.stderr);
    t.log(human.stdout.trim());

    await target.start();
    c = await TapeLibraryClient.login(target.port, IQN);
    await c.testUnitReady(0);
    // Every element holds what it held, with the same source element.
    t.deepEqual(await c.elementStatus(), before);
    // Every byte reads back.
    let verified = 0;
    for (let n = 0; n < 3; n++) {
      await c.moveMedium(slot(6 + n), drive(0));
      await c.rewind(1);
      const want = content(n);
      for (const [i, w] of want.entries()) {
        const got = await c.read(1, 65536);
        if (w.kind === 'filemark') {
          t.is(got.kind, 'filemark', `${barcodes[n]} record ${i}: filemark`);
        } else if (got.kind !== 'block' || !got.data.equals(w.data)) {
          t.fail(`${barcodes[n]} record ${i}: ${got.kind === 'block' ? `${got.data.length} bytes differ` : JSON.stringify(got)}`);
        } else {
          verified += got.data.length;
        }
      }
      t.is((await c.read(1, 65536)).kind, 'eod', `${barcodes[n]}: EOD after the last filemark`);
      await c.moveMedium(drive(0), slot(6 + n));
    }
    t.is(verified, bytes);
    t.log(`verified ${verified} bytes on 3 tapes and ${before.size} elements after recover`);
    // The cartridge recovered into drive 1 is loaded and usable.
    t.is((await c.testUnitReady(2)).status, 0);
    await c.logout();
  } finally {
    await target.stop();
  }
}

test.serial('recover from a dir store alone: every slot and every byte', async (t) => {
  const storeDir = path.join(process.cwd(), '.work/it/3100-store');
  rmSync(storeDir, { recursive: true, force: true });
  await scenario(t, '3100-recover', `file://${storeDir}`);
});

const withRgw = process.env.S3VTL_IT_RGW === '0' ? test.serial.skip : test.serial;
withRgw('recover from an S3 bucket (Ceph RGW) alone: every slot and every byte', async (t) => {
  let rgw: Rgw | undefined;
  try {
    rgw = await startRgw('3100-rgw', { env: { RGW_OBJECTSTORE: 'memstore', S3_BUCKETS: 'vtl3100' } });
    await scenario(t, '3100-recover-rgw', 's3://vtl3100/site1', rgw.env);
  } finally {
    await rgw?.stop();
  }
});
