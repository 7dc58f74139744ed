// Crash safety (kill -9) during streamed writes to a tape LUN through the TS
// initiator. At seeded random instants the target is killed while a writer
// streams WRITE(6) blocks with a WRITE FILEMARKS (IMMED=0, a sync point)
// every few blocks; sometimes the cycle starts by rewinding and overwriting
// from BOP. After each restart:
//  - every record acknowledged before the last completed sync point reads
//    back identical, and whatever follows it is a prefix of what was sent
//    (no corrupt record, no foreign record, no MEDIUM ERROR);
//  - right after the kill, the catalog is at most one manifest behind the
//    store, and every segment the store's newest manifest names exists;
//  - once the restarted gateway has settled, the catalog's manifest version
//    and EOD equal the newest manifest in the store.
// S3VTL_IT_CRASH_KILLS (default 50) and S3VTL_IT_CRASH_SEED (default 3200) vary it;
// S3VTL_IT_STORE=s3 runs it on a bucket of a Ceph RGW instead of the directory store.
import Database from 'better-sqlite3';
import path from 'node:path';
import test from 'ava';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { IQN_PREFIX, libraryTarget } from './lib/config.ts';
import { pattern, TapeLibraryClient, type TapeRecord } from './lib/tape-io.ts';
import type { StoreProbe } from './lib/store.ts';
import { startTarget, type Target } from './lib/target.ts';
import { sleep } from './lib/util.ts';
import { prng } from '../test/helpers/prng.ts';

const KILLS = Number(process.env.S3VTL_IT_CRASH_KILLS ?? 50);
const SEED = Number(process.env.S3VTL_IT_CRASH_SEED ?? 3200);
const BARCODE = 'CS0001L6';
const IQN = `${IQN_PREFIX}:library`;
const bases = changerProfiles.get('stk-l700')!.addressBases;


const same = (a: TapeRecord, b: TapeRecord): boolean => a.kind === b.kind && (a.kind === 'filemark' || (b.kind === 'block' && a.data.equals(b.data)));

interface StoreView { newest: number; eod: number; missing: string[] }

async function storeView(probe: StoreProbe): Promise<StoreView> {
  const dir = `tapes/${BARCODE}/manifest/`;
  const names = (await probe.list(dir)).filter((k) => /^[0-9a-f]{16}\.json$/.test(k.slice(dir.length)));
  const last = names[names.length - 1];
  if (last === undefined) return { newest: 0, eod: 0, missing: [] };
  const m = JSON.parse((await probe.get(last)).toString('utf8')) as { version: number; eodObjectId: number; segments: { key: string }[] };
  const missing: string[] = [];
  for (const s of m.segments) if (!(await probe.exists(s.key))) missing.push(s.key);
  return { newest: m.version, eod: m.eodObjectId, missing };
}

function catalogView(dataDir: string): { version: number; eod: number } {
  const db = new Database(path.join(dataDir, 'catalog.sqlite'), { fileMustExist: true });
  try {
    const r = db.prepare('SELECT manifest_version AS version, eod_object_id AS eod FROM cartridges WHERE barcode = ?').get(BARCODE) as { version: number; eod: number };
    return r;
  } finally {
    db.close();
  }
}

