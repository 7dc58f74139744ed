// A counting HTTP proxy on 127.0.0.1 between a client and an S3 endpoint: it forwards every
// request unchanged (method, path, headers including Host, so SigV4 signatures stay valid) and
// counts requests and bytes by method and key kind. It knows nothing of s3vtl's code: the kind
// of a request comes from its URL alone (path style: /BUCKET/KEY?QUERY).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type KeyKind = 'segment' | 'manifest' | 'library-state' | 'probe' | 'cdp-journal' | 'cdp-base' | 'cdp-mark' | 'cdp-meta' | 'other-object' | 'bucket';

/** segment (…/seg/…), manifest (…/manifest/…), library state (…/state/…), probe (.s3vtl/), CDP objects (…/cdp/VOLUME/jnl|base|mark|meta/…), other key, or bucket-level. */
export function keyKind(url: string): KeyKind {
  const pathname = decodeURIComponent(url.split('?')[0] ?? '');
  const key = pathname.replace(/^\/[^/]+\/?/, ''); // strip /BUCKET/
  if (key === '') return 'bucket';
  if (key.includes('.s3vtl/')) return 'probe';
  if (/\/seg\/[^/]+$/.test(key)) return 'segment';
  if (/\/manifest\/[^/]+$/.test(key)) return 'manifest';
  if (/\/state\/[^/]+$/.test(key)) return 'library-state';
  const cdp = /(?:^|\/)cdp\/[^/]+\/(jnl|base|mark|meta)\//.exec(key);
  if (cdp) return ({ jnl: 'cdp-journal', base: 'cdp-base', mark: 'cdp-mark', meta: 'cdp-meta' } as const)[cdp[1] as 'jnl' | 'base' | 'mark' | 'meta'];
  return 'other-object';
}

/** What one request was, S3-wise: PUT, GET, HEAD, DELETE, or the multipart/batch calls by their query. */
export function operation(method: string, url: string): string {
  const q = new URLSearchParams(url.split('?')[1] ?? '');
  if (method === 'POST' && q.has('uploads')) return 'POST create-multipart';
  if (method === 'POST' && q.has('uploadId')) return 'POST complete-multipart';
  if (method === 'PUT' && q.has('partNumber')) return 'PUT part';
  if (method === 'DELETE' && q.has('uploadId')) return 'DELETE abort-multipart';
  if (method === 'POST' && q.has('delete')) return 'POST delete-objects';
  if (method === 'GET' && (q.has('list-type') || q.has('prefix'))) return 'GET list';
  return method;
}

export interface Counts {
  requests: number;
  bytesUp: number;
  /** Response bytes (bodies) from the store: what the clients fetched. */
  bytesDown: number;
  /** "OPERATION KIND" -> requests, e.g. "PUT segment", "DELETE manifest". */
  byKind: Record<string, number>;
}

export interface CountingProxy {
  readonly port: number;
  readonly endpoint: string;
  /** Counts since start (or the last reset). */
  counts(): Counts;
  reset(): void;
  /** Requests forwarded but not answered yet. */
  inFlight(): number;
  close(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const up = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let c: Counts = { requests: 0, bytesUp: 0, bytesDown: 0, byKind: {} };
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const k = `${operation(req.method ?? '?', url)} ${keyKind(url)}`;
    c.requests++;
    c.byKind[k] = (c.byKind[k] ?? 0) + 1;
    inFlight++;
    let done = false;
    const finish = (): void => { if (!done) { done = true; inFlight--; } };
    req.on('data', (chunk: Buffer) => { c.bytesUp += chunk.length; });
    const out = http.request({
      host: up.hostname, port: up.port, method: req.method, path: url, headers: req.headers, agent,
    }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.statusMessage, r.headers);
      const counting = c;
      r.on('data', (chunk: Buffer) => { counting.bytesDown += chunk.length; });
      r.pipe(res);
      r.on('end', finish);
      r.on('error', finish);
    });
    out.on('error', (e) => {
      finish();
      if (!res.headersSent) res.writeHead(502);
      res.end(String(e));
    });
    req.on('aborted', () => { out.destroy(); finish(); });
    req.pipe(out);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...c, byKind: { ...c.byKind } }),
    reset: () => { c = { requests: 0, bytesUp: 0, bytesDown: 0, byKind: {} }; },
    inFlight: () => inFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
