// `s3vtl cdp` with a config that declares only a CDP volume: offline against
// the store, and through the control socket of a gateway built in-process.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { cdpCommand } from '../../src/cli/cdp.ts';
import { loadConfig } from '../../src/config.ts';
import type { CdpExposure, CdpListResult, CdpUnexposeResult } from '../../src/control/cdp-protocol.ts';
import { buildGateway } from '../../src/wiring/index.ts';
import { quietLogger } from './helpers.ts';

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-cdp-cli-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `listen: 127.0.0.1:0
data: ${join(dir, 'data')}
targets:
  - iqn: iqn.2026-11.org.s3vtl:vols
    disks:
      - { lun: 0, name: vol0, size: 4MiB, cdp: { chunkSize: 1MiB } }
`);
  return { dir, configPath, config: loadConfig(configPath), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function cdp(configPath: string, ...args: string[]): Promise<{ out: string; error?: Error & { code?: string } }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => { text += d.toString(); });
  try {
    await cdpCommand(out).exitOverride().parseAsync([...args, '--config', configPath], { from: 'user' });
    return { out: text };
  } catch (e) {
    return { out: text, error: e as Error & { code?: string } };
  }
}

test('offline: an empty store lists no volume; unknown volume, expose and unexpose say what to do', async (t) => {
  const s = sandbox();
  t.teardown(s.cleanup);
  // Verify the human list of an empty store.
  t.regex((await cdp(s.configPath, 'list')).out, /no CDP volumes/);
  const status = await cdp(s.configPath, 'status', 'nosuch');
  // Verify an unknown volume is VTL_CDP_UNKNOWN_VOLUME.
  t.is(status.error?.code, 'VTL_CDP_UNKNOWN_VOLUME');
  const un = await cdp(s.configPath, 'unexpose', 'vol0');
  // Verify unexpose without serve explains that nothing is exposed.
  t.is(un.error?.code, 'VTL_USAGE');
  t.regex(un.error!.message, /serve is not running/);
  const both = await cdp(s.configPath, 'expose', 'vol0', '--at', '2026-12-06T18:29:38Z', '--bookmark', 'x');
  // Verify two instants at once are refused before anything opens.
  t.is(both.error?.code, 'VTL_USAGE');
  t.regex(both.error!.message, /exactly one of --at TIME, --bookmark NAME or --newest/);
});

test('a CDP-only config: serve has a control socket; list, bookmark, expose and unexpose go through it', async (t) => {
  const s = sandbox();
  t.teardown(s.cleanup);
  const gateway = await buildGateway(s.config, quietLogger);
  await gateway.listen();
  t.teardown(() => gateway.close());
  const list = JSON.parse((await cdp(s.configPath, 'list', '--json')).out) as CdpListResult;
  // Verify the running gateway answered (the volume is live).
  t.deepEqual(list.volumes.map((v) => [v.volume, v.live, v.sizeBytes]), [['vol0', true, 4 * 1024 * 1024]]);
  const b = await cdp(s.configPath, 'bookmark', 'vol0', 'first', '--json');
  t.is(b.error, undefined);
  const e0 = JSON.parse((await cdp(s.configPath, 'expose', 'vol0', '--bookmark', 'first', '--json')).out) as CdpExposure;
  const e1 = JSON.parse((await cdp(s.configPath, 'expose', 'vol0', '--bookmark', 'first', '--json')).out) as CdpExposure;
  // Verify the point-in-time target and the lowest free LUNs.
  t.deepEqual([e0.iqn, e0.lun, e1.lun], ['iqn.2026-11.org.s3vtl:cdp-pit', 0, 1]);
  const removed = JSON.parse((await cdp(s.configPath, 'unexpose', '--lun', '0', '--json')).out) as CdpUnexposeResult;
  t.deepEqual(removed.removed.map((e) => e.lun), [0]);
  const status = JSON.parse((await cdp(s.configPath, 'status', 'vol0', '--json')).out) as { exposed: CdpExposure[]; bookmarks: { name: string }[] };
  // Verify status lists the bookmark and the exposure left.
  t.deepEqual(status.bookmarks.map((x) => x.name), ['first']);
  t.deepEqual(status.exposed.map((x) => x.lun), [1]);
  const again = await cdp(s.configPath, 'unexpose', '--lun', '0');
  // Verify unexposing a LUN that is not exposed names what is.
  t.regex(again.error?.message ?? '', /exposed: LUN 1 vol0@/);
  const newest = JSON.parse((await cdp(s.configPath, 'expose', 'vol0', '--newest', '--json')).out) as CdpExposure;
  // Verify --newest exposes the newest instant on the lowest free LUN.
  t.deepEqual([newest.volume, newest.lun], ['vol0', 0]);
  const two = await cdp(s.configPath, 'expose', 'vol0', '--newest', '--bookmark', 'first');
  // Verify --newest with another instant is refused, naming the three choices.
  t.regex(two.error?.message ?? '', /exactly one of --at TIME, --bookmark NAME or --newest/);
});
