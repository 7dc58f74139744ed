// Bookmarks added offline (no running volume): the instant is resolved
// against the store's history, and the bookmark names the seq of the newest
// write before it.
import type { ObjectStore } from '../../tapes/object-store.ts';
import { CdpError, CdpErrorCode } from './errors.ts';
import { loadVolume } from './history.ts';
import { NAME } from './keys.ts';
import { planRestore } from './resolve.ts';
import { putCreateOnly } from './store-io.ts';
import type { Bookmark } from './types.ts';

export async function addBookmarkOffline(store: ObjectStore, prefix: string, volume: string, name: string, at?: Date): Promise<Bookmark> {
  if (!NAME.test(name)) throw new CdpError(CdpErrorCode.INVALID, volume, `bookmark name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  const lv = await loadVolume(store, prefix, volume);
  if (lv.history.bookmarks.some((b) => b.name === name)) throw new CdpError(CdpErrorCode.INVALID, volume, `volume ${volume} already has a bookmark ${name}: pick another name`);
  const now = Date.now();
  const plan = await planRestore(store, lv, at === undefined ? { newest: true } : { at }, now);
  const time = at ?? new Date(Math.max(now, plan.instant.getTime()));
  const timeUs = time.getTime() * 1000;
  const body = { name, seq: plan.seq, timeUs, time: time.toISOString(), createdBy: 'offline' };
  await putCreateOnly(store, lv.keys.mark(plan.seq, name), Buffer.from(JSON.stringify(body)));
  return { name, seq: BigInt(plan.seq), time };
}
