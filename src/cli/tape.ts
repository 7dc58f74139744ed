// `s3vtl tape create|list`: cartridges in the catalog and where they are.
import { Command, InvalidArgumentError } from 'commander';
import type { TapeInfo, TapeRetrieveResult } from '../control/protocol.ts';
import { repeatSteps } from '../shelf/progress.ts';
import { cliConfig, formatBytes, formatLocation, formatTable, invoke, parse, printJson, withCommonOptions, type CommonOptions } from './output.ts';

interface CreateOptions extends CommonOptions {
  readonly prefix?: string;
  readonly count?: number;
  readonly media?: string;
  readonly first?: number;
  readonly pool: string;
  readonly capacity?: number;
  readonly worm?: boolean;
  readonly library?: string;
  readonly shelf?: boolean;
}

interface ListOptions extends CommonOptions {
  readonly pool?: string;
  readonly library?: string;
}

export function tapeTable(tapes: readonly TapeInfo[]): string {
  return formatTable(
    ['BARCODE', 'MEDIA', 'POOL', 'STATE', '>WRITTEN', '>CAPACITY', 'WORM', 'WP', 'LOCATION'],
    tapes.map((t) => [
      t.barcode, t.media, t.pool ?? '-', t.state, formatBytes(t.bytesWritten), formatBytes(t.capacityBytes),
      t.worm ? 'yes' : 'no', t.writeProtected ? 'yes' : 'no', formatLocation(t.location),
    ]),
  );
}

function createCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('create'))
    .description('create cartridges: in the empty storage slots of a library, or on the shelf')
    .argument('[barcodes...]', 'barcodes, e.g. S3V011L6 (6 characters then the LTO media id)')
    .option('--prefix <P>', 'generate barcodes: VOLSER = prefix + zero-padded number')
    .option('--count <N>', 'how many to generate', parse.count)
    .option('--media <ID>', 'LTO media id of generated barcodes (L5, L6, LW, ...)')
    .option('--first <N>', 'first number of generated barcodes (default 1)', parse.count)
    .option('--pool <name>', 'pool', 'default')
    .option('--capacity <size>', 'virtual capacity below the native one, e.g. 8GiB', parse.size)
    .option('--worm', 'write once, read many')
    .option('--library <name>', 'put them into empty storage slots of this library (default: the only one)')
    .option('--shelf', 'keep them outside every library (import them later)')
    .action(async (barcodes: string[], opts: CreateOptions) => {
      const config = cliConfig(opts);
      const result = await invoke(config, 'tape.create', {
        barcodes,
        pool: opts.pool,
        worm: opts.worm === true,
        shelf: opts.shelf === true,
        ...(opts.prefix !== undefined && { prefix: opts.prefix }),
        ...(opts.count !== undefined && { count: opts.count }),
        ...(opts.media !== undefined && { media: opts.media }),
        ...(opts.first !== undefined && { first: opts.first }),
        ...(opts.capacity !== undefined && { capacityBytes: opts.capacity }),
        ...(opts.library !== undefined && { library: opts.library }),
      });
      if (opts.json === true) printJson(result, out);
      else out.write(tapeTable(result.created));
    });
}

function listCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('list'))
    .description('list cartridges: media, pool, state, bytes written, WORM, write-protect, location')
    .option('--pool <name>', 'only this pool')
    .option('--library <name>', 'only cartridges inside this library')
    .action(async (opts: ListOptions) => {
      const config = cliConfig(opts);
      const result = await invoke(config, 'tape.list', {
        ...(opts.pool !== undefined && { pool: opts.pool }),
        ...(opts.library !== undefined && { library: opts.library }),
      });
      if (opts.json === true) printJson(result, out);
      else if (result.tapes.length === 0) out.write('no cartridges (create some: s3vtl tape create --help)\n');
      else out.write(tapeTable(result.tapes));
    });
}

interface RetrieveOptions extends CommonOptions {
  readonly tier: 'Standard' | 'Bulk' | 'Expedited';
  readonly days: number;
  readonly wait?: boolean;
  readonly poll: number;
  readonly library?: string;
  readonly slot?: number;
}

