// Builds everything from config: the one place where concrete classes meet.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogicalUnit } from '../scsi/command.ts';
import { DISK_VERSION_DESCRIPTORS, Disk } from '../scsi/sbc/disk.ts';
import { UnmappedLun } from '../scsi/spc/unmapped-lun.ts';
import { SparseFileBackend } from './cdp/sparse-file-backend.ts';
import type { Config, DiskConfig, TargetConfig } from './config.ts';
import { IscsiServer, type TargetDefinition } from './iscsi/server.ts';
import type { Logger } from './log.ts';

export interface Gateway {
  listen(): Promise<{ host: string; port: number }>;
  /** Stop accepting, drop sessions, flush and close every logical unit. */
  close(): Promise<void>;
  /** Target IQNs with their LUNs and device types, for the startup log. */
  describe(): Record<string, string[]>;
}

/** A serial number that is stable for a device's place in the config and unique across targets. */
export function serialFor(iqn: string, name: string, prefix: string): string {
  return prefix + createHash('sha256').update(`${iqn}\0${name}`).digest('hex').slice(0, 10).toUpperCase();
}

async function buildDisk(t: TargetConfig, d: DiskConfig, dataDir: string, log: Logger): Promise<Disk> {
  const dir = join(dataDir, 'disks');
  await mkdir(dir, { recursive: true });
  const backend = await SparseFileBackend.open({ path: join(dir, `${d.name}.img`), sizeBytes: d.size, blockSize: d.blockSize });
  return new Disk({
    identity: {
      vendor: 'S3VTL',
      product: 'VIRTUAL DISK',
      revision: '0001',
      serial: serialFor(t.iqn, d.name, 'SD'),
      versionDescriptors: DISK_VERSION_DESCRIPTORS,
    },
    backend,
    log: log.child({ lu: `${t.iqn}/${d.lun}` }),
  });
}

export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  await mkdir(config.data, { recursive: true });
  const units: LogicalUnit[] = [];
  const targets: TargetDefinition[] = [];
  const described: Record<string, string[]> = {};
  for (const t of config.targets) {
    const luns = new Map<number, LogicalUnit>();
    described[t.iqn] = [];
    for (const d of t.disks) {
      const disk = await buildDisk(t, d, config.data, log);
      luns.set(d.lun, disk);
      units.push(disk);
      described[t.iqn]!.push(`${d.lun}: disk ${d.name} (${d.size} bytes)`);
    }
    targets.push({
      iqn: t.iqn,
      ...(t.alias !== undefined && { alias: t.alias }),
      luns,
      ...(t.chap !== undefined && { chap: t.chap }),
      ...(t.initiators !== undefined && { allowedInitiators: t.initiators }),
      unmappedLun: new UnmappedLun({ identity: { vendor: 'S3VTL', product: 'NO LUN', revision: '0001', serial: 'NONE', versionDescriptors: [] } }),
    });
  }
  const server = new IscsiServer({ listen: config.listen, targets, logger: log.child({ layer: 'iscsi' }) });
  return {
    listen: () => server.listen().then(({ port }) => ({ host: config.listen.host, port })),
    async close() {
      await server.close();
      await Promise.all(units.map((u) => u.close()));
    },
    describe: () => described,
  };
}
