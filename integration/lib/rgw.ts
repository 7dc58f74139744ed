// A real S3 (Ceph RGW) on loopback through ../shared/s3/start-rgw, with its own data dir and port.
import path from 'node:path';
import { freePort, RGW_PORTS, run, SHARED, workDir } from './util.ts';

export interface Rgw {
  port: number;
  dir: string;
  env: Record<string, string>; // S3_ENDPOINT, AWS_ACCESS_KEY_ID, ... as start-rgw exports them
  stop(purge?: boolean): Promise<void>;
}

/** Starts (or bootstraps) RGW in .work/it/NAME; opts.env passes e.g. RGW_OBJECTSTORE=memstore, S3_BUCKETS. */
export async function startRgw(name = 'rgw', opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Rgw> {
  const dir = path.join(workDir(name), 'data'); // start-rgw refuses a non-empty dir it did not create
  const port = await freePort(RGW_PORTS);
  const r = await run('bash', [path.join(SHARED, 's3/start-rgw'), dir, String(port)], { env: opts.env, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`start-rgw exited ${r.code}:\n${r.stderr}`);
  const env: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  if (!env.S3_ENDPOINT) throw new Error(`start-rgw printed no S3_ENDPOINT:\n${r.stdout}`);
  return {
    port, dir, env,
    stop: async (purge = true) => {
      await run('bash', [path.join(SHARED, 's3/stop-rgw'), dir, ...(purge ? ['--purge'] : [])], { timeoutMs: 120_000 });
    },
  };
}
