// Pool codecs from config: each pool's compression and encryption key, with
// one key ring of every configured key so a cartridge reads records written
// under any of them (a cartridge moved to another pool, or a key kept in a
// pool after the pool's own key rotated).
//
// pools.<name>.encryption.key is one of
//   env:NAME   the variable holds 64 hex digits or the base64 of 32 bytes
//   file:PATH  the file holds 32 raw bytes, or 64 hex digits / base64 text
//   TEXT       64 hex digits or base64 of 32 bytes, written in the config
// Messages name the config key and never the key material.

import { readFileSync } from 'node:fs';
import type { ManifestAuth } from '../../tapes/manifest-auth.ts';
import { KeyRing, RecordCodec } from '../../tapes/record-codec.ts';
import { poolConfig, type Config } from '../config.ts';
import { ConfigError } from '../errors.ts';

export interface KeySources {
  readonly env?: NodeJS.ProcessEnv;
  readonly readFile?: (path: string) => Buffer;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** 32 key bytes from hex or base64 text; undefined when the text is neither. */
function parseKeyText(text: string): Buffer | undefined {
  const t = text.trim();
  if (HEX_KEY.test(t)) return Buffer.from(t, 'hex');
  if (BASE64_KEY.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return b.length === 32 ? b : undefined;
  }
  return undefined;
}

/** Resolve one key spec; `where` is the config key named in errors (pools.<name>.encryption.key). */
export function loadKey(spec: string, where: string, sources: KeySources = {}): Buffer {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p));
  const want = '64 hex digits or the base64 of 32 bytes';
  if (spec.startsWith('env:')) {
    const name = spec.slice(4);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ConfigError(where, `env:${name} is not an environment variable name`);
    const value = env[name];
    if (value === undefined || value === '') throw new ConfigError(where, `environment variable ${name} is not set`);
    const key = parseKeyText(value);
    if (key === undefined) throw new ConfigError(where, `environment variable ${name} does not hold ${want}`);
    return key;
  }
  if (spec.startsWith('file:')) {
    const path = spec.slice(5);
    let bytes: Buffer;
    try {
      bytes = readFile(path);
    } catch (e) {
      throw new ConfigError(where, `cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // Lengths tell the forms apart: 32 raw bytes are never 64 hex digits or 43-44 base64 characters.
    const key = parseKeyText(bytes.toString('latin1')) ?? (bytes.length === 32 ? Buffer.from(bytes) : undefined);
    if (key === undefined) throw new ConfigError(where, `key file ${path} holds ${bytes.length} bytes: expected 32 raw bytes, or ${want}`);
    return key;
  }
  const key = parseKeyText(spec);
  if (key === undefined) throw new ConfigError(where, `not a key: use env:NAME, file:PATH, or ${want}`);
  return key;
}

/**
 * Load every pool's key now (a bad key stops the program at start, not at the
 * first load) and return pool name -> codec for CartridgePool.
 */
export function poolCodecs(config: Pick<Config, 'pools'>, sources: KeySources = {}): (pool: string | null) => RecordCodec {
  const ring = new KeyRing();
  for (const [name, p] of Object.entries(config.pools)) {
    if (p.encryption === undefined) continue;
    const where = `pools.${name}.encryption.key`;
    const key = loadKey(p.encryption.key, where, sources);
    try {
      ring.add(p.encryption.keyId, key);
    } catch (e) {
      throw new ConfigError(`pools.${name}.encryption.keyId`, `${(e as Error).message} (another pool uses the same key id with another key)`);
    }
  }
  const codecs = new Map<string, RecordCodec>();
  return (pool) => {
    const name = pool ?? 'default';
    let codec = codecs.get(name);
    if (codec === undefined) {
      const p = poolConfig(config, name);
      codec = new RecordCodec({
        compression: p.compression,
        keyring: ring,
        ...(p.encryption === undefined ? {} : { encryptWith: p.encryption.keyId }),
      });
      codecs.set(name, codec);
    }
    return codec;
  };
}

/**
 * The manifest key (tapes.manifestKey), loaded now like the pool keys;
 * undefined when none is configured.
 */
export function manifestAuth(tapes: Pick<Config['tapes'], 'manifestKey' | 'acceptUnsignedManifests'>, sources: KeySources = {}): ManifestAuth | undefined {
  if (tapes.manifestKey === undefined) return undefined;
  return { key: loadKey(tapes.manifestKey, 'tapes.manifestKey', sources), acceptUnsigned: tapes.acceptUnsignedManifests ?? false };
}
