// The operator CLI suites: a temporary data directory with a small config,
// commands run in-process with their output captured, and a gateway built
// from the same config for the online cases.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { libraryCommand } from '../../src/cli/library.ts';
import { tapeCommand } from '../../src/cli/tape.ts';
import { catalogCommand } from '../../src/cli/catalog.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Logger } from '../../src/log.ts';
import { buildGateway, type Gateway } from '../../src/wiring/index.ts';
import { command, decodeSense, nexus } from '../scsi/ssc/harness.ts';
import type { MediaChanger } from '../../scsi/smc/media-changer.ts';

export const quietLogger: Logger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined,
  child: () => quietLogger,
};

export interface Sandbox {
  readonly dir: string;
  readonly configPath: string;
  readonly config: Config;
  /** Run `s3vtl ARGS` (without --config, which is added) and return what it printed. */
  run(...args: string[]): Promise<string>;
  /** run(... --json) parsed. */
  json<T = unknown>(...args: string[]): Promise<T>;
  cleanup(): Promise<void>;
}

/**
 * One library lib0: stk-l700 (drives from 500, mail slots from 10, storage from 1000), 2 drives, 6 slots, 2 mail slots;
 * `pools` (YAML flow mapping) defaults to one plain pool `vault`.
 */
export function sandbox(o: { mailslots?: number; cartridges?: string; pools?: string } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 's3vtl-cli-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `listen: 127.0.0.1:0
data: ${join(dir, 'data')}
pools: ${o.pools ?? '{ vault: {} }'}
targets:
  - iqn: iqn.2026-11.org.s3vtl:test
    library:
      name: lib0
      drives: 2
      slots: 6
      mailslots: ${o.mailslots ?? 2}
      cartridges: [${o.cartridges ?? ''}]
`);
  const config = loadConfig(configPath);
  const run = async (...args: string[]): Promise<string> => (await runCli(configPath, ...args)).out;
  return {
    dir, configPath, config, run,
    json: async <T>(...args: string[]) => JSON.parse(await run(...args, '--json')) as T,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Run `s3vtl ARGS --config CONFIG` in-process: what it printed, and the exit
 * code it set (process.exitCode is put back as it was).
 */
export async function runCli(configPath: string, ...args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const program = new Command('s3vtl').exitOverride().addCommand(tapeCommand(out)).addCommand(libraryCommand(out)).addCommand(catalogCommand(out));
  program.commands.forEach(function quiet(c: Command): void {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(quiet);
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...args, '--config', configPath], { from: 'user' });
    return { out: Buffer.concat(chunks).toString('utf8'), exitCode: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
  }
}

export async function online(s: Sandbox): Promise<{ gateway: Gateway; changer: MediaChanger }> {
  const gateway = await buildGateway(s.config, quietLogger);
  await gateway.listen();
  return { gateway, changer: gateway.libraries.get('lib0')!.changer };
}

/** TEST UNIT READY on the changer from initiator `n`: the sense as [key, asc, ascq], or 'good'. */
export async function testUnitReady(changer: MediaChanger, n = 1): Promise<'good' | [number, number, number]> {
  const r = await changer.execute(command([0, 0, 0, 0, 0, 0], { nexus: nexus(n) }));
  if (r.sense === undefined) return 'good';
  const s = decodeSense(r.sense);
  return [s.key, s.asc, s.ascq];
}

/** Let initiator `n` log in to the changer and take its power-on unit attention, so later ones queue. */
export async function attach(changer: MediaChanger, n = 1): Promise<void> {
  while ((await testUnitReady(changer, n)) !== 'good');
}
