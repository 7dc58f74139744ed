// The S3 requests of a retention pass (must-show 5 of the retention work):
// 1,000 cartridges written through the gateway's store (so the catalog's
// registry knows their objects) and a CDP volume with a year of history (the
// steady state under the default keep policy: every write for 24 h, hourly
// for 30 d, daily for a year, weekly bookmarks), on a directory store behind
// a counting wrapper. Then, request counts by type for:
//   - the retention pass: gatherRetentionInput (cartridges from the catalog,
//     CDP histories from the catalog's registry) and planRetention;
//   - the volume's history from the store (one LIST pass and a GET per base
//     index and bookmark: what src/cdp/history.ts does alone);
//   - the volume's history from the catalog (registry keys, kept documents);
//   - the reconcile of store_objects (one listing of the whole prefix: run by
//     recover, not by every pass).
// The two histories must be equal.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Catalog } from '../src/catalog/catalog.ts';
import { catalogHistorySource } from '../src/catalog/cdp-history-source.ts';
import { reconcileStoreObjects } from '../src/catalog/reconcile.ts';
import { RecordingStore } from '../src/catalog/recording-store.ts';
import { loadHistory } from '../src/cdp/history.ts';
import { CdpKeys } from '../src/cdp/keys.ts';
import { CartridgePool } from '../tapes/cartridge-pool.ts';
import { DirObjectStore } from '../tapes/stores/dir-store.ts';
import { CountingStore, formatCounts } from './counting-store.ts';
import { cdpDiskSchema } from '../src/cdp-config.ts';
import { gatherRetentionInput } from '../src/retention/gather.ts';
import { planRetention } from '../src/retention/plan.ts';
import { catalogRetentionHistory } from '../src/retention/catalog-history.ts';
import type { RetentionPolicies } from '../src/retention/types.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface RetentionRequestsOptions {
  readonly cartridges: number;
  readonly dir: string;
}

/** A year of a 1 GiB volume's history (16 MiB chunks) as the default policy leaves it; returns the object count. */
async function yearOfHistory(recording: RecordingStore, now: number): Promise<number> {
  const keys = new CdpKeys('', 'vol0');
  // The objects are independent: written 32 at a time (a directory store fsyncs each one).
  const pending: Promise<unknown>[] = [];
  const store = {
    put: async (key: string, body: Buffer): Promise<void> => {
      pending.push(recording.put(key, body));
      if (pending.length >= 32) await Promise.all(pending.splice(0));
    },
  };
  const chunks = 64;
  const tiny = Buffer.alloc(16);
  let n = 0;
  let seq = 0;
  const start = now - 365 * DAY;
  await store.put(keys.meta(1), Buffer.from(JSON.stringify({ format: 1, volume: 'vol0', sizeBytes: chunks * 16 * 2 ** 20, blockSize: 512, chunkBytes: 16 * 2 ** 20, created: new Date(start).toISOString() })));
  n++;
  // Base points: daily beyond 30 days, hourly within them; the first one full, then four changed chunks each.
  const points: number[] = [];
  for (let t = start; t < now - 30 * DAY; t += DAY) points.push(t);
  for (let t = now - 30 * DAY; t < now; t += HOUR) points.push(t);
  let previous: [number, number][] = Array.from({ length: chunks }, () => [-1, 0]);
  for (const [i, t] of points.entries()) {
    seq += 1000;
    const full = i === 0;
    const changed = full ? [...Array(chunks).keys()] : [i % chunks, (i * 7) % chunks, (i * 13) % chunks, (i * 29) % chunks];
    const refs: [number, number][] = previous.map((r, c) => (changed.includes(c) ? [seq, seq] : r));
    for (const c of new Set(changed)) {
      await store.put(keys.baseChunk(seq, c), tiny);
      n++;
    }
    await store.put(keys.baseIndex(seq), Buffer.from(JSON.stringify({
      format: 1, volume: 'vol0', seq, timeUs: t * 1000, sizeBytes: chunks * 16 * 2 ** 20, blockSize: 512, chunkBytes: 16 * 2 ** 20,
      full, minSeq: seq, maxSeq: seq, pointSeq: seq, chunks: refs,
    })));
    n++;
    previous = refs;
  }
  // Every write of the last 24 hours: a journal object per 10 s under load.
  for (let t = now - DAY; t < now; t += 10_000) {
    await store.put(keys.journal({ firstSeq: seq + 1, lastSeq: seq + 100, firstUs: t * 1000, lastUs: (t + 9_999) * 1000 }), tiny);
    seq += 100;
    n++;
  }
  for (let w = 0; w < 52; w++) {
    const t = start + w * 7 * DAY + HOUR;
    const s = Math.max(1, Math.floor(((t - start) / (now - start)) * seq));
    await store.put(keys.mark(s, `weekly-${w}`), Buffer.from(JSON.stringify({ name: `weekly-${w}`, seq: s, timeUs: t * 1000 })));
    n++;
  }
  await Promise.all(pending);
  return n;
}

