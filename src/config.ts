// Loads and validates the YAML configuration. A bad value stops the program
// with a message naming the key and the reason (ConfigError).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { crossCheckConfig } from './config-checks.ts';
import { ConfigError, VtlError } from './errors.ts';
import { changerProfiles, tapeDriveProfiles } from '../scsi/profiles/index.ts';
import { LTO_MEDIA } from '../tapes/barcode.ts';
import { cdpDiskSchema } from './cdp-config.ts';
import { poolRetentionSchema, RETENTION_DEFAULTS, retentionSchema } from './retention-config.ts';
import { parseSize } from './size.ts';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../config/default.yaml', import.meta.url));

export { parseSize } from './size.ts';

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined || n === 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (use e.g. 1GiB, 512MiB or a byte count)` });
    return z.NEVER;
  }
  return n;
});

/** "HOST:PORT" with HOST an IPv4 address or a name. */
export function parseListen(v: string): { host: string; port: number } | undefined {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port <= 65535 ? { host: m[1]!, port } : undefined;
}

const listen = z.string().transform((v, ctx) => {
  const l = parseListen(v);
  if (!l) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not HOST:PORT (e.g. 127.0.0.1:3260)` });
    return z.NEVER;
  }
  return l;
});

// RFC 3720/7143 iSCSI names: iqn.YYYY-MM.reversed.domain[:anything] or eui.16hex.
const iqn = z.string().regex(/^(iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[a-z0-9.:_-]+)?|eui\.[0-9A-Fa-f]{16})$/, {
  message: 'is not an iSCSI name (iqn.YYYY-MM.reversed.domain:name, lower case)',
});
const secret = z.string().min(12, { message: 'CHAP secrets must be 12 to 16+ characters (RFC 7143 12.1.3)' });
const chap = z.strictObject({
  user: z.string().min(1),
  secret,
  mutualUser: z.string().min(1).optional(),
  mutualSecret: secret.optional(),
}).refine((c) => (c.mutualUser === undefined) === (c.mutualSecret === undefined), {
  message: 'mutualUser and mutualSecret go together',
});
const lun = z.number().int().min(0).max(16383);

const disk = z.strictObject({
  lun,
  name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'use 1-32 letters, digits, - or _' }),
  size,
  blockSize: z.union([z.literal(512), z.literal(4096)]).default(512),
  /** A CDP volume: every write journaled to the store (src/cdp-config.ts). */
  cdp: cdpDiskSchema.optional(),
});

const profileName = (known: ReadonlyMap<string, unknown>) =>
  z.string().refine((v) => known.has(v), { message: `unknown personality (known: ${[...known.keys()].join(', ')})` });

/** Cartridges created at start when absent: VOLSER = prefix + zero-padded number, then the media id. */
const cartridges = z.strictObject({
  prefix: z.string().regex(/^[A-Z0-9]{1,5}$/, { message: 'use 1-5 characters A-Z/0-9' }),
  first: z.number().int().min(0).default(1),
  count: z.number().int().min(1).max(10000),
  media: z.string().refine((v) => LTO_MEDIA.has(v), { message: `unknown LTO media id (known: ${[...LTO_MEDIA.keys()].join(', ')})` }),
  /** A virtual capacity below the media's native one. */
  capacity: size.optional(),
  pool: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('default'),
}).refine((c) => String(c.first + c.count - 1).length <= 6 - c.prefix.length, {
  message: 'prefix + number must fit in the 6-character volume serial',
});

/** One batch of cartridges, as `s3vtl tape create --prefix` validates it too. */
export const cartridgeBatchSchema = cartridges;

/** A tape library on one target: LUN 0 the changer, LUNs 1..drives the drives. */
const library = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'use 1-32 letters, digits, - or _' }),
  changer: profileName(changerProfiles).default('stk-l700'),
  drive: profileName(tapeDriveProfiles).default('ibm-ult3580-td6'),
  drives: z.number().int().min(1).max(64).default(2),
  slots: z.number().int().min(1).max(10000).default(20),
  mailslots: z.number().int().min(0).max(240).default(4),
  cartridges: z.array(cartridges).default([]),
});

