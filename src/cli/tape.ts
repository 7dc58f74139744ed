// `s3vtl tape create|list`: cartridges in the catalog and where they are.
import { Command } from 'commander';
import type { TapeInfo } from '../control/protocol.ts';
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

export function tapeCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('tape')
    .description('cartridges in the catalog')
    .addCommand(createCommand(out))
    .addCommand(listCommand(out));
}
