// Builds everything from config: the one place where concrete classes meet.
import { mkdirPrivate } from '../../tapes/private-fs.ts';
import { join } from 'node:path';
import type { LogicalUnit } from '../../scsi/command.ts';
import { DISK_VERSION_DESCRIPTORS, Disk } from '../../scsi/sbc/disk.ts';
import { UnmappedLun } from '../../scsi/spc/unmapped-lun.ts';
import { CartridgePool } from '../../tapes/cartridge-pool.ts';
import { Catalog } from '../catalog/catalog.ts';
import { SparseFileBackend } from '../cdp/sparse-file-backend.ts';
import { poolNames, type Config, type DiskConfig, type TargetConfig } from '../config.ts';
import { IscsiServer, type TargetDefinition } from '../iscsi/server.ts';
import type { Logger } from '../log.ts';
import { S3_DEFAULTS } from '../../tapes/stores/s3-config.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { buildLibrary, type BuiltLibrary } from './library.ts';
import { cartridgeLock, openStore, type OpenedStore } from './store.ts';
import { serialFor } from './serial.ts';
import { manifestAuth, poolCodecs } from './keys.ts';
import { checkCartridgePools } from './pool-check.ts';
import { openDataDir } from './data-dir.ts';
import { checkPortal, listenError } from './portal.ts';

import { ControlServer } from '../control/server.ts';
import { Operations, type LibraryHandle } from '../control/operations.ts';
import { writeCartridgeFacts } from '../catalog/cartridge-facts.ts';
import { controlSocketPath } from '../control/protocol.ts';
import { Shelf } from '../shelf/shelf.ts';
import { CdpOperations } from '../control/cdp-operations.ts';
import { cdpPolicies, PointsOperations } from '../control/points-operations.ts';
import { buildCdpDisk, CDP_PREFIX, cdpDisks, PitExposer, type LiveVolume } from './cdp.ts';
import { vaultsFor } from '../shelf/vault.ts';

export interface Gateway {
  listen(): Promise<{ host: string; port: number }>;
  /** Stop accepting, drop sessions, flush cartridges to the store, close the catalog. */
  close(): Promise<void>;
  /** Target IQNs with their LUNs and device types, for the startup log. */
  describe(): Record<string, string[]>;
  /** The tape libraries by name (operator control, tests). */
  readonly libraries: ReadonlyMap<string, BuiltLibrary>;
}

async function buildDisk(t: TargetConfig, d: DiskConfig, dataDir: string, log: Logger): Promise<Disk> {
  const dir = join(dataDir, 'disks');
  await mkdirPrivate(dir);
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

/** The tape side: one store, one catalog, one cartridge pool shared by every library. */
interface TapeSide {
  readonly opened: OpenedStore;
  readonly catalog: Catalog;
  readonly pool: CartridgePool;
}

async function buildTapeSide(config: Config, opened: OpenedStore, log: Logger): Promise<TapeSide> {
  const codecFor = poolCodecs(config);
  const auth = manifestAuth(config.tapes);
  const startedAt = new Date();
  const catalog = Catalog.open(join(config.data, 'catalog.sqlite'));
  try {
    checkCartridgePools(catalog, config);
  } catch (e) {
    catalog.close();
    throw e;
  }
  const tapesLog = log.child({ layer: 'tapes' });
  if (auth === undefined && config.store.startsWith('s3://')) {
    tapesLog.warn('cartridge manifests are not authenticated: a writer to the bucket can change what a cartridge holds (within that cartridge\'s own objects); set tapes.manifestKey (and keep a copy of the key for s3vtl recover)', { store: config.store });
  } else if (auth?.acceptUnsigned === true) {
    tapesLog.warn('tapes.acceptUnsignedManifests is set: manifests without a MAC are still accepted; unset it once every loaded cartridge has been written since tapes.manifestKey was set');
  }
  // An S3 store takes bigger segments (fewer requests per GiB) unless the config sets one.
  const segmentBytes = config.tapes.segmentSize ?? (config.store.startsWith('s3://') ? S3_DEFAULTS.segmentSize : undefined);
  const pool = new CartridgePool({
    store: opened.store,
    prefix: '',
    stagingDir: join(config.data, 'staging'),
    directory: catalog,
    sink: catalog,
    segments: {
      ...(segmentBytes !== undefined && { segmentBytes }),
      ...(opened.partBytes !== undefined && { partBytes: opened.partBytes }),
      syncToStore: config.tapes.syncTo === 'store',
    },
    staging: { limitBytes: config.tapes.staging.limit, waitMs: config.tapes.staging.waitSeconds * 1000 },
    upload: { concurrency: config.tapes.uploadConcurrency },
    log: tapesLog,
    onError: (e, barcode) => log.error('cartridge background error', { barcode, error: String(e) }),
    codecFor,
    lockPolicy: (spec) => cartridgeLock(config.pools, spec),
    ...(auth !== undefined && { manifestAuth: auth }),
  });
  if (opened.store instanceof S3ObjectStore) {
    // Parts of segments that were streaming when the gateway last stopped: their staged
    // files go up again, so the parts only cost storage. Not awaited: starting does not wait on it.
    opened.store.abortStaleUploads(pool.keys.tapesPrefix, startedAt).then(
      (n) => n > 0 && tapesLog.info('aborted multipart uploads left by an earlier run', { count: n }),
      (e: unknown) => tapesLog.warn('could not list or abort multipart uploads left by an earlier run', { error: (e as Error).message }),
    );
  }
  return { opened, catalog, pool };
}

/**
 * Check the data directory and take its lock, check the portal's port, then
 * build: a second serve on the same directory, or a port in use, stops the
 * start before the catalog, the store or a disk image is touched.
 */
export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const unlock = await openDataDir(config.data, log);
  let gateway: Gateway;
  try {
    await checkPortal(config.listen);
    gateway = await assemble(config, log);
  } catch (e) {
    await unlock();
    throw e;
  }
  return {
    ...gateway,
    async close() {
      try {
        await gateway.close();
      } finally {
        await unlock();
      }
    },
  };
}