const poolName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'use 1-32 letters, digits, - or _' });
const storageClass = z.string().regex(/^[A-Z][A-Z0-9_]{1,31}$/, { message: 'use an S3 storage class name such as STANDARD, GLACIER, DEEP_ARCHIVE, GLACIER_IR' });

/**
 * A pool: how the cartridges assigned to it are stored. Every key is optional;
 * an undefined pool named by a cartridge is an error (a typo must not silently
 * drop encryption), except `default`, which always exists.
 */
const pool = z.strictObject({
  /** Storage class of a cartridge's objects while it is in the library (default: the store's). */
  storageClass: storageClass.optional(),
  /** Archive shelf: where an exported cartridge's objects go (GLACIER, DEEP_ARCHIVE, GLACIER_IR, or an RGW class). */
  archiveClass: storageClass.default('GLACIER'),
  /** Per-record compression in the gateway (LTO-style: capacity counts stored bytes). */
  compression: z.enum(['none', 'deflate']).default('none'),
  /**
   * Client-side AES-256-GCM per record. `key`: env:NAME (variable holding 64 hex
   * digits or base64 of 32 bytes), file:PATH (32 raw bytes, or hex/base64 text),
   * or the hex/base64 text itself. `keyId` is written in every manifest.
   */
  encryption: z.strictObject({
    keyId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, { message: 'use 1-64 characters A-Z a-z 0-9 . _ : -' }),
    key: z.string().min(1),
  }).optional(),
  /** Archive shelf in a Glacier vault instead of storage classes: exported cartridges' segments go to this vault. */
  vault: z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, { message: 'use 1-255 letters, digits, _ - or .' }),
    region: z.string().optional(),
    /** Default '-': the account of the credentials. */
    accountId: z.string().regex(/^(-|\d{12})$/, { message: "use '-' or a 12-digit account id" }).optional(),
  }).optional(),
  /** S3 Object Lock on every segment and manifest of the pool's cartridges (the bucket must have Object Lock enabled). */
  objectLock: z.strictObject({
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
    days: z.number().int().min(1).max(36500),
  }).optional(),
  /** How long the pool's cartridges are kept, and then what happens (src/retention-config.ts); absent: forever. */
  retention: poolRetentionSchema.optional(),
});

const seconds = z.number().int().min(1).max(86400);

const tapes = z.strictObject({
  /** Seal a staging segment (one object) at this size (default 64MiB; 1GiB for an s3:// store, S3_DEFAULTS; minimum 64KiB). */
  segmentSize: size.optional(),
  /** The local upload buffer shared by every drive. */
  staging: z.strictObject({
    /** Bytes of sealed, not yet uploaded segments before writes wait (default 4GiB). */
    limit: size.default(4 * 1024 ** 3),
    /** How long a write waits for room before it fails with a sense the initiator sees (default 600 s). */
    waitSeconds: seconds.default(600),
  }).default({ limit: 4 * 1024 ** 3, waitSeconds: 600 }),
  /** What a sync point (WRITE FILEMARKS IMMED=0, unload, flush) guarantees: fsync'd in staging, or uploaded to the store. */
  syncTo: z.enum(['staging', 'store']).default('staging'),
  /** Concurrent segment uploads across all drives (default 4). */
  uploadConcurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Manifest authentication: HMAC-SHA-256 key signing every cartridge manifest;
   * manifests without a valid MAC are refused. env:NAME, file:PATH, or 64 hex
   * digits / base64 of 32 bytes (like pools.<name>.encryption.key). Keep a copy
   * off the gateway: `s3vtl recover` needs it. Absent: manifests are not signed.
   */
  manifestKey: z.string().min(1).optional(),
  /** With manifestKey: also accept manifests that carry no MAC (written before the key was set); default false. */
  acceptUnsignedManifests: z.boolean().optional(),
}).default({ staging: { limit: 4 * 1024 ** 3, waitSeconds: 600 }, syncTo: 'staging', uploadConcurrency: 4 });

