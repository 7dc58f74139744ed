// `s3vtl cdp expose` without a running serve: a target of its own on the
// config's portal serving just that instant as LUN 0 of the point-in-time
// target, until SIGINT or SIGTERM. An operator who asks to expose gets the
// LUN at once, as with serve; Ctrl-C ends it.
import type { RestoreTarget } from '../cdp/index.ts';
import type { Config } from '../config.ts';
import type { CdpExposure } from '../control/cdp-protocol.ts';
import { VtlError } from '../errors.ts';
import { IscsiServer } from '../iscsi/server.ts';
import { createLogger } from '../log.ts';
import { UnmappedLun } from '../../scsi/spc/unmapped-lun.ts';
import { cdpDisks, pitDisk, pitTargetIqn } from '../wiring/cdp.ts';
import { openStore } from '../wiring/store.ts';

export async function exposeInForeground(config: Config, volume: string, target: RestoreTarget, print: (e: CdpExposure) => void): Promise<void> {
  const log = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
  const opened = await openStore(config.store);
  const iqn = pitTargetIqn(config);
  let closing: Promise<void> | undefined;
  try {
    const { disk, instant } = await pitDisk(opened.store, volume, target, iqn, log);
    const holder = cdpDisks(config)[0]?.target ?? config.targets[0]!;
    const server = new IscsiServer({
      listen: config.listen,
      targets: [{
        iqn,
        alias: 's3vtl CDP point-in-time',
        luns: new Map([[0, disk]]),
        ...(holder.chap !== undefined && { chap: holder.chap }),
        ...(holder.initiators !== undefined && { allowedInitiators: holder.initiators }),
        unmappedLun: new UnmappedLun({ identity: { vendor: 'S3VTL', product: 'NO LUN', revision: '0001', serial: 'NONE', versionDescriptors: [] } }),
      }],
      logger: log.child({ layer: 'iscsi' }),
    });
    await server.listen().catch(async (e: unknown) => {
      await disk.close();
      throw new VtlError('VTL_LISTEN', `cannot serve the instant on ${config.listen.host}:${config.listen.port} (${(e as Error).message}): free that portal, or give another one with listen in the config`);
    });
    print({ iqn, lun: 0, volume, instant: instant.toISOString() });
    process.stderr.write(`s3vtl: serving ${volume} as of ${instant.toISOString()} on ${config.listen.host}:${config.listen.port} until Ctrl-C\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        closing ??= server.close().then(() => disk.close()).then(resolve, resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await opened.close();
  }
}