const TIERS = ['Standard', 'Bulk', 'Expedited'];

export function retrieveText(r: TapeRetrieveResult): string {
  if (r.location !== null) {
    const what = r.objects === 0 ? '' : ` (${r.objects} object${r.objects === 1 ? '' : 's'}, ${formatBytes(r.bytes)} readable again)`;
    return `${r.barcode} is in import/export slot ${r.location.address} of ${r.location.library}${what}\n`;
  }
  if (r.message !== null) return `${r.message}\n`;
  return `${r.barcode}: restore under way for ${r.restoring} of ${r.objects} objects (${r.restored} readable, ${r.copied} copied back); `
    + `run s3vtl tape retrieve ${r.barcode} again to go on, or add --wait\n`;
}

function retrieveCommand(out: NodeJS.WritableStream): Command {
  return withCommonOptions(new Command('retrieve'))
    .description('bring an archived cartridge back from the shelf: restore its objects, copy them back to the pool\'s storage class, then put it in a free import/export slot (initiators see UNIT ATTENTION 28/01); repeat it to go on after an interruption')
    .argument('<barcode>', 'a cartridge on the shelf')
    .option('--tier <tier>', 'S3 restore tier: Standard, Bulk or Expedited', (v: string) => {
      if (!TIERS.includes(v)) throw new InvalidArgumentError(`expected one of ${TIERS.join(', ')}`);
      return v;
    }, 'Standard')
    .option('--days <N>', 'days the restored copies stay readable before they are copied back (1-365)', parse.count, 7)
    .option('--wait', 'poll until the cartridge is in an import/export slot')
    .option('--no-wait', 'ask for the restores and return (default)')
    .option('--poll <seconds>', 'seconds between polls while S3 restores', parse.count, 60)
    .option('--library <name>', 'library to put it in (default: the one it left)')
    .option('--slot <address>', 'import/export element address (default: the first empty one)', parse.address)
    .action(async (barcode: string, opts: RetrieveOptions) => {
      const config = cliConfig(opts);
      const args = {
        barcode, tier: opts.tier, days: opts.days,
        ...(opts.library !== undefined && { library: opts.library }),
        ...(opts.slot !== undefined && { slot: opts.slot }),
      };
      const progress = opts.json === true ? process.stderr : out;
      const result = await repeatSteps(() => invoke(config, 'tape.retrieve', args), {
        transfer: 'retrieve', wait: opts.wait === true, intervalMs: Math.max(1, opts.poll) * 1000, out: progress,
      });
      if (opts.json === true) printJson(result, out);
      else out.write(retrieveText(result));
      // Readable but not placed: the operator has to free a slot.
      if (result.complete && result.location === null) process.exitCode = 3;
    });
}

/**
 * `tape protect` / `tape unprotect`: the write-protect switch (a cartridge's
 * tab). A cartridge loaded in a drive is refused (a tab cannot be moved inside
 * the drive): unload it, switch, load it again; the drive reads the switch at
 * load.
 */
function protectCommand(out: NodeJS.WritableStream, protect: boolean): Command {
  const name = protect ? 'protect' : 'unprotect';
  return withCommonOptions(new Command(name))
    .description(protect
      ? 'set the write-protect switch: a drive then reports WP and refuses writes (DATA PROTECT 27/00); not while loaded in a drive'
      : 'clear the write-protect switch (from the next load; not while loaded in a drive)')
    .argument('<barcodes...>', 'cartridges, e.g. S3V001L6')
    .action(async (barcodes: string[], opts: CommonOptions) => {
      const config = cliConfig(opts);
      const result = await invoke(config, 'tape.protect', { barcodes, protect });
      if (result.warning !== null) process.stderr.write(`s3vtl: warning: ${result.warning}\n`);
      if (opts.json === true) printJson(result, out);
      else out.write(tapeTable(result.tapes));
    });
}

export function tapeCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('tape')
    .description('cartridges in the catalog')
    .addCommand(createCommand(out))
    .addCommand(listCommand(out))
    .addCommand(protectCommand(out, true))
    .addCommand(protectCommand(out, false))
    .addCommand(retrieveCommand(out));
}
