// `s3vtl library status|import|export`: what the libraries hold, and the
// operator's side of the mail slots (import/export elements).
import { Command } from 'commander';
import type { LibraryStatus } from '../control/protocol.ts';
import { cliConfig, formatTable, invoke, parse, printJson, withCommonOptions, type CommonOptions } from './output.ts';

interface StatusOptions extends CommonOptions { readonly library?: string }
interface ImportOptions extends CommonOptions { readonly library: string; readonly slot?: number }
interface ExportOptions extends CommonOptions { readonly library: string; readonly slot: string }

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

function exportCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('export'))
    .description('take a cartridge out of an import/export slot to the shelf (initiators see UNIT ATTENTION 28/01)')
    .requiredOption('--library <name>', 'the library')
    .requiredOption('--slot <address|barcode>', 'import/export element address, or the barcode of the cartridge in it')
    .action(async (opts: ExportOptions) => {
      const result = await invoke(cliConfig(opts), 'library.export', { library: opts.library, slot: opts.slot });
      if (opts.json === true) printJson(result, out);
      else out.write(`${result.barcode} left import/export slot ${result.address} of ${result.library}; it is on the shelf\n`);
    });
}

export function libraryCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('library')
    .description('tape libraries: status, and import/export through the mail slots')
    .addCommand(statusCommand(out))
    .addCommand(importCommand(out))
    .addCommand(exportCommand(out));
}
