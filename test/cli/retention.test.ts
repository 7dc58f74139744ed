// `s3vtl retention plan`: offline over the catalog, and online through the
// control socket, where a cartridge in a drive is held.
import test from 'ava';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { Catalog } from '../../src/catalog/catalog.ts';
import { retentionCommand } from '../../src/cli/retention.ts';
import { tapeCommand } from '../../src/cli/tape.ts';
import type { RetentionPlanResult } from '../../src/control/retention-protocol.ts';
import { block, command, decodeSense } from '../scsi/ssc/harness.ts';
import { attach, online, sandbox } from './helpers.ts';

async function cli(configPath: string, ...args: string[]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const program = new Command('s3vtl').exitOverride().addCommand(tapeCommand(out)).addCommand(retentionCommand(out));
  program.commands.forEach(function quiet(c: Command): void {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(quiet);
  });
  await program.parseAsync([...args, '--config', configPath], { from: 'user' });
  return Buffer.concat(chunks).toString('utf8');
}

const POOLS = '{ rec: { retention: { keep: 30d, then: recycle } }, keepers: {} }';

test('offline: kept inside keep, recycled after, with reasons and bytes freed per pool', async (t) => {
  const s = sandbox({ pools: POOLS });
  t.teardown(() => s.cleanup());
  await cli(s.configPath, 'tape', 'create', 'REC001L6', 'REC002L6', '--pool', 'rec');
  await cli(s.configPath, 'tape', 'create', 'KPR001L6', '--pool', 'keepers');
  const catalog = Catalog.open(join(s.config.data, 'catalog.sqlite'));
  catalog.cartridges.recordWritten('REC001L6', 1, 5_000_000, 3, 1, '2026-11-01T00:00:00.000Z');
  catalog.cartridges.recordWritten('KPR001L6', 1, 7_000, 2, 1, '2026-01-01T00:00:00.000Z');
  catalog.close();

  const early = JSON.parse(await cli(s.configPath, 'retention', 'plan', '--now', '2026-11-20T00:00:00Z', '--json')) as RetentionPlanResult;
  t.deepEqual(early.cartridges, [
    { barcode: 'KPR001L6', pool: 'keepers', action: 'keep', reason: 'kept: pool keepers has no retention', bytes: null, until: null },
    { barcode: 'REC001L6', pool: 'rec', action: 'keep', reason: 'kept: until 2026-12-01 (last write 2026-11-01 + 30d)', bytes: null, until: '2026-12-01T00:00:00.000Z' },
    { barcode: 'REC002L6', pool: 'rec', action: 'keep', reason: 'kept: scratch (nothing written)', bytes: null, until: null },
  ]);
  t.deepEqual(early.freed, { pools: { rec: 0 }, volumes: {} });

  const later = JSON.parse(await cli(s.configPath, 'retention', 'plan', '--now', '2026-12-01T00:00:00Z', '--json')) as RetentionPlanResult;
  t.deepEqual(later.cartridges.find((c) => c.barcode === 'REC001L6'), { barcode: 'REC001L6', pool: 'rec', action: 'recycle', reason: 'expired: last write 2026-11-01 + 30d', bytes: 5_000_000, until: null });
  t.deepEqual(later.freed.pools, { rec: 5_000_000 });

  const text = await cli(s.configPath, 'retention', 'plan', '--now', '2026-12-01T00:00:00Z');
  t.regex(text, /^retention plan as of 2026-12-01T00:00:00.000Z \(dry run/);
  t.regex(text, /REC001L6 +rec +recycle +4\.8 MiB +expired: last write 2026-11-01 \+ 30d/);
  t.regex(text, /pool rec: 4\.8 MiB/);
  // Nothing changed: a dry run.
  const again = JSON.parse(await cli(s.configPath, 'retention', 'plan', '--now', '2026-12-01T00:00:00Z', '--json')) as RetentionPlanResult;
  t.deepEqual(again, later);
});

test('--now that is not an instant is refused with the reason', async (t) => {
  const s = sandbox({ pools: POOLS });
  t.teardown(() => s.cleanup());
  const e = await t.throwsAsync(cli(s.configPath, 'retention', 'plan', '--now', 'next tuesday'));
  t.regex(e?.message ?? '', /^--now: "next tuesday" is not an ISO 8601 date and time/);
});

test('online: a cartridge loaded in a drive is held, and recycled once back in its slot', async (t) => {
  const s = sandbox({ pools: POOLS, cartridges: '{ prefix: REC, count: 2, media: L6, pool: rec }' });
  t.teardown(() => s.cleanup());
  const { gateway, changer } = await online(s);
  t.teardown(() => gateway.close());
  await attach(changer);
  const drive = gateway.libraries.get('lib0')!.drives[0]!;
  const exec = async (lu: typeof drive | typeof changer, cdb: number[], dataOut?: Buffer) => {
    const r = await lu.execute(command(cdb, dataOut === undefined ? {} : { dataOut }));
    return { status: r.status, sense: r.sense === undefined ? undefined : decodeSense(r.sense) };
  };
  const move = (src: number, dst: number) => exec(changer, [0xa5, 0, 0, 1, src >> 8, src & 0xff, dst >> 8, dst & 0xff, 0, 0, 0, 0]);
  const untilReady = async () => {
    for (let i = 0; i < 10 && (await exec(drive, [0, 0, 0, 0, 0, 0])).status !== 0; i++);
  };
  t.is((await move(1000, 500)).status, 0);
  await untilReady();
  t.is((await exec(drive, [0x0a, 0, 0, 0x04, 0x00, 0], block(1024, 1))).status, 0);
  t.is((await exec(drive, [0x10, 0, 0, 0, 1, 0])).status, 0);
  t.is((await move(500, 1000)).status, 0);
  const future = new Date(Date.now() + 31 * 86_400_000).toISOString();
  const plan = async () => (JSON.parse(await cli(s.configPath, 'retention', 'plan', '--now', future, '--json')) as RetentionPlanResult).cartridges.find((c) => c.barcode === 'REC001L6')!;
  t.is((await plan()).action, 'recycle');
  t.log('loaded again: held, with the drive named');
  t.is((await move(1000, 500)).status, 0);
  const held = await plan();
  t.is(held.action, 'hold');
  t.regex(held.reason, /^held: loaded in drive 0 \(expired: last write \d{4}-\d\d-\d\dT[\d:.]+Z \+ 30d\)$/);
});
