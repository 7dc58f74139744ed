// `s3vtl serve`: load config, build the target, listen, stop cleanly on SIGTERM/SIGINT.
import { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig, type Config } from '../config.ts';
import { restartKeys } from '../config-reload.ts';
import { formatDuration } from '../duration.ts';
import { startupError } from '../disk-full.ts';
import { createLogger } from '../log.ts';
import { buildGateway } from '../wiring/index.ts';

interface ServeOptions {
  readonly config: string;
  readonly listen?: string;
  readonly data?: string;
  readonly store?: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the iSCSI target')
    .option('-c, --config <file>', 'YAML configuration', DEFAULT_CONFIG_PATH)
    .option('-l, --listen <host:port>', 'portal address (overrides listen)')
    .option('-d, --data <dir>', 'local state directory (overrides data)')
    .option('-s, --store <url>', 'object store: file://DIR or s3://BUCKET/PREFIX (overrides store)')
    .action(async (opts: ServeOptions) => {
      const overrides = {
        ...(opts.listen !== undefined && { listen: opts.listen }),
        ...(opts.data !== undefined && { data: opts.data }),
        ...(opts.store !== undefined && { store: opts.store }),
      };
      const config = loadConfig(opts.config, overrides);
      const log = createLogger(config.log.level);
      // A full data directory at startup (the catalog, staging recovery) is said in one line, not a stack trace.
      const gateway = await buildGateway(config, log).catch((e: unknown) => {
        throw startupError(e, config.data);
      });
      const { host, port } = await gateway.listen();
      log.info('listening', { portal: `${host}:${port}`, targets: gateway.describe() });
      // One line on stdout that scripts can wait for.
      process.stdout.write(`s3vtl: listening on ${host}:${port}\n`);
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info('stopping', { signal });
        gateway.close().then(
          () => process.exit(0),
          (e: unknown) => {
            log.error('unclean stop', { error: String(e) });
            process.exit(1);
          },
        );
      };
      // SIGHUP: read the config file again. Retention policies and schedule take effect from the
      // next pass; other keys need a restart (said in the log). A bad file changes nothing.
      process.on('SIGHUP', () => {
        let next: Config;
        try {
          next = loadConfig(opts.config, overrides);
          gateway.reload(next);
        } catch (e) {
          log.error('config reload refused; the running configuration stays', { file: opts.config, reason: e instanceof Error ? e.message : String(e) });
          return;
        }
        const restart = restartKeys(config, next);
        log.info('config reloaded: retention policies and schedule apply from the next pass', { file: opts.config, every: next.retention.everyMs === 0 ? 'off' : formatDuration(next.retention.everyMs) });
        if (restart.length > 0) log.warn('config keys changed that take effect only after a restart', { keys: restart });
      });
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
