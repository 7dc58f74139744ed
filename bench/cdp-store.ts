// What the CDP bench sees of the store directly (an S3 client straight to RGW, not through the
// counting proxy, so watching costs the gateway's figures nothing): journal objects as they
// appear, with the time range their keys carry, and RGW's raw GET rate on the volume's objects.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { percentile } from './cdp-latency.ts';

/** Wall clock in fractional ms (the journal keys carry µs). */
export const wallMs = (): number => performance.timeOrigin + performance.now();

export interface StoredObject { key: string; size: number }

export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const l = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const x of l.Contents ?? []) out.push({ key: x.Key!, size: x.Size ?? 0 });
    token = l.IsTruncated ? l.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** jnl/<first seq>-<last seq>-<first µs>-<last µs>.jnl -> last µs as ms since the epoch. */
export function journalLastMs(key: string): number | undefined {
  const m = /\/jnl\/[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{14}-([0-9a-f]{14})\.jnl$/.exec(key);
  return m ? Number.parseInt(m[1]!, 16) / 1000 : undefined;
}

/**
 * Polls the volume's journal listing every `everyMs` and keeps, for each poll, when it saw the
 * store's newest journaled instant (objects are shipped in sequence order).
 */
export class JournalWatch {
  readonly #seen: { at: number; newest: number }[] = [];
  #stop = false;
  #loop: Promise<void>;

  constructor(s3: S3Client, bucket: string, prefix: string, everyMs = 50) {
    this.#loop = (async () => {
      while (!this.#stop) {
        const keys = await listObjects(s3, bucket, prefix).catch(() => []);
        const at = wallMs();
        const newest = Math.max(-Infinity, ...keys.map((k) => journalLastMs(k.key) ?? -Infinity));
        this.#seen.push({ at, newest });
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  /**
   * ms from each ack to the first poll that saw the write in the store; NaN for one never seen.
   * Writes are one at a time with a pause between them: the first journal entry timed at or
   * after a write's send time is that write (the previous one was acknowledged before it).
   */
  lags(writes: { sent: number; acked: number }[]): number[] {
    return writes.map((w) => {
      const s = this.#seen.find((x) => x.newest >= w.sent);
      return s ? s.at - w.acked : NaN;
    });
  }

  newest(): number {
    return this.#seen.at(-1)?.newest ?? -Infinity;
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
  }
}

export const lagFigures = (lags: number[]): { p50: number; p99: number; unseen: number } => {
  const ok = lags.filter(Number.isFinite).sort((a, b) => a - b);
  return { p50: percentile(ok, 0.5), p99: percentile(ok, 0.99), unseen: lags.length - ok.length };
};

/** GET every object (bodies read and dropped), `concurrency` in flight: MB/s. */
export async function getCeiling(s3: S3Client, bucket: string, objects: StoredObject[], concurrency: number): Promise<{ MBps: number; bytes: number; seconds: number }> {
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < objects.length) {
      const o = objects[next++]!;
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
      for await (const chunk of r.Body as AsyncIterable<Uint8Array>) bytes += chunk.length;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { MBps: bytes / 1e6 / seconds, bytes, seconds };
}
