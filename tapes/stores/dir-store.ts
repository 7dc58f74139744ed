// A directory-backed ObjectStore: the embedded default and the offline test
// backend. A key maps to the relative path of the same name under the root
// (keys are validated, so no '..', no absolute paths, no hidden names).
// Writes go to <root>/.tmp, are fsynced, then renamed (or hard-linked, for
// create-only puts) into place, and the parent directory is fsynced.
//
// Limitation (unlike S3): a key cannot also be a "directory" of other keys
// ('a/b' and 'a/b/c' cannot both exist). The tapes key scheme never does that.
// A directory cannot hold an Object Lock: a put that asks for one is refused
// (the wiring refuses a locked pool on a file:// store at startup already).

import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StoreError, StoreErrorCode } from '../errors.ts';
import { PRIVATE_FILE_MODE, mkdirPrivate, openPrivate } from '../private-fs.ts';
import {
  assertValidKey,
  assertValidPrefix,
  clipRange,
  type ByteRange,
  type GetOptions,
  type ListOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectPage,
  type ObjectStore,
  type PutOptions,
} from '../object-store.ts';

export interface DirObjectStoreOptions {
  /** Root directory; created if missing. */
  readonly root: string;
  /** fsync files and directories on put (default true; tests may turn it off). */
  readonly fsync?: boolean;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

export class DirObjectStore implements ObjectStore {
  readonly kind = 'dir';
  readonly #root: string;
  readonly #tmp: string;
  readonly #fsync: boolean;

  constructor(options: DirObjectStoreOptions) {
    this.#root = path.resolve(options.root);
    this.#tmp = path.join(this.#root, '.tmp');
    this.#fsync = options.fsync ?? true;
  }

  get root(): string {
    return this.#root;
  }

