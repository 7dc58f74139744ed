// `s3vtl catalog points` for a CDP volume: its bookmark (and window, once
// written) through a running gateway, then offline from the store, with the
// keep policy of the configuration.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { offline, request } from '../../src/control/client.ts';
import type { CatalogPointsResult } from '../../src/control/points-protocol.ts';
import { controlSocketPath } from '../../src/control/protocol.ts';
import { buildGateway } from '../../src/wiring/index.ts';
import { quietLogger, runCli } from './helpers.ts';

test('a CDP volume\'s bookmark is a point online and offline, kept by keep.bookmarks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-points-cdp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `listen: 127.0.0.1:0
data: ${join(dir, 'data')}
targets:
  - iqn: iqn.2026-11.org.s3vtl:vols
    disks:
      - { lun: 0, name: vol0, size: 4MiB, cdp: { chunkSize: 1MiB, keep: { all: 2h, hourly: 2d, bookmarks: 30d } } }
`);
  const config = loadConfig(configPath);
  const points = async (...args: string[]): Promise<CatalogPointsResult> =>
    JSON.parse((await runCli(configPath, 'catalog', 'points', '--json', ...args)).out) as CatalogPointsResult;

  const gateway = await buildGateway(config, quietLogger);
  await gateway.listen();
  let live: CatalogPointsResult;
  try {
    const mark = await request(controlSocketPath(config.data), 'cdp.bookmark', { volume: 'vol0', name: 'before-upgrade' });
    t.not(mark, offline);
    live = await points('--volume', 'vol0');
  } finally {
    await gateway.close();
  }
  const bookmark = live.points.find((p) => p.kind === 'bookmark');
  t.like(bookmark, { source: 'cdp', app: 'cdp', volume: 'vol0', label: 'before-upgrade', barcode: null, keptBy: 'bookmark before-upgrade (keep.bookmarks 1mo)' });
  t.is(Date.parse(bookmark!.keptUntil!) - Date.parse(bookmark!.time), 30 * 86_400_000, 'kept 30 days from its instant');

  t.log('Offline, from the store: the same bookmark; --app amanda lists no CDP point.');
  const off = await points('--app', 'cdp');
  t.deepEqual(off.points.filter((p) => p.kind === 'bookmark'), [bookmark!]);
  t.deepEqual((await points('--app', 'amanda')).points, []);
  const unknown = await t.throwsAsync(runCli(configPath, 'catalog', 'points', '--volume', 'nosuch'));
  t.regex(unknown?.message ?? '', /no CDP volume "nosuch" in the store/);
});