async function assemble(config: Config, log: Logger): Promise<Gateway> {
  const units: LogicalUnit[] = [];
  const targets: TargetDefinition[] = [];
  const described: Record<string, string[]> = {};
  const libraries = new Map<string, BuiltLibrary>();
  const handles: LibraryHandle[] = [];
  const hasTapes = config.targets.some((t) => t.library);
  const hasCdp = cdpDisks(config).length > 0;
  // Keys load before anything opens: a missing or malformed key stops the start with its config key.
  if (hasTapes) poolCodecs(config);
  // One store for the cartridges and the CDP volumes.
  const opened = hasTapes || hasCdp ? await openStore(config.store, { pools: config.pools }) : undefined;
  const tapes = hasTapes && opened ? await buildTapeSide(config, opened, log).catch(async (e: unknown) => { await opened.close(); throw e; }) : undefined;
  const live = new Map<string, LiveVolume>();
  for (const t of config.targets) {
    const luns = new Map<number, LogicalUnit>();
    const lines: string[] = (described[t.iqn] = []);
    if (t.library && tapes) {
      const lib = await buildLibrary(t.iqn, t.library, { catalog: tapes.catalog, pool: tapes.pool, store: tapes.opened.store, log });
      libraries.set(t.library.name, lib);
      handles.push({ iqn: t.iqn, config: t.library, changer: lib.changer, publish: () => lib.state.publish() });
      for (const [lun, lu] of lib.luns) {
        luns.set(lun, lu);
        units.push(lu);
      }
      lines.push(`0: changer ${t.library.changer} (${t.library.slots} slots, ${t.library.mailslots} import/export)`);
      lib.drives.forEach((_, i) => lines.push(`${i + 1}: tape drive ${t.library!.drive}`));
    }
    for (const d of t.disks) {
      if (d.cdp !== undefined && opened) {
        const v = await buildCdpDisk(t, d, config, opened.store, log);
        live.set(d.name, v);
        luns.set(d.lun, v.disk);
        units.push(v.disk);
        lines.push(`${d.lun}: CDP volume ${d.name} (${d.size} bytes)`);
        continue;
      }
      const disk = await buildDisk(t, d, config.data, log);
      luns.set(d.lun, disk);
      units.push(disk);
      lines.push(`${d.lun}: disk ${d.name} (${d.size} bytes)`);
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
  const { discoveryIdleSeconds, ...limits } = config.iscsi;
  const server = new IscsiServer({
    listen: config.listen,
    targets,
    logger: log.child({ layer: 'iscsi' }),
    limits: { ...limits, discoveryIdleMs: discoveryIdleSeconds * 1000 },
  });
  const exposer = opened && hasCdp ? new PitExposer({ config, server, store: opened.store, log: log.child({ layer: 'cdp' }) }) : undefined;
  const cdpOps = opened && exposer ? new CdpOperations({ store: opened.store, prefix: CDP_PREFIX, live, exposer }) : undefined;
  const cdpHandlers = cdpOps?.handlers() ?? {};
  const pointsHandlers = new PointsOperations({
    catalog: tapes?.catalog,
    cdp: cdpOps && opened ? { ops: cdpOps, store: opened.store, prefix: CDP_PREFIX } : undefined,
    policies: cdpPolicies(config),
  }).handlers();
  // ---- operator control channel (src/control): <data>/control.sock while listening ----
  const tapeHandlers = tapes === undefined ? {} : new Operations(tapes.catalog, handles, {
    pools: poolNames(config),
    shelf: new Shelf({
      catalog: tapes.catalog, store: tapes.opened.store, pools: config.pools, busy: (b) => (tapes.pool.isOpen(b)
        ? { code: 'VTL_SHELF_BUSY', message: `${b} is still open in the gateway (uploading what was written before the unload); repeat the command in a moment` }
        : undefined),
      vault: vaultsFor(config.pools, tapes.opened.store),
    }),
    publishFacts: (row) => writeCartridgeFacts(tapes.opened.store, row),
    live: (b) => tapes.pool.live(b),
  }).handlers();
  const control = tapes === undefined && exposer === undefined ? undefined : new ControlServer({
    path: controlSocketPath(config.data),
    handlers: { ...tapeHandlers, ...cdpHandlers, ...pointsHandlers },
    log: log.child({ layer: 'control' }),
  });
  return {
    async listen() {
      const { port } = await server.listen().catch((e: unknown) => {
        throw listenError(e, config.listen);
      });
      await control?.listen().catch(async (e: unknown) => {
        await server.close();
        throw e;
      });
      return { host: config.listen.host, port };
    },
    async close() {
      await control?.close();
      await server.close();
      await exposer?.close();
      // A CDP volume's close ships what is still in its local journal (once; the rest waits for the next start).
      await Promise.all(units.map((u) => u.close()));
      if (tapes) {
        await tapes.pool.closeAll();
        tapes.catalog.close();
      }
      await opened?.close();
    },
    describe: () => described,
    libraries,
  };
}
