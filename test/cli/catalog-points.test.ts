// `s3vtl catalog points`: an Amanda run written through a running gateway's
// drive is listed through the control socket, and the same points offline
// from the catalog once the gateway has stopped; filters and the table.
import test from 'ava';
import { request, offline } from '../../src/control/client.ts';
import type { CatalogPointsResult, RestorePointInfo } from '../../src/control/points-protocol.ts';
import { controlSocketPath } from '../../src/control/protocol.ts';
import { clearUnitAttentions, cdb, run } from '../scsi/ssc/harness.ts';
import { amandaBlock } from '../points/formats.ts';
import { online, sandbox } from './helpers.ts';

const BARCODE = 'PTS001L6';

async function amandaRun(s: ReturnType<typeof sandbox>) {
  const { gateway } = await online(s);
  const drive = gateway.libraries.get('lib0')!.drives[0]!;
  await drive.insert(BARCODE);
  await clearUnitAttentions(drive);
  for (const header of [
    'AMANDA: TAPESTART DATE 20261206110000 TAPE DailySet1-07',
    'AMANDA: FILE 20261206110000 client.example /etc lev 1 comp .gz program /bin/tar',
  ]) {
    t_ok(await run(drive, cdb.write6(32768), { dataOut: amandaBlock(header) }));
    t_ok(await run(drive, cdb.writeFilemarks6(1)));
  }
  return gateway;
}

function t_ok(r: { status: number; sense?: unknown }): void {
  if (r.status !== 0) throw new Error(`command failed: ${JSON.stringify(r.sense)}`);
}

test('online through the control socket, then offline from the catalog: the same points', async (t) => {
  const s = sandbox({ cartridges: `{ prefix: PTS, count: 1, media: L6 }` });
  t.teardown(() => s.cleanup());
  const gateway = await amandaRun(s);
  let listed: CatalogPointsResult;
  try {
    // The recorder writes the catalog right after the commands; wait for it without timing assumptions.
    for (let i = 0; ; i++) {
      listed = await s.json<CatalogPointsResult>('catalog', 'points');
      if (listed.points.length === 2 || i > 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    t.log('The server answers catalog.points itself.');
    t.not(await request(controlSocketPath(s.config.data), 'catalog.points', {}), offline);
  } finally {
    await gateway.close();
  }
  const [label, dump] = listed.points;
  t.log('The JSON shape: every field, nulls where a field does not apply.');
  t.deepEqual(dump, {
    source: 'tape', app: 'amanda', kind: 'backup', time: dump!.writtenAt!, barcode: BARCODE, fileNumber: 1, objectId: 2, volume: null,
    host: 'client.example', disk: '/etc', job: null, jobId: null, level: '1', label: 'DailySet1-07', date: '20261206110000',
    writtenAt: dump!.writtenAt, bytes: 32768, keptBy: `kept with cartridge ${BARCODE}`, keptUntil: null,
    detail: { type: 'FILE', datestamp: '20261206110000', compression: '.gz', program: '/bin/tar' },
  } satisfies RestorePointInfo);
  t.like(label, { kind: 'label', label: 'DailySet1-07', fileNumber: 0, bytes: 32768 });
  t.regex(dump!.writtenAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  t.log('Offline (serve stopped): the same list from the catalog file.');
  t.deepEqual(await s.json<CatalogPointsResult>('catalog', 'points'), listed);
  t.deepEqual((await s.json<CatalogPointsResult>('catalog', 'points', '--app', 'amanda', '--barcode', BARCODE)).points.length, 2);
  t.deepEqual((await s.json<CatalogPointsResult>('catalog', 'points', '--app', 'bacula')).points, []);
  t.deepEqual((await s.json<CatalogPointsResult>('catalog', 'points', '--barcode', 'OTHER1L6')).points, []);
  t.deepEqual((await s.json<CatalogPointsResult>('catalog', 'points', '--app', 'cdp')).points, [], 'no CDP volume configured');

  const table = await s.run('catalog', 'points');
  t.log(table);
  const lines = table.trimEnd().split('\n');
  t.regex(lines[0]!, /^WHERE\s+APP\s+KIND\s+TIME\s+WHAT\s+LEVEL\s+LABEL\s+BYTES\s+KEPT BY\s+UNTIL$/);
  t.regex(lines[2]!, /^PTS001L6 f1\s+amanda\s+backup\s+\S+\s+client\.example:\/etc\s+1\s+DailySet1-07\s+32 KiB\s+kept with cartridge PTS001L6\s+-$/);
});

test('--barcode with --volume, and an unknown --app, are refused with the reason', async (t) => {
  const s = sandbox();
  t.teardown(() => s.cleanup());
  const both = await t.throwsAsync(s.run('catalog', 'points', '--barcode', BARCODE, '--volume', 'v'));
  t.is(both?.message, 'give --barcode (a cartridge) or --volume (a CDP volume), not both');
  const noVolume = await t.throwsAsync(s.run('catalog', 'points', '--volume', 'v'));
  t.regex(noVolume?.message ?? '', /no CDP volume "v": the configuration declares none/);
  await t.throwsAsync(s.run('catalog', 'points', '--app', 'tsm'), { message: /expected one of amanda, bacula, unknown, cdp/ });
});
