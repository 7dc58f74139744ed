// The options every `cdp` command takes: --config, --data and --store as
// serve takes them, and --json.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig, type Config } from '../config.ts';

export interface CdpCommonOptions {
  readonly config: string;
  readonly data?: string;
  readonly store?: string;
  readonly json?: boolean;
}

export function withCdpOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration (the one serve runs with)', DEFAULT_CONFIG_PATH)
    .option('-d, --data <dir>', 'local state directory (overrides data)')
    .option('-s, --store <url>', 'object store: file://DIR or s3://BUCKET/PREFIX (overrides store)')
    .option('--json', 'print machine-readable JSON');
}

export function cdpConfig(opts: CdpCommonOptions): Config {
  return loadConfig(opts.config, {
    ...(opts.data !== undefined && { data: opts.data }),
    ...(opts.store !== undefined && { store: opts.store }),
  });
}
