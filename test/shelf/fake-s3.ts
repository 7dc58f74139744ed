// An in-process S3 on 127.0.0.1 (node:http) speaking just what the archive
// shelf needs: HeadBucket, ListObjectsV2 (with StorageClass), HEAD (with
// x-amz-storage-class and x-amz-restore), POST ?restore, PUT (plain,
// create-only, and x-amz-copy-source copies), GET and POST ?delete. A
// GLACIER/DEEP_ARCHIVE object's restore completes after `restorePolls` HEADs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeObject {
  body: Buffer;
  storageClass: string;
  /** HEADs seen since the restore was asked; undefined: none asked. */
  restorePolls?: number;
  restored?: boolean;
}

export interface RestoreCall { key: string; days: number; tier: string }
export interface CopyCall { key: string; source: string; storageClass: string }

export class FakeS3 {
  readonly objects = new Map<string, FakeObject>();
  readonly restores: RestoreCall[] = [];
  readonly copies: CopyCall[] = [];
  readonly heads: string[] = [];
  /** HEADs after RestoreObject before the restore is done. */
  restorePolls = 3;
  /** Answer RestoreObject as Ceph RGW 16 does: 501 NotImplemented. */
  rgw = false;
  readonly #server: Server;
  #port = 0;

  constructor(readonly bucket = 'shelf') {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks)));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** s3:// URL of the bucket for S3ObjectStore.fromUrl / config `store`. */
  url(prefix = ''): string {
    return `s3://${this.bucket}${prefix === '' ? '' : `/${prefix}`}?endpoint=${encodeURIComponent(this.endpoint)}&pathStyle=true&conditional=native&region=us-east-1`;
  }

  put(key: string, body: Buffer, storageClass = 'STANDARD'): void {
    this.objects.set(key, { body, storageClass });
  }

  #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const bucket = parts[0];
    const key = parts.slice(1).join('/');
    const reply = (status: number, xml = '', headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'fake', ...headers });
      res.end(xml);
    };
    const error = (status: number, code: string, message = code): void =>
      reply(status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    if (bucket !== this.bucket) return error(404, 'NoSuchBucket');
    if (key === '') {
      if (req.method === 'HEAD') return reply(200);
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') return reply(200, this.#list(url.searchParams));
      if (req.method === 'POST' && url.searchParams.has('delete')) {
        for (const m of body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)) this.objects.delete(m[1]!);
        return reply(200, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
      }
      return error(400, 'InvalidRequest');
    }
    const o = this.objects.get(key);
    switch (req.method) {
      case 'HEAD': {
        this.heads.push(key);
        if (o === undefined) return reply(404);
        const headers: Record<string, string> = { 'content-length': String(o.body.length), etag: '"e"', 'last-modified': new Date().toUTCString() };
        if (o.storageClass !== 'STANDARD') headers['x-amz-storage-class'] = o.storageClass;
        if (o.restorePolls !== undefined) {
          o.restorePolls++;
          if (o.restorePolls > this.restorePolls) o.restored = true;
          headers['x-amz-restore'] = o.restored === true ? 'ongoing-request="false", expiry-date="Fri, 23 Dec 2099 00:00:00 GMT"' : 'ongoing-request="true"';
        }
        res.writeHead(200, headers);
        return void res.end();
      }
      case 'POST': {
        if (!url.searchParams.has('restore')) return error(400, 'InvalidRequest');
        if (this.rgw) return error(501, 'NotImplemented');
        if (o === undefined) return error(404, 'NoSuchKey');
        if (o.storageClass !== 'GLACIER' && o.storageClass !== 'DEEP_ARCHIVE') return error(403, 'InvalidObjectState');
        if (o.restorePolls !== undefined && o.restored !== true) return error(409, 'RestoreAlreadyInProgress');
        const xml = body.toString('utf8');
        this.restores.push({ key, days: Number(/<Days>(\d+)<\/Days>/.exec(xml)?.[1]), tier: /<Tier>(\w+)<\/Tier>/.exec(xml)?.[1] ?? '' });
        o.restorePolls = 0;
        return reply(202);
      }
      case 'PUT': {
        const source = req.headers['x-amz-copy-source'];
        if (typeof source === 'string') return this.#copy(key, decodeURIComponent(source), req, reply, error);
        if (req.headers['if-none-match'] === '*' && o !== undefined) return error(412, 'PreconditionFailed');
        this.objects.set(key, { body, storageClass: String(req.headers['x-amz-storage-class'] ?? 'STANDARD') });
        return reply(200, '', { etag: '"e"' });
      }
      case 'GET': {
        if (o === undefined) return error(404, 'NoSuchKey');
        if ((o.storageClass === 'GLACIER' || o.storageClass === 'DEEP_ARCHIVE') && o.restored !== true) return error(403, 'InvalidObjectState');
        res.writeHead(200, { 'content-length': String(o.body.length), etag: '"e"' });
        return void res.end(o.body);
      }
      case 'DELETE':
        this.objects.delete(key);
        return reply(204);
      default:
        return error(405, 'MethodNotAllowed');
    }
  }

  #copy(key: string, source: string, req: IncomingMessage, reply: (s: number, x?: string) => void, error: (s: number, c: string, m?: string) => void): void {
    const srcKey = source.replace(/^\/?[^/]+\//, '');
    const src = this.objects.get(srcKey);
    if (src === undefined) return error(404, 'NoSuchKey');
    const storageClass = String(req.headers['x-amz-storage-class'] ?? 'STANDARD');
    if (srcKey === key && storageClass === src.storageClass) {
      return error(400, 'InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
    }
    // AWS: an archived object is copied only once restored (RGW's GLACIER is an ordinary pool).
    const archived = !this.rgw && (src.storageClass === 'GLACIER' || src.storageClass === 'DEEP_ARCHIVE') && src.restored !== true;
    if (archived && !['GLACIER', 'DEEP_ARCHIVE'].includes(storageClass)) return error(403, 'InvalidObjectState');
    this.copies.push({ key, source: srcKey, storageClass });
    this.objects.set(key, { body: src.body, storageClass });
    reply(200, '<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"e"</ETag><LastModified>2026-11-26T00:00:00.000Z</LastModified></CopyObjectResult>');
  }

  #list(q: URLSearchParams): string {
    const prefix = q.get('prefix') ?? '';
    const after = q.get('start-after') ?? q.get('continuation-token') ?? '';
    const max = Number(q.get('max-keys') ?? 1000);
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const contents = page.map((k) => {
      const o = this.objects.get(k)!;
      return `<Contents><Key>${esc(k)}</Key><Size>${o.body.length}</Size><ETag>"e"</ETag><LastModified>2026-11-26T00:00:00.000Z</LastModified><StorageClass>${o.storageClass}</StorageClass></Contents>`;
    }).join('');
    return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${this.bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${esc(page[page.length - 1]!)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`;
  }
}
