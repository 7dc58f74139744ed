// `s3vtl library status|import|export`: what the libraries hold, and the
// operator's side of the mail slots (import/export elements).
import { Command } from 'commander';
import type { LibraryExportResult, LibraryStatus, ShelfStatus } from '../control/protocol.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { repeatSteps } from '../shelf/progress.ts';
import { cliConfig, formatBytes, formatTable, invoke, parse, printJson, withCommonOptions, type CommonOptions } from './output.ts';

interface StatusOptions extends CommonOptions { readonly library?: string }
interface ImportOptions extends CommonOptions { readonly library: string; readonly slot?: number }
interface ExportOptions extends CommonOptions { readonly library?: string; readonly slot?: string }

export function statusText(l: LibraryStatus): string {
  const rows: string[][] = [
    ...l.drives.map((d) => [`drive ${d.index}`, String(d.address), d.barcode ?? '-', `LUN ${d.lun}, serial ${d.serial}`]),
    ...l.slots.map((s) => [`slot ${s.index + 1}`, String(s.address), s.barcode ?? '-', '']),
    ...l.importExport.map((s) => [`import/export ${s.index + 1}`, String(s.address), s.barcode ?? '-', '']),
  ];
  const full = l.slots.filter((s) => s.barcode !== null).length;
  return `${l.name} (${l.iqn}): changer ${l.changer.personality} (${l.changer.vendor} ${l.changer.product}, serial ${l.changer.serial}), `
    + `${l.drives.length} × ${l.drive.personality}, ${full}/${l.slots.length} slots full\n`
    + formatTable(['ELEMENT', '>ADDRESS', 'CARTRIDGE', 'DEVICE'], rows);
}

function statusCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('status'))
    .description('per library: personality, drives with the loaded cartridge and serial, slots and import/export slots')
    .option('--library <name>', 'only this library')
    .action(async (opts: StatusOptions) => {
      const result = await invoke(cliConfig(opts), 'library.status', opts.library === undefined ? {} : { library: opts.library });
      if (opts.json === true) printJson(result, out);
      else if (result.libraries.length === 0) out.write('the configuration has no library\n');
      else out.write(result.libraries.map(statusText).join('\n'));
    });
}

function importCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('import'))
    .description('put a shelf cartridge into an import/export slot, as through the mail slot (initiators see UNIT ATTENTION 28/01)')
    .argument('<barcode>', 'a cartridge on the shelf')
    .requiredOption('--library <name>', 'the library')
    .option('--slot <address>', 'import/export element address (default: the first empty one)', parse.address)
    .action(async (barcode: string, opts: ImportOptions) => {
      const result = await invoke(cliConfig(opts), 'library.import', {
        library: opts.library, barcode, ...(opts.slot !== undefined && { slot: opts.slot }),
      });
      if (opts.json === true) printJson(result, out);
      else out.write(`${result.barcode} is in import/export slot ${result.address} of ${result.library}\n`);
    });
}

/** What became of an exported cartridge, in one sentence. */
export function shelfText(s: ShelfStatus): string {
  if (s.medium === 'none') return 'kept as it is (the store has no storage classes)';
  const where = s.medium === 'vault' ? 'a Glacier vault' : s.archiveClass ?? 'the archive';
  if (!s.complete) return `archive to ${where} interrupted at ${s.archived}/${s.objects} objects: run s3vtl library export ${s.barcode} again to finish it`;
  return `archived: ${s.objects} object${s.objects === 1 ? '' : 's'} (${formatBytes(s.bytes)}) in ${where}; bring it back with s3vtl tape retrieve ${s.barcode}`;
}

/** How long an export waits for the gateway to finish uploading what the cartridge holds. */
const BUSY_WAIT_MS = 300_000;

/** One archive step; while the gateway still uploads the cartridge (just unloaded), wait for it. */
async function archiveStep(config: Config, barcode: string): Promise<ShelfStatus> {
  const until = Date.now() + BUSY_WAIT_MS;
  for (;;) {
    try {
      return await invoke(config, 'tape.archive', { barcode });
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'VTL_SHELF_BUSY' || Date.now() >= until) throw e;
      await sleep(1000);
    }
  }
}

function exportCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('export'))
    .description('take a cartridge out of an import/export slot to the shelf (initiators see UNIT ATTENTION 28/01); with an S3 store its segments move to the pool\'s archiveClass (or vault); a cartridge whose archive was interrupted is finished')
    .argument('[barcode]', 'the cartridge in an import/export slot (or on the shelf, to finish its archive)')
    .option('--library <name>', 'the library (default: the only one)')
    .option('--slot <address|barcode>', 'import/export element address, or the barcode of the cartridge in it')
    .action(async (barcode: string | undefined, opts: ExportOptions) => {
      const slot = barcode ?? opts.slot;
      if (slot === undefined || (barcode !== undefined && opts.slot !== undefined)) throw new UsageError('name the cartridge (BARCODE) or the import/export slot (--slot ADDR), one of them');
      const config = cliConfig(opts);
      const first = await invoke(config, 'library.export', { slot, ...(opts.library !== undefined && { library: opts.library }) });
      let shelf = first.shelf;
      if (shelf !== undefined && !shelf.complete) {
        const progress = opts.json === true ? process.stderr : out;
        shelf = await repeatSteps(() => archiveStep(config, first.barcode), { transfer: 'archive', wait: true, intervalMs: 1000, out: progress });
      }
      const result: LibraryExportResult = { ...first, ...(shelf !== undefined && { shelf }) };
      if (opts.json === true) printJson(result, out);
      else {
        const left = result.address === null ? `${result.barcode} is on the shelf` : `${result.barcode} left import/export slot ${result.address} of ${result.library}; it is on the shelf`;
        out.write(`${left}${shelf === undefined ? '' : `, ${shelfText(shelf)}`}\n`);
      }
    });
}

export function libraryCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('library')
    .description('tape libraries: status, and import/export through the mail slots')
    .addCommand(statusCommand(out))
    .addCommand(importCommand(out))
    .addCommand(exportCommand(out));
}