test.serial(`kill -9 at ${KILLS} random points during streamed writes loses nothing acknowledged before a sync point`, async (t) => {
  const rand = prng(SEED);
  const spec = libraryTarget('library', { drives: 1, slots: 2, mailslots: 0, cartridges: [{ prefix: 'CS', count: 1, media: 'L6', capacity: '64MiB', pool: 'crash' }] });
  const target: Target = await startTarget('3200-crash', [spec], { config: { pools: { crash: {} }, tapes: { segmentSize: '64KiB' } }, startTimeoutMs: 120_000 });
  const probe = target.store.probe; // file://<data>/store, or a bucket on RGW with S3VTL_IT_STORE=s3
  const dataDir = path.join(target.dir, 'data');
  let c = await TapeLibraryClient.login(target.port, IQN);
  let tape: TapeRecord[] = [];
  let verifiedBytes = 0;
  let verifiedRecords = 0;
  let writtenBytes = 0;
  let lostUnsynced = 0;
  let overwrites = 0;
  let restartMs = 0;
  let lagged = 0;
  try {
    await c.testUnitReady(0);
    await c.moveMedium(bases.storage, bases.dataTransfer);
    for (let cycle = 0; cycle < KILLS; cycle++) {
      // ---- write, then kill at a random instant ----
      const tapeBytes = tape.reduce((s, r) => s + (r.kind === 'block' ? r.data.length : 0), 0);
      let expected = tape.slice();
      let synced = tape.length;
      let k = 0;
      const block = (): Buffer => pattern(`${SEED}/${cycle}/${k++}`, 512 + Math.floor(rand() * 24 * 1024));
      if (tapeBytes > 2 * 2 ** 20 || rand() < 0.12) {
        // Overwrite from BOP: the first WRITE cuts the tape (durable before GOOD).
        overwrites++;
        await c.rewind(1);
        const first = block();
        const r = await c.write(1, first);
        t.is(r.status, 0, `cycle ${cycle}: overwrite at BOP accepted`);
        expected = [{ kind: 'block', data: first }];
        synced = 0;
        writtenBytes += first.length;
      }
      const killAfter = 30 + Math.floor(rand() * 500);
      let stop = false;
      const writer = (async () => {
        let untilSync = 2 + Math.floor(rand() * 20);
        while (!stop) {
          if (untilSync-- > 0) {
            const data = block();
            expected.push({ kind: 'block', data });
            const r = await c.write(1, data);
            if (r.status !== 0) throw new Error(`cycle ${cycle}: WRITE(6) status ${r.status}`);
            writtenBytes += data.length;
          } else {
            expected.push({ kind: 'filemark' });
            const r = await c.writeFilemarks(1, 1, false);
            if (r.status !== 0) throw new Error(`cycle ${cycle}: WRITE FILEMARKS status ${r.status}`);
            synced = expected.length; // GOOD for IMMED=0: everything so far is durable
            untilSync = 2 + Math.floor(rand() * 20);
          }
        }
      })().catch((e: unknown) => e);
      await sleep(killAfter);
      await target.kill9();
      stop = true;
      const ended = await writer;
      if (!(ended instanceof Error && ended.name === 'ConnectionClosed') && ended !== undefined) throw ended;
      c.ini.socket.destroy();

      // ---- the store and the catalog as the crash left them ----
      const sv = await storeView(probe);
      const cv = catalogView(dataDir);
      t.deepEqual(sv.missing, [], `cycle ${cycle}: every segment the newest manifest names exists`);
      t.true(cv.version === sv.newest || cv.version === sv.newest - 1, `cycle ${cycle}: catalog manifest v${cv.version}, store v${sv.newest}`);
      if (cv.version !== sv.newest) lagged++;

      // ---- restart and read everything back ----
      const t0 = Date.now();
      await target.start();
      restartMs += Date.now() - t0;
      c = await TapeLibraryClient.login(target.port, IQN);
      await c.testUnitReady(1);
      await c.rewind(1);
      const got: TapeRecord[] = [];
      for (;;) {
        const r = await c.read(1, 65536);
        if (r.kind === 'eod') break;
        if (r.kind === 'error') {
          t.fail(`cycle ${cycle}: record ${got.length}: ${r.why}`);
          break;
        }
        const want = expected[got.length];
        if (want === undefined || !same(r, want)) {
          t.fail(`cycle ${cycle}: record ${got.length} is not what was written there (${r.kind}${r.kind === 'block' ? ` ${r.data.length} bytes` : ''})`);
          break;
        }
        got.push(r);
        if (r.kind === 'block') verifiedBytes += r.data.length;
        verifiedRecords++;
      }
      t.true(got.length >= synced, `cycle ${cycle}: ${got.length} records read back, ${synced} acknowledged before the last sync point`);
      lostUnsynced += expected.length - got.length;
      tape = got;

      // ---- the restarted gateway settles: catalog == newest manifest in the store ----
      let agreed = false;
      for (let i = 0; i < 50 && !agreed; i++) {
        // A commit may delete an old manifest between the listing and the read: look again.
        const s = await storeView(probe).catch(() => undefined);
        const cat = catalogView(dataDir);
        agreed = s !== undefined && s.missing.length === 0 && cat.version === s.newest && cat.eod === s.eod;
        if (!agreed) await sleep(100);
      }
      t.true(agreed, `cycle ${cycle}: catalog and store agree after restart`);
    }
    t.log(`${target.store.kind} store, seed ${SEED}: ${KILLS} kill -9 points (${overwrites} cycles overwrote from BOP), ${verifiedRecords} records / ${verifiedBytes} bytes verified, ${writtenBytes} bytes written, ${lostUnsynced} unsynced records lost, catalog one manifest behind the store at ${lagged} kills, mean restart ${Math.round(restartMs / KILLS)} ms`);
    await c.logout();
  } finally {
    await target.stop();
  }
});
