// The archive shelf on a real S3 (Ceph RGW 16, whose GLACIER is another
// pool): write a tape through a drive, unload it into an import/export slot,
// `library export` it (every segment moves to GLACIER, the manifest stays),
// lose the gateway's data dir and `recover` (the cartridge comes back
// archived, on the shelf), then `tape retrieve --wait` (RGW answers
// RestoreObject 501, which counts as readable; segments go back to STANDARD
// and the cartridge into an import/export slot), load it and read every byte.
import { rmSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { listWithClass } from '../tapes/stores/s3-archive.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';
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
const BARCODE = 'AR0001L6';

const content: TapeRecord[] = [];
for (let file = 0; file < 2; file++) {
  for (let k = 0; k < 40; k++) content.push({ kind: 'block', data: pattern(`${BARCODE}/${file}/${k}`, 2000 + ((k * 7919) % 30000)) });
  content.push({ kind: 'filemark' });
}

test.serial('export archives to GLACIER, recover keeps it archived, retrieve brings it back readable (Ceph RGW)', async (t) => {
  let rgw: Rgw | undefined;
  let target: Target | undefined;
  try {
    rgw = await startRgw('3400-rgw', { env: { RGW_OBJECTSTORE: 'memstore', S3_BUCKETS: 'vtl3400' } });
    const env = rgw.env;
    const storeUrl = 's3://vtl3400/site1';
    const spec = libraryTarget('library', { drives: 1, slots: 6, mailslots: 2, cartridges: [{ prefix: 'AR', count: 2, media: 'L6', capacity: '256MiB' }] });
    target = await startTarget('3400-shelf', [spec], { config: { store: storeUrl, tapes: { segmentSize: '64KiB' } }, env, startTimeoutMs: 120_000 });
    const cfg = path.join(target.dir, 'config.yaml');
    const cli = async (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      run(process.execPath, ['--import=tsx', 'src/main.ts', ...args, '--config', cfg], { timeoutMs: 300_000, env });

    // Write two files to AR0001L6 in drive 0, then unload it into import/export slot 1.
    let c = await TapeLibraryClient.login(target.port, IQN);
    await c.testUnitReady(0);
    await c.moveMedium(slot(0), drive(0));
    await c.rewind(1);
    let bytes = 0;
    for (const r of content) {
      const res = r.kind === 'block' ? await c.write(1, r.data) : await c.writeFilemarks(1, 1);
      t.is(res.status, 0);
      if (r.kind === 'block') bytes += r.data.length;
    }
    await c.moveMedium(drive(0), mail(0));
    await c.logout();

    // library export: through the running gateway's control socket.
    const exp = await cli('library', 'export', BARCODE, '--json');
    t.is(exp.code, 0, exp.stderr);
    const exported = JSON.parse(exp.stdout) as { address: number; shelf: { phase: string; state: string; objects: number; archived: number } };
    t.log(`export: ${exported.shelf.archived}/${exported.shelf.objects} segments archived`);
    t.like(exported, { address: mail(0), shelf: { phase: 'archived', state: 'archived' } });
    t.true(exported.shelf.objects > 1, 'several segments at 64 KiB each');

    // Every segment is in GLACIER; manifests and shelf records stay in STANDARD.
    const s3 = S3ObjectStore.fromUrl(storeUrl, env);
    const classes = new Map<string, string>();
    for await (const o of listWithClass(s3, `tapes/${BARCODE}/`)) classes.set(o.key, o.storageClass);
    const segs = [...classes].filter(([k]) => k.includes('/seg/'));
    t.is(segs.length, exported.shelf.objects);
    t.deepEqual([...new Set(segs.map(([, v]) => v))], ['GLACIER']);
    t.deepEqual([...new Set([...classes].filter(([k]) => !k.includes('/seg/')).map(([, v]) => v))], ['STANDARD']);
    t.log(`${segs.length} segments in GLACIER, ${classes.size - segs.length} manifests/shelf records in STANDARD`);

    // The gateway is lost: recover on a fresh data dir.
    await target.stop();
    rmSync(path.join(target.dir, 'data'), { recursive: true, force: true });
    const rec = await cli('recover', '--json');
    t.is(rec.code, 0, rec.stderr);
    const summary = JSON.parse(rec.stdout) as { shelf: { barcode: string; state: string; phase: string }[]; failed: unknown[] };
    t.deepEqual(summary.shelf, [{ barcode: BARCODE, phase: 'archived', state: 'archived', medium: 'storage-class' }]);
    t.deepEqual(summary.failed, []);
    await target.start();
    const list = JSON.parse((await cli('tape', 'list', '--json')).stdout) as { tapes: { barcode: string; state: string; location: unknown }[] };
    t.like(list.tapes.find((x) => x.barcode === BARCODE), { state: 'archived', location: null });

    // Retrieve: RGW 16 has no RestoreObject (501), the objects are readable; copied back, then into a mail slot.
    const ret = await cli('tape', 'retrieve', BARCODE, '--wait', '--poll', '1', '--json');
    t.is(ret.code, 0, ret.stderr);
    t.log(`retrieve: ${ret.stderr.trim().split('\n').at(-1) ?? ''}`);
    const retrieved = JSON.parse(ret.stdout) as { location: { kind: string; address: number } | null; objects: number; copied: number };
    t.like(retrieved, { location: { kind: 'import-export', address: mail(0) }, copied: exported.shelf.objects });
    const after = new Set<string>();
    for await (const o of listWithClass(s3, `tapes/${BARCODE}/seg/`)) after.add(o.storageClass);
    t.deepEqual([...after], ['STANDARD']);
    s3.close();

    // Load it from the import/export slot and read every byte back.
    c = await TapeLibraryClient.login(target.port, IQN);
    await c.testUnitReady(0);
    await c.moveMedium(mail(0), drive(0));
    await c.rewind(1);
    let verified = 0;
    for (const [i, w] of content.entries()) {
      const got = await c.read(1, 65536);
      if (w.kind === 'filemark') t.is(got.kind, 'filemark', `record ${i}: filemark`);
      else if (got.kind !== 'block' || !got.data.equals(w.data)) t.fail(`record ${i}: ${got.kind === 'block' ? 'bytes differ' : JSON.stringify(got)}`);
      else verified += got.data.length;
    }
    t.is((await c.read(1, 65536)).kind, 'eod');
    t.is(verified, bytes);
    t.log(`verified ${verified} bytes after export, recover and retrieve`);
    await c.moveMedium(drive(0), slot(0));
    await c.logout();
    const state = JSON.parse((await cli('tape', 'list', '--json')).stdout) as { tapes: { barcode: string; state: string }[] };
    t.is(state.tapes.find((x) => x.barcode === BARCODE)?.state, 'in-use');
  } finally {
    await target?.stop();
    await rgw?.stop();
  }
});
