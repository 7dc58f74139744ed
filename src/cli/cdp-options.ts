// The options every `cdp` command takes: the operator commands' --config,
// --data and --json, and --store as serve takes it.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { withCommonOptions, type CommonOptions } from './output.ts';

export interface CdpCommonOptions extends CommonOptions {
  readonly store?: string;
}

export function withCdpOptions(cmd: Command): Command {
  return withCommonOptions(cmd)
    .option('-s, --store <url>', 'object store: file://DIR or s3://BUCKET/PREFIX (overrides store)');
}

export function cdpConfig(opts: CdpCommonOptions): Config {
  return loadConfig(opts.config, {
    ...(opts.data !== undefined && { data: opts.data }),
    ...(opts.store !== undefined && { store: opts.store }),
  });
}
