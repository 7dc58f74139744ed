// `s3vtl cdp ...`: CDP volumes. Through the control socket while serve runs,
// against the store without it (a config with only CDP volumes works too).
// `restore` always reads the store from this process (a running serve is
// asked to ship what it has acknowledged first); `expose` without serve runs a
// foreground target serving that one instant until Ctrl-C.
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { restoreToFile } from '../cdp/index.ts';
import type { Config } from '../config.ts';
import { CdpOperations, restoreTarget } from '../control/cdp-operations.ts';
import type { CdpCommandName, CdpCommands, CdpExposure, CdpTargetArgs, CdpVolumeStatus } from '../control/cdp-protocol.ts';
import { offline, request } from '../control/client.ts';
import { asVtlError } from '../control/operations.ts';
import { controlSocketPath } from '../control/protocol.ts';
import { UsageError } from '../errors.ts';
import { CDP_PREFIX } from '../wiring/cdp.ts';
import { openStore } from '../wiring/store.ts';
import { exposeInForeground } from './cdp-foreground.ts';
import { formatBytes, formatTable, printJson } from './output.ts';
import { cdpConfig, withCdpOptions, type CdpCommonOptions } from './cdp-options.ts';
import { RestoreProgress } from './cdp-progress.ts';

/** One command on the running server, else on the store. */
export async function invokeCdp<C extends CdpCommandName>(config: Config, command: C, args: CdpCommands[C]['args']): Promise<CdpCommands[C]['result']> {
  const online = await request(controlSocketPath(config.data), command, args);
  if (online !== offline) return online as CdpCommands[C]['result'];
  const opened = await openStore(config.store);
  try {
    return (await new CdpOperations({ store: opened.store, prefix: CDP_PREFIX }).handlers()[command](args)) as CdpCommands[C]['result'];
  } catch (e) {
    throw asVtlError(e) ?? e;
  } finally {
    await opened.close();
  }
}

interface TargetOptions extends CdpCommonOptions {
  readonly at?: string;
  readonly bookmark?: string;
  readonly newest?: boolean;
}

const targetArgs = (o: TargetOptions): CdpTargetArgs => ({
  ...(o.at !== undefined && { at: o.at }),
  ...(o.bookmark !== undefined && { bookmark: o.bookmark }),
  ...(o.newest === true && { newest: true }),
});

const when = (iso: string | null): string => iso ?? '-';

function statusText(s: CdpVolumeStatus): string {
  const lines = [
    `volume         ${s.volume} (${formatBytes(s.sizeBytes)}, ${s.blockSize}-byte blocks)${s.live ? '' : ', not served here'}`,
    `window         ${when(s.windowStart)} .. ${when(s.windowEnd)}`,
    `newest durable ${when(s.newestDurable)}`,
    `lag            ${s.lagMs} ms${s.rpoGrowing ? '  (RPO GROWING: the journal is full or the store unreachable)' : ''}${s.shipping ? '  (storing)' : ''}`,
    `bytes          ${formatBytes(s.bytesLocal)} local, ${formatBytes(s.bytesInStore)} in the store`,
    `bookmarks      ${s.bookmarks.length === 0 ? 'none' : ''}`,
    ...s.bookmarks.map((b) => `  ${b.time}  ${b.name}`),
    ...s.exposed.map((e) => `exposed        ${e.iqn} LUN ${e.lun} at ${e.instant}`),
  ];
  return lines.join('\n') + '\n';
}

function listText(volumes: readonly CdpVolumeStatus[]): string {
  if (volumes.length === 0) return 'no CDP volumes (declare one with cdp: {} under a disk)\n';
  return formatTable(
    ['VOLUME', '>SIZE', 'WINDOW START', 'WINDOW END', 'NEWEST DURABLE', '>LAG MS', '>BOOKMARKS', '>IN STORE', 'SERVED'],
    volumes.map((v) => [v.volume, formatBytes(v.sizeBytes), when(v.windowStart), when(v.windowEnd), when(v.newestDurable), String(v.lagMs), String(v.bookmarks.length), formatBytes(v.bytesInStore), v.live ? 'yes' : 'no']),
  );
}

function restoreCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('restore'))
    .description('write the image of VOLUME as it was at an instant to FILE (sparse where never written)')
    .argument('<volume>', 'CDP volume (the disk name)')
    .option('--at <time>', 'ISO 8601 instant, e.g. 2026-12-06T18:29:38.468Z: every write acknowledged before it')
    .option('--bookmark <name>', 'a named instant (s3vtl cdp bookmark)')
    .option('--newest', 'the newest instant (a running serve ships what it acknowledged first)')
    .requiredOption('--to <file>', 'the image file to write (must not exist unless --force)')
    .option('--force', 'replace FILE if it exists')
    .action(async (volume: string, opts: TargetOptions & { to: string; force?: boolean }) => {
      const config = cdpConfig(opts);
      const target = restoreTarget(targetArgs(opts), true);
      const existing = await stat(opts.to).catch(() => undefined);
      if (existing !== undefined && opts.force !== true) throw new UsageError(`${opts.to} exists: choose another --to or add --force`);
      if (existing !== undefined && !existing.isFile()) throw new UsageError(`${opts.to} is not a regular file: restore to a file (then dd it where it belongs)`);
      // Whatever serve has acknowledged goes to the store first; offline there is nothing to wait for.
      await invokeCdp(config, 'cdp.drain', { volume });
      const partial = join(dirname(opts.to), `.${basename(opts.to)}.partial`);
      const progress = new RestoreProgress(opts.json === true ? undefined : process.stderr);
      const opened = await openStore(config.store);
      try {
        const r = await restoreToFile(opened.store, CDP_PREFIX, volume, target, partial, { onProgress: (done, total) => progress.update(done, total) });
        progress.done();
        await rename(partial, opts.to);
        const result = { volume, file: opts.to, instant: r.instant.toISOString(), seq: r.seq.toString(), bytes: r.bytes };
        if (opts.json === true) printJson(result, out);
        else out.write(`restored ${volume} as of ${result.instant} (seq ${result.seq}) to ${opts.to}: ${formatBytes(r.bytes)}\n`);
      } catch (e) {
        progress.done();
        await rm(partial, { force: true });
        throw asVtlError(e) ?? e;
      } finally {
        await opened.close();
      }
    });
}

function exposeCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('expose'))
    .description('serve VOLUME as it was at an instant as a read-only LUN and print its target and LUN; without a running serve, serve it in the foreground until Ctrl-C')
    .argument('<volume>', 'CDP volume (the disk name)')
    .option('--at <time>', 'ISO 8601 instant, e.g. 2026-12-06T18:29:38.468Z')
    .option('--bookmark <name>', 'a named instant')
    .option('--newest', 'the newest instant (a running serve ships what it acknowledged first)')
    .action(async (volume: string, opts: TargetOptions) => {
      const config = cdpConfig(opts);
      const args = { volume, ...targetArgs(opts) };
      restoreTarget(args, true);
      const print = (e: CdpExposure): void => {
        if (opts.json === true) out.write(JSON.stringify({ iqn: e.iqn, lun: e.lun, volume: e.volume, instant: e.instant }) + '\n');
        else out.write(`${e.volume} as of ${e.instant}: target ${e.iqn} LUN ${e.lun} (read-only)\n`);
      };
      const online = await request(controlSocketPath(config.data), 'cdp.expose', args);
      if (online !== offline) {
        print(online);
        return;
      }
      await exposeInForeground(config, volume, restoreTarget(args, true), print);
    });
}

function unexposeCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('unexpose'))
    .description('remove the point-in-time LUNs of VOLUME, or the one given by --lun')
    .argument('[volume]', 'CDP volume whose exposures to remove')
    .option('--lun <N>', 'only this LUN of the point-in-time target', (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a LUN number');
      return Number(v);
    })
    .action(async (volume: string | undefined, opts: CdpCommonOptions & { lun?: number }) => {
      const config = cdpConfig(opts);
      const r = await invokeCdp(config, 'cdp.unexpose', { ...(volume !== undefined && { volume }), ...(opts.lun !== undefined && { lun: opts.lun }) });
      if (opts.json === true) printJson(r, out);
      else for (const e of r.removed) out.write(`removed ${e.iqn} LUN ${e.lun} (${e.volume} as of ${e.instant})\n`);
    });
}

function bookmarkCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('bookmark'))
    .description('name the current instant of VOLUME (freeze the filesystem first, e.g. fsfreeze, for an application-consistent point); returns once it is in the store')
    .argument('<volume>', 'CDP volume')
    .argument('<name>', 'bookmark name: letters, digits, . _ -')
    .action(async (volume: string, name: string, opts: CdpCommonOptions) => {
      const config = cdpConfig(opts);
      const b = await invokeCdp(config, 'cdp.bookmark', { volume, name });
      if (opts.json === true) printJson(b, out);
      else out.write(`bookmark ${b.name} of ${volume}: ${b.time} (seq ${b.seq})\n`);
    });
}

function listCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('list'))
    .description('CDP volumes: window, newest durable instant, lag, bookmarks, bytes in the store')
    .action(async (opts: CdpCommonOptions) => {
      const config = cdpConfig(opts);
      const r = await invokeCdp(config, 'cdp.list', {});
      if (opts.json === true) printJson(r, out);
      else out.write(listText(r.volumes));
    });
}

function statusCommand(out: NodeJS.WritableStream): Command {
  return withCdpOptions(new Command('status'))
    .description('one CDP volume: window start and end, bookmarks, newest durable instant, lag, bytes local and in the store')
    .argument('<volume>', 'CDP volume')
    .action(async (volume: string, opts: CdpCommonOptions) => {
      const config = cdpConfig(opts);
      const s = await invokeCdp(config, 'cdp.status', { volume });
      if (opts.json === true) printJson(s, out);
      else out.write(statusText(s));
    });
}

export function cdpCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('cdp')
    .description('CDP volumes: restore to any instant, expose an instant as a read-only LUN, bookmarks, status')
    .addCommand(restoreCommand(out))
    .addCommand(exposeCommand(out))
    .addCommand(unexposeCommand(out))
    .addCommand(bookmarkCommand(out))
    .addCommand(listCommand(out))
    .addCommand(statusCommand(out));
}
