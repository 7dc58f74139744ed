// Store helpers shared by the engine: create-only puts that survive a lost
// response, and bounded-concurrency mapping.
import { StoreErrorCode } from '../../tapes/errors.ts';
import type { ObjectStore } from '../../tapes/object-store.ts';

/** The key exists with other bytes. */
export class ObjectConflict extends Error {}

/**
 * PUT with If-None-Match: *. When the key exists with the same bytes (our own
 * put whose response was lost), that is success; other bytes are a conflict
 * (another writer on the same volume) and throw.
 */
export async function putCreateOnly(store: ObjectStore, key: string, body: Buffer | Buffer[]): Promise<void> {
  const buf = Array.isArray(body) ? Buffer.concat(body) : body;
  try {
    await store.put(key, buf, { ifNoneMatch: '*' });
  } catch (e) {
    if ((e as { code?: string }).code !== StoreErrorCode.EXISTS) throw e;
    const there = await store.get(key);
    if (!there.equals(buf)) throw new ObjectConflict(`object ${key} already exists with other contents: is another gateway writing this volume?`, { cause: e });
  }
}

/** Run `fn` over `items` with at most `limit` at once; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
