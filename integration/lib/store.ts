// Which object store the suites' targets use: S3VTL_IT_STORE=dir (default: file://<data>/store)
// or S3VTL_IT_STORE=s3 (one Ceph RGW per test file, started on first use and stopped when the
// test worker exits, a fresh bucket per target). A StoreProbe reads the store behind the
// target's back (plain fs, or the AWS SDK without the product's store classes), so suites can
// check what landed in it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startRgw, type Rgw } from './rgw.ts';
import { SHARED } from './util.ts';

export type StoreKind = 'dir' | 's3';
export const itStore = (): StoreKind => (process.env.S3VTL_IT_STORE === 's3' ? 's3' : 'dir');

/** The store a target runs on: its URL, and the environment its process needs (RGW endpoint, keys). */
export interface StoreSpec {
  kind: StoreKind;
  url: string;
  env: Record<string, string>;
  probe: StoreProbe;
}

/** Read-only view of a store by key (keys relative to the store's root/prefix). */
export interface StoreProbe {
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
}

let rgwOnce: Promise<Rgw> | undefined;
let rgwDir: string | undefined;

// The RGW daemons outlive a crashed worker otherwise: stop them (synchronously) when it exits.
process.once('exit', () => {
  if (rgwDir !== undefined) spawnSync('bash', [path.join(SHARED, 's3/stop-rgw'), rgwDir, '--purge'], { stdio: 'ignore', timeout: 60_000 });
});

/** The one RGW of this test file (S3VTL_IT_RGW_OBJECTSTORE=memstore|bluestore, default bluestore). */
export function sharedRgw(): Promise<Rgw> {
  rgwOnce ??= startRgw(`rgw-${process.pid}`, { env: { RGW_OBJECTSTORE: process.env.S3VTL_IT_RGW_OBJECTSTORE ?? 'bluestore' } })
    .then((r) => { rgwDir = r.dir; return r; });
  return rgwOnce;
}

export function s3Client(env: Record<string, string>): S3Client {
  return new S3Client({
    endpoint: env.S3_ENDPOINT, region: env.S3_REGION ?? 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

let buckets = 0;
/** A fresh bucket on the shared RGW, named after the suite/target. */
export async function s3StoreFor(name: string, prefix = 'vtl'): Promise<StoreSpec> {
  const rgw = await sharedRgw();
  const slug = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const bucket = `it-${slug}-${process.pid}-${++buckets}`.slice(0, 63).replace(/-+$/, '');
  const client = s3Client(rgw.env);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { kind: 's3', url: `s3://${bucket}/${prefix}`, env: { ...rgw.env }, probe: s3Probe(client, bucket, prefix) };
}

export function s3Probe(client: S3Client, bucket: string, prefix: string): StoreProbe {
  const root = prefix === '' ? '' : `${prefix.replace(/\/+$/, '')}/`;
  return {
    async list(p) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root + p, ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of r.Contents ?? []) keys.push(o.Key!.slice(root.length));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async get(key) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: root + key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: root + key }));
        return true;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw e;
      }
    },
  };
}

export function dirProbe(root: string): StoreProbe {
  const walk = (dir: string, rel: string, out: string[]): void => {
    if (!existsSync(dir)) return;
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      if (statSync(p).isDirectory()) walk(p, rel + n + '/', out);
      else out.push(rel + n);
    }
  };
  return {
    async list(prefix) {
      const slash = prefix.lastIndexOf('/');
      const out: string[] = [];
      walk(path.join(root, prefix.slice(0, slash + 1)), prefix.slice(0, slash + 1), out);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
    async get(key) { return readFileSync(path.join(root, key)); },
    async exists(key) { return existsSync(path.join(root, key)); },
  };
}

/** For a store the suite configured itself: reading it through the harness is not supported. */
export function noProbe(url: string): StoreProbe {
  const no = (): Promise<never> => Promise.reject(new Error(`no store probe for ${url}: the suite configured it, the suite reads it`));
  return { list: no, get: no, exists: no };
}

/** The store for a target named `name` whose data dir is `data`, as S3VTL_IT_STORE asks. */
export async function storeFor(name: string, data: string): Promise<StoreSpec> {
  if (itStore() === 's3') return s3StoreFor(name);
  const root = path.join(data, 'store');
  return { kind: 'dir', url: `file://${root}`, env: {}, probe: dirProbe(root) };
}
