// What the operator commands share: --config/--data/--json, reaching the
// running server through its control socket or else the catalog directly,
// and printing a result as an aligned table or as JSON.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig, parseSize, type Config } from '../config.ts';
import { offline, request } from '../control/client.ts';
import { openOffline } from '../control/offline.ts';
import { asVtlError } from '../control/operations.ts';
import { controlSocketPath, type CommandName, type Commands, type Location, type TapeCommandName } from '../control/protocol.ts';

export interface CommonOptions {
  readonly config: string;
  readonly data?: string;
  readonly json?: boolean;
}

/** --config, --data (as serve takes them) and --json. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration (the one serve runs with)', DEFAULT_CONFIG_PATH)
    .option('-d, --data <dir>', 'local state directory (overrides data)')
    .option('--json', 'print machine-readable JSON');
}

export function cliConfig(opts: CommonOptions): Config {
  return loadConfig(opts.config, opts.data === undefined ? {} : { data: opts.data });
}

/** Commands that change elements, hence the library state object in the store. */
const MUTATING: ReadonlySet<CommandName> = new Set(['tape.create', 'library.import', 'library.export', 'tape.archive', 'tape.retrieve', 'tape.protect']);

/**
 * Run a command on the running server when its control socket answers,
 * else on the catalog directly, through the same handler table.
 */
export async function invoke<C extends TapeCommandName>(config: Config, command: C, args: Commands[C]['args']): Promise<Commands[C]['result']> {
  const online = await request(controlSocketPath(config.data), command, args);
  if (online !== offline) return online;
  const local = await openOffline(config, {
    publish: MUTATING.has(command),
    onPublishError: (e) => process.stderr.write(`s3vtl: warning: the library state was not written to the store (${e instanceof Error ? e.message : String(e)}); serve writes it at its next start\n`),
  });
  try {
    return (await local.ops.handlers()[command](args)) as Commands[C]['result'];
  } catch (e) {
    throw asVtlError(e) ?? e;
  } finally {
    await local.close();
  }
}

export function printJson(value: unknown, out: NodeJS.WritableStream = process.stdout): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

/** Columns padded to their widest cell; numbers are right-aligned when the header says so (`>NAME`). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = headers.map((h) => h.startsWith('>'));
  const names = headers.map((h) => h.replace(/^>/, ''));
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(names), ...rows.map(line)].join('\n') + '\n';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 8589934592 -> "8 GiB", 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(v >= 100 ? 0 : 1))} ${UNITS[u]}`;
}

export function formatLocation(l: Location | null): string {
  if (l === null) return 'shelf';
  const what = l.kind === 'data-transfer' ? `drive ${l.index}` : l.kind === 'storage' ? 'slot' : 'import/export';
  return `${l.library} ${what} @${l.address}`;
}

/** Commander argument parsers that reject with a message saying what is expected. */
export const parse = {
  count: (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number');
    return Number(v);
  },
  /** An element address, decimal or 0x hexadecimal. */
  address: (v: string): number => {
    if (!/^(\d+|0x[0-9a-f]+)$/i.test(v)) throw new InvalidArgumentError('expected an element address (e.g. 10 or 0x000a)');
    return Number(v);
  },
  size: (v: string): number => {
    const n = parseSize(v);
    if (n === undefined || n === 0) throw new InvalidArgumentError('expected a size, e.g. 8GiB, 512MiB or a byte count');
    return n;
  },
};