/** What initiators may make the iSCSI target hold (src/iscsi/limits.ts). */
const iscsiDefaults = {
  maxBufferedPerSession: 64 * 1024 ** 2, maxBuffered: 256 * 1024 ** 2, maxSessions: 64, maxSessionsPerInitiator: 16,
  maxConnections: 128, fdReserve: 128, discoveryIdleSeconds: 30, authFailureDelayMs: 1000, authFailureDelayMaxMs: 10_000,
};
const count = (max: number) => z.number().int().min(1).max(max);
const iscsi = z.strictObject({
  /** Data-Out one session may hold (a write's transfer is reserved before it is solicited); also the largest write. */
  maxBufferedPerSession: size.refine((n) => n >= 1024 ** 2, { message: 'must be at least 1MiB (one tape block)' }).default(iscsiDefaults.maxBufferedPerSession),
  /** Data-Out all sessions together may hold. */
  maxBuffered: size.default(iscsiDefaults.maxBuffered),
  maxSessions: count(65535).default(iscsiDefaults.maxSessions),
  maxSessionsPerInitiator: count(65535).default(iscsiDefaults.maxSessionsPerInitiator),
  /** TCP connections, logged in or not. */
  maxConnections: count(65535).default(iscsiDefaults.maxConnections),
  /** File descriptors no connection is accepted into (kept for segments, catalog, staging). */
  fdReserve: z.number().int().min(0).max(1_000_000).default(iscsiDefaults.fdReserve),
  discoveryIdleSeconds: seconds.default(iscsiDefaults.discoveryIdleSeconds),
  /** Delay before answering an authentication failure; doubles per failure of a name or address up to the max. */
  authFailureDelayMs: z.number().int().min(0).max(60_000).default(iscsiDefaults.authFailureDelayMs),
  authFailureDelayMaxMs: z.number().int().min(0).max(600_000).default(iscsiDefaults.authFailureDelayMaxMs),
}).default(iscsiDefaults);

const target = z.strictObject({
  iqn,
  alias: z.string().optional(),
  chap: chap.optional(),
  initiators: z.array(iqn).optional(),
  disks: z.array(disk).default([]),
  library: library.optional(),
});

const schema = z.strictObject({
  listen: listen.default({ host: '127.0.0.1', port: 3260 }),
  data: z.string().default('./data'),
  /** Defaults to file://<data>/store. */
  store: z.string().regex(/^(file|s3):\/\/./, { message: 'use file://DIR or s3://BUCKET/PREFIX' }).optional(),
  log: z.strictObject({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') }).default({ level: 'info' }),
  tapes,
  iscsi,
  pools: z.record(poolName, pool).default({}),
  /** Scheduled retention passes (src/retention-config.ts). */
  retention: retentionSchema.default({ everyMs: RETENTION_DEFAULTS.everyMs }),
  targets: z.array(target).min(1, { message: 'at least one target is needed' }),
}).superRefine((c, ctx) => {
  const seen = new Set<string>();
  const libraries = new Set<string>();
  const diskNames = new Set<string>();
  c.targets.forEach((t, i) => {
    if (seen.has(t.iqn)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'iqn'], message: `${t.iqn} is defined twice` });
    seen.add(t.iqn);
    if (t.library) {
      if (libraries.has(t.library.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'library', 'name'], message: `library ${t.library.name} is defined twice` });
      // The catalog keys element contents by SCSI element address alone.
      else if (libraries.size > 0) ctx.addIssue({ code: 'custom', path: ['targets', i, 'library'], message: 'only one library per gateway is supported for now (the catalog keys elements by address alone)' });
      libraries.add(t.library.name);
    }
    t.library?.cartridges.forEach((b, j) => {
      if (b.pool !== 'default' && !Object.hasOwn(c.pools, b.pool)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'library', 'cartridges', j, 'pool'], message: `pool ${b.pool} is not defined under pools (defined: default${Object.keys(c.pools).filter((p) => p !== 'default').map((p) => `, ${p}`).join('')})` });
    });
    const luns = new Set<number>();
    if (t.library) for (let l = 0; l <= t.library.drives; l++) luns.add(l);
    t.disks.forEach((d, j) => {
      // A disk's name names its image file: two LUNs on one file would corrupt each other.
      if (diskNames.has(d.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'disks', j, 'name'], message: `disk name ${d.name} is used twice (it names the image file)` });
      diskNames.add(d.name);
      if (luns.has(d.lun)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'disks', j, 'lun'], message: `LUN ${d.lun} is used twice in ${t.iqn} (a library takes LUN 0 and one per drive)` });
      luns.add(d.lun);
    });
  });
}).superRefine(crossCheckConfig);