  #path(key: string): string {
    assertValidKey(key);
    return path.join(this.#root, ...key.split('/'));
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    const final = this.#path(key);
    options?.signal?.throwIfAborted();
    if (options?.lock !== undefined) {
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `directory store cannot lock objects (put ${key} asked for ${options.lock.mode} Object Lock): use an s3:// store whose bucket has Object Lock enabled`, { key });
    }
    await mkdirPrivate(this.#tmp);
    const tmp = path.join(this.#tmp, `${randomBytes(8).toString('hex')}.tmp`);
    try {
      await this.#writeTemp(tmp, body);
      await mkdirPrivate(path.dirname(final));
      if (options?.ifNoneMatch === '*') {
        try {
          await fs.link(tmp, final);
        } catch (e) {
          if (errno(e) === 'EEXIST') throw new StoreError(StoreErrorCode.EXISTS, `object exists: ${key}`, { key });
          throw e;
        }
      } else {
        await fs.rename(tmp, final);
      }
      if (this.#fsync) await syncDir(path.dirname(final));
      const st = await fs.stat(final);
      return { key, size: st.size, etag: etagOf(st), lastModified: st.mtime };
    } catch (e) {
      throw wrap(e, key, 'put');
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async #writeTemp(tmp: string, body: ObjectBody): Promise<void> {
    if (!Buffer.isBuffer(body) && body.immutable === true && body.offset === undefined && body.length === undefined) {
      // Same filesystem: share the inode instead of copying the bytes.
      try {
        await fs.link(body.path, tmp);
        return;
      } catch (e) {
        if (errno(e) !== 'EXDEV' && errno(e) !== 'EPERM' && errno(e) !== 'EMLINK') throw e;
      }
    }
    const out = await openPrivate(tmp, 'wx');
    try {
      if (Buffer.isBuffer(body)) {
        await out.writeFile(body);
      } else if (body.offset === undefined && body.length === undefined) {
        await out.close();
        await fs.copyFile(body.path, tmp);
        const again = await fs.open(tmp, 'r+');
        // copyFile gives the copy its source's mode.
        await again.chmod(PRIVATE_FILE_MODE);
        if (this.#fsync) await again.sync();
        await again.close();
        return;
      } else {
        await copyRange(body.path, body.offset ?? 0, body.length, out);
      }
      if (this.#fsync) await out.sync();
    } finally {
      await out.close().catch(() => undefined);
    }
  }

  async get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    const file = this.#path(key);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, fsc.O_RDONLY);
    } catch (e) {
      throw wrap(e, key, 'get');
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StoreError(StoreErrorCode.NOT_FOUND, `no such object: ${key}`, { key });
      const { start, end } = clipRange(st.size, range);
      const into = options?.into;
      const buf = into !== undefined && into.length >= end - start ? into.subarray(0, end - start) : Buffer.allocUnsafe(end - start);
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    } catch (e) {
      throw wrap(e, key, 'get');
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(this.#path(key));
      if (!st.isFile()) return undefined;
      return { key, size: st.size, etag: etagOf(st), lastModified: st.mtime };
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw wrap(e, key, 'head');
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    assertValidPrefix(prefix);
    const limit = Math.max(1, options?.limit ?? 1000);
    const slash = prefix.lastIndexOf('/');
    const walk: Walk = { prefix, after: options?.startAfter ?? '', want: limit + 1, out: [] };
    await this.#walk(slash < 0 ? '' : prefix.slice(0, slash + 1), walk);
    const page = walk.out.slice(0, limit);
    const objects: ObjectInfo[] = [];
    for (const key of page) {
      const info = await this.head(key);
      if (info !== undefined) objects.push(info);
    }
    const last = page[page.length - 1];
    return walk.out.length > limit && last !== undefined ? { objects, next: last } : { objects };
  }

  /**
   * Depth-first in key order (a directory sorts as its name + '/'), skipping
   * subtrees wholly before `after` and stopping once `want` keys are found,
   * so a page costs about what it returns, not the size of the tree.
   */
  async #walk(dirKey: string, w: Walk): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(path.join(this.#root, ...dirKey.split('/').filter((p) => p !== '')), { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw wrap(e, dirKey, 'list');
    }
    const named = entries
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
      .map((e) => ({ key: dirKey + e.name + (e.isDirectory() ? '/' : ''), dir: e.isDirectory() }))
      .sort((a, b) => byteOrder(a.key, b.key));
    for (const { key, dir } of named) {
      if (w.out.length >= w.want) return;
      if (dir) {
        const overlaps = key.startsWith(w.prefix) || w.prefix.startsWith(key);
        const whollyBefore = w.after >= key && !w.after.startsWith(key);
        if (overlaps && !whollyBefore) await this.#walk(key, w);
      } else if (key.startsWith(w.prefix) && key > w.after) {
        w.out.push(key);
      }
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await fs.unlink(this.#path(key));
      } catch (e) {
        if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw wrap(e, key, 'delete');
      }
    }
  }
}

interface Walk {
  readonly prefix: string;
  readonly after: string;
  readonly want: number;
  readonly out: string[];
}

/** S3 orders keys by UTF-8 bytes; keys here are ASCII, so code-unit order is the same. */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const etagOf = (st: { size: number; mtimeMs: number; ino: number }): string =>
  `${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1000).toString(16)}`;

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function copyRange(src: string, offset: number, length: number | undefined, out: fs.FileHandle): Promise<void> {
  const input = await fs.open(src, 'r');
  try {
    const end = length === undefined ? (await input.stat()).size : offset + length;
    const buf = Buffer.allocUnsafe(Math.min(8 << 20, Math.max(1, end - offset)));
    for (let pos = offset; pos < end; ) {
      const { bytesRead } = await input.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`${src}: short read at ${pos}`);
      await out.write(buf, 0, bytesRead);
      pos += bytesRead;
    }
  } finally {
    await input.close();
  }
}

function wrap(e: unknown, key: string, op: string): unknown {
  if (e instanceof StoreError) return e;
  const code = errno(e);
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
    return new StoreError(StoreErrorCode.NOT_FOUND, `no such object: ${key}`, { key, cause: e });
  }
  return new StoreError(StoreErrorCode.UNAVAILABLE, `dir store ${op} ${key}: ${(e as Error).message}`, { key, cause: e });
}
