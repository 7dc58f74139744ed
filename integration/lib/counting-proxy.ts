// An HTTP proxy in front of an S3 endpoint that counts requests and response bytes, so a
// suite can say how much a command fetched from the store. Signatures stay valid: the
// client signs for the proxy's host, which is the Host header forwarded unchanged.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Counts { requests: number; gets: number; bytesIn: number; bytesOut: number }

export interface CountingProxy {
  endpoint: string;
  counts: Counts;
  reset(): Counts;
  close(): Promise<void>;
}

export async function countingProxy(upstream: string, port: number): Promise<CountingProxy> {
  const up = new URL(upstream);
  let counts: Counts = { requests: 0, gets: 0, bytesIn: 0, bytesOut: 0 };
  const server = http.createServer((req, res) => {
    const c = counts;
    c.requests++;
    if (req.method === 'GET') c.gets++;
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.on('data', (d: Buffer) => { c.bytesIn += d.length; });
      ur.pipe(res);
    });
    fwd.on('error', () => { res.destroy(); });
    req.on('data', (d: Buffer) => { c.bytesOut += d.length; });
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  const { port: p } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${p}`,
    get counts() { return counts; },
    reset() { const old = counts; counts = { requests: 0, gets: 0, bytesIn: 0, bytesOut: 0 }; return old; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