export async function benchRetentionRequests(o: RetentionRequestsOptions): Promise<boolean> {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const counting = new CountingStore(new DirObjectStore({ root: path.join(o.dir, 'store') }));
  const catalog = Catalog.open(path.join(o.dir, 'catalog.sqlite'));
  const store = new RecordingStore(counting, catalog, { actor: 'pipeline' });
  const now = Date.now();
  let t0 = Date.now();
  const pool = new CartridgePool({ store, prefix: '', stagingDir: path.join(o.dir, 'staging'), directory: catalog, sink: catalog, segments: { segmentBytes: 64 << 10 } });
  const writeOne = async (i: number): Promise<void> => {
    const barcode = `R${i.toString().padStart(5, '0')}L6`;
    catalog.cartridges.add({ barcode, capacityBytes: 2 ** 30, pool: null });
    const c = await pool.open(barcode);
    await c.write(Buffer.alloc(4096, i & 0xff), 4096);
    await c.writeFilemarks(1);
    await c.close();
  };
  // Eight drives at a time.
  for (let i = 0; i < o.cartridges; i += 8) await Promise.all(Array.from({ length: Math.min(8, o.cartridges - i) }, (_, k) => writeOne(i + k)));
  await pool.closeAll();
  console.log(`setup: ${o.cartridges} cartridges written (${formatCounts(counting.take())}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  const objects = await yearOfHistory(store, now);
  console.log(`setup: CDP volume vol0, a year of history: ${objects} objects (${formatCounts(counting.take())}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`store_objects: ${catalog.objects.live().length} live objects known to the catalog`);
  console.log('');

  // The planner's whole pass (src/retention/gather.ts and plan.ts), its CDP histories from the catalog.
  const policies: RetentionPolicies = {
    pools: { default: { keepMs: 30 * DAY, from: 'last-write', then: 'recycle' } },
    volumes: { vol0: cdpDiskSchema.parse(null).retention },
  };
  const input = await gatherRetentionInput({ now: new Date(now + 40 * DAY), policies, pools: {}, catalog, cdp: catalogRetentionHistory(catalog, counting, '') });
  const plan = planRetention(input);
  const passCost = counting.take();
  const kinds = new Map<string, number>();
  for (const a of plan.cartridges) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  console.log(`retention pass (gatherRetentionInput + planRetention, 40 days ahead): ${formatCounts(passCost)}`);
  console.log(`  plan: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; vol0: ${plan.volumes[0]?.plan.delete.length ?? 0} objects to delete`);
  const fromStore = await loadHistory(counting, '', 'vol0');
  const storeCost = counting.take();
  console.log(`retention pass, CDP history from the store (src/cdp/history.ts alone): ${formatCounts(storeCost)}`);
  const fromCatalog = await loadHistory(counting, '', 'vol0', catalogHistorySource(catalog, counting));
  const catalogCost = counting.take();
  console.log(`retention pass, CDP history from the catalog (store_objects + kept documents): ${formatCounts(catalogCost)}`);
  const json = (h: unknown): string => JSON.stringify(h, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const same = json(fromStore) === json(fromCatalog);
  console.log(`  the two histories are ${same ? 'identical' : 'DIFFERENT'}: ${fromCatalog.journals.length} journal objects, ${fromCatalog.bases.length} bases, ${fromCatalog.bookmarks.length} bookmarks`);
  const r = await reconcileStoreObjects(catalog, counting);
  console.log(`reconcile of store_objects (recover, or an occasional pass; not every pass): ${formatCounts(counting.take())}; ${r.listed} listed, ${r.registered} registered, ${r.markedDeleted} marked deleted`);
  catalog.close();
  const passLists = passCost.LIST;
  console.log('');
  console.log(`verdict: a retention pass over ${o.cartridges} cartridges and a year of CDP history costs ${formatCounts(passCost)} ` +
    `(no LIST of the bucket: ${passLists === 0 ? 'yes' : 'NO'}), against ${formatCounts(storeCost)} when the history is read from the store`);
  return same && passLists === 0;
}
