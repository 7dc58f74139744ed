// `s3vtl recover --store URL --data DIR [--config FILE] [--force] [--json]`:
// rebuild the catalog of a lost gateway from the bucket alone (the newest
// catalog backup that checks, when there is one; then cartridges from
// manifests, libraries from their state objects: src/recovery/catalog-file.ts)
// and every CDP volume in it
// (src/recovery/recover-cdp.ts). Refuses a data dir whose catalog already
// knows cartridges, or that holds a volume's local state, unless --force,
// which keeps the old ones aside (catalog.sqlite.replaced-<time>, cdp/NAME.replaced-<time>).
import { Command } from 'commander';
import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Catalog } from '../catalog/catalog.ts';
import { loadConfig, type LibraryConfig } from '../config.ts';
import { VtlError } from '../errors.ts';
import type { RecoverySummary } from '../recovery/recover.ts';
import { describeSource, recoverCatalogFile, type CatalogSource } from '../recovery/catalog-file.ts';
import type { ReconcileReport } from '../catalog/reconcile.ts';
import { manifestAuth } from '../wiring/keys.ts';
import { cdpVolumesToRecover, recoverCdpVolumes, type RecoveredVolume } from '../recovery/recover-cdp.ts';
import { openStore } from '../wiring/store.ts';
import { openDataDir } from '../wiring/data-dir.ts';

interface RecoverOptions {
  readonly store?: string;
  readonly data?: string;
  readonly config?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly manifestKey?: string;
  readonly acceptUnsignedManifests?: boolean;
}

class RecoverError extends VtlError {
  constructor(message: string) {
    super('VTL_RECOVER_REFUSED', message);
  }
}

export function recoverCommand(): Command {
  return new Command('recover')
    .description('rebuild the catalog (cartridges, their data, library slots) and the CDP volumes from the object store alone')
    .option('-s, --store <url>', 'object store: file://DIR or s3://BUCKET/PREFIX (default: the config\'s)')
    .option('-d, --data <dir>', 'local state directory to rebuild (default: the config\'s)')
    .option('-c, --config <file>', 'YAML configuration: library geometry for placement, and store/data defaults')
    .option('-f, --force', 'replace a catalog that already knows cartridges, or a volume\'s local state (the old ones are kept aside)')
    .option('--json', 'print the summary as JSON')
    .option('--manifest-key <spec>', 'key that signed the manifests (env:NAME, file:PATH or the key text; default: the config\'s tapes.manifestKey)')
    .option('--accept-unsigned-manifests', 'with a manifest key: also accept manifests that carry no MAC')
    .action(async (opts: RecoverOptions) => {
      const config = opts.config === undefined ? undefined : loadConfig(opts.config, {
        ...(opts.data !== undefined && { data: opts.data }),
        ...(opts.store !== undefined && { store: opts.store }),
      });
      const data = opts.data !== undefined ? resolve(opts.data) : config?.data;
      const url = opts.store ?? config?.store;
      if (data === undefined || url === undefined) throw new RecoverError('recover needs --data and --store (or --config naming them)');
      const storeUrl = url.startsWith('file://') ? `file://${resolve(url.slice('file://'.length))}` : url;
      const libraries: LibraryConfig[] = (config?.targets ?? []).flatMap((t) => (t.library === undefined ? [] : [t.library]));
      // Loaded before anything is touched: a bad key stops here with its config key.
      const keySpec = opts.manifestKey ?? config?.tapes.manifestKey;
      const auth = keySpec === undefined ? undefined
        : manifestAuth({ manifestKey: keySpec, acceptUnsignedManifests: opts.acceptUnsignedManifests ?? config?.tapes.acceptUnsignedManifests ?? false });
      // Not under a running serve (its catalog would be replaced beneath it).
      const unlock = await openDataDir(data);
      try {
        await rebuild(data, storeUrl, libraries, opts, auth);
      } finally {
        await unlock();
      }
    });
}

async function rebuild(data: string, storeUrl: string, libraries: LibraryConfig[], opts: RecoverOptions, auth: ReturnType<typeof manifestAuth>): Promise<void> {
  const file = join(data, 'catalog.sqlite');
  const opened = await openStore(storeUrl);
  let summary: Summary;
  try {
    const cdp = await cdpVolumesToRecover(opened.store, data);
    if (cdp.occupied.length > 0 && opts.force !== true) {
      throw new RecoverError(`${join(data, 'cdp')} holds the local state of ${cdp.occupied.join(', ')}: refusing to overwrite it (use --force to replace it; it is kept aside)`);
    }
    if (existsSync(file)) {
      const old = Catalog.open(file);
      const known = old.cartridges.list().length;
      old.close();
      if (known > 0 && opts.force !== true) {
        throw new RecoverError(`${file} already knows ${known} cartridges: refusing to overwrite it (use --force to replace it; it is kept aside)`);
      }
      const aside = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(file, aside);
      for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    }
    const recovered = await recoverCatalogFile(file, opened.store, libraries, auth === undefined ? {} : { auth });
    summary = { ...recovered.summary, source: recovered.source, objects: recovered.objects, cdp: await recoverCdpVolumes(opened.store, data, cdp.volumes, opts.force === true) };
  } finally {
    await opened.close();
  }
  process.stdout.write(opts.json === true ? `${JSON.stringify(summary, null, 2)}\n` : render(summary, file));
  if (summary.failed.length > 0) process.exitCode = 1;
}

type Summary = RecoverySummary & { source: CatalogSource; objects: ReconcileReport; cdp: RecoveredVolume[] };

function render(s: Summary, file: string): string {
  const lines = [
    `recovered ${file}`,
    ...describeSource(s.source),
    `store objects: ${s.objects.listed} listed (${s.objects.listRequests} LIST requests), ${s.objects.registered} registered, ${s.objects.markedDeleted} marked deleted`,
    `cartridges: ${s.cartridges} (${s.fromManifests} from manifests, ${s.fromStateOnly.length} known only from library state), ${s.bytes} bytes written`,
  ];
  for (const l of s.libraries) {
    lines.push(`library ${l.name}: state v${l.stateVersion}${l.stateWrittenAt === null ? ' (none in the store)' : ` of ${l.stateWrittenAt}`}, geometry from ${l.geometry}, ${l.placed.length} cartridges placed`);
    for (const p of l.placed) lines.push(`  ${p.kind} ${p.index + 1} (element ${p.address}): ${p.barcode}`);
    for (const u of l.unplaced) lines.push(`  not placed ${u.barcode}: ${u.reason}`);
    for (const k of l.skippedStates) lines.push(`  skipped state object ${k}`);
  }
  for (const c of s.shelf) lines.push(`on the shelf: ${c.barcode} (${c.state}, ${c.phase})`);
  for (const f of s.fellBack) {
    lines.push(`OLDER MANIFEST ${f.barcode}: restored from version ${f.version}; refused ${f.refused.map((r) => `v${r.version} (${r.reason})`).join(', ')}`);
  }
  for (const b of s.emptied) lines.push(`EMPTIED ${b}: the catalog backup knew it written, the store no longer holds its objects`);
  for (const f of s.failed) lines.push(`FAILED ${f.barcode}: ${f.reason}`);
  for (const v of s.cdp) lines.push(`CDP volume ${v.volume}: image as of ${v.newest ?? '(never written)'} (seq ${v.seq})${v.replaced === null ? '' : `, old local state kept in ${v.replaced}`}`);
  return `${lines.join('\n')}\n`;
}