/** The whole schema, for tests that walk its keys (config/default.yaml documents every one). */
export const configSchema = schema;

export type Config = z.output<typeof schema> & { readonly store: string };
export type TargetConfig = Config['targets'][number];
export type DiskConfig = TargetConfig['disks'][number];
export type LibraryConfig = NonNullable<TargetConfig['library']>;
export type CartridgeBatchConfig = LibraryConfig['cartridges'][number];
export type PoolConfig = z.output<typeof pool>;
export type TapesConfig = Config['tapes'];
export type IscsiConfig = Config['iscsi'];

/** The pools a cartridge may name: `default` (always there) and every pool the config defines. */
export function poolNames(c: Pick<Config, 'pools'>): string[] {
  return ['default', ...Object.keys(c.pools).filter((p) => p !== 'default')];
}

/**
 * A pool's settings; `default` (or null) without a definition resolves to the
 * defaults. Any other undefined name is an error (VTL_POOL_UNKNOWN): a typo
 * must never turn an encrypted pool into a plain one.
 */
export function poolConfig(c: Pick<Config, 'pools'>, name: string | null): PoolConfig {
  const n = name ?? 'default';
  const p = Object.hasOwn(c.pools, n) ? c.pools[n] : undefined;
  if (p !== undefined) return p;
  if (n === 'default') return pool.parse({});
  throw new VtlError('VTL_POOL_UNKNOWN', `pool ${n} is not defined under pools (defined: ${poolNames(c).join(', ')})`);
}

export interface Overrides {
  readonly listen?: string;
  readonly data?: string;
  readonly store?: string;
}

/** Validate a parsed YAML document; throws ConfigError naming the first bad key. */
export function validateConfig(doc: unknown, overrides: Overrides = {}): z.output<typeof schema> {
  const merged = typeof doc === 'object' && doc !== null ? { ...(doc as object) } : doc;
  if (typeof merged === 'object' && merged !== null) {
    const m = merged as Record<string, unknown>;
    if (overrides.listen !== undefined) m['listen'] = overrides.listen;
    if (overrides.data !== undefined) m['data'] = overrides.data;
    if (overrides.store !== undefined) m['store'] = overrides.store;
  }
  const r = schema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    // A key that is not a plain name may be a value written without its colon (`secret hunter2...`).
    const message = issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => (/^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(k) ? k : '(not a plain name: not shown)')).join(', ')}`
      : issue.message;
    throw new ConfigError(key, message);
  }
  return r.data;
}

/**
 * A YAML syntax error without the source it quotes: the yaml package appends a
 * code frame (the offending line and the one before it), and that line can
 * hold a CHAP secret or a key, as can the lines an unclosed quote swallowed.
 * Only the reason and the position are kept.
 */
export function yamlErrorText(e: unknown): string {
  const err = e as { message?: unknown; linePos?: readonly { line: number; col: number }[] };
  const first = String(err.message ?? e).split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
  const at = err.linePos?.[0];
  return at === undefined ? first : `${first} (line ${at.line}, column ${at.col}; the line is not shown, as it may hold a secret)`;
}

/** Read, parse and validate a config file. Relative paths in it resolve against `cwd`. */
export function loadConfig(path: string, overrides: Overrides = {}, cwd = process.cwd()): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('(file)', `cannot read ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError('(file)', `${path} is not valid YAML: ${yamlErrorText(e)}`);
  }
  const c = validateConfig(doc, overrides);
  const data = isAbsolute(c.data) ? c.data : resolve(cwd, c.data);
  const raw = c.store ?? `file://${resolve(data, 'store')}`;
  const store = raw.startsWith('file://') && !isAbsolute(raw.slice(7)) ? `file://${resolve(cwd, raw.slice(7))}` : raw;
  return { ...c, data, store };
}
