// A Glacier vault (the 2012 vault API, @aws-sdk/client-glacier) as an
// offsite shelf for users who still have vaults: archives in, archive
// retrieval jobs out. Every upload carries the SHA-256 tree hash
// (tree-hash.ts): UploadArchive for one request, else
// InitiateMultipartUpload / UploadMultipartPart (a tree hash per part, parts
// of 1 MiB x 2^n) / CompleteMultipartUpload (the tree hash of the whole
// archive, which the part hashes combine to). Retrieval is InitiateJob
// (archive-retrieval), DescribeJob until it completes (hours on AWS), then
// GetJobOutput, checked against the tree hash recorded at upload.
//
// The vault knows nothing of cartridges: src/shelf/vault.ts records which
// object key became which archive id.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  DeleteArchiveCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { TapesError } from '../errors.ts';
import { combineTreeHashes, TREE_HASH_CHUNK, treeHash } from './tree-hash.ts';

export interface VaultOptions {
  readonly name: string;
  readonly region?: string;
  /** '-' (default): the account of the credentials. */
  readonly accountId?: string;
  /** Multipart part size: 1 MiB x 2^n, at most 4 GiB (default 16 MiB). Smaller archives go up in one request. */
  readonly partSize?: number;
}

/** What the adapter needs of GlacierClient (tests pass a fake). */
export interface GlacierSender {
  send(command: object): Promise<unknown>;
  destroy?(): void;
}

export interface UploadedArchive {
  readonly archiveId: string;
  readonly size: number;
  /** Hex SHA-256 tree hash of the archive. */
  readonly treeHash: string;
}

export type JobState =
  | { readonly status: 'InProgress' }
  | { readonly status: 'Succeeded' }
  | { readonly status: 'Failed'; readonly message: string };

export type RetrievalTier = 'Standard' | 'Bulk' | 'Expedited';

export class VaultError extends TapesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VTL_VAULT', message, options);
  }
}

const DEFAULT_PART = 16 * TREE_HASH_CHUNK;
const MAX_PART = 4096 * TREE_HASH_CHUNK;

/** Whether `n` is 1 MiB x 2^k (Glacier's rule for part sizes) within 4 GiB. */
export function validPartSize(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < TREE_HASH_CHUNK || n > MAX_PART || n % TREE_HASH_CHUNK !== 0) return false;
  const m = n / TREE_HASH_CHUNK;
  return (m & (m - 1)) === 0;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const b = body as { transformToByteArray?: () => Promise<Uint8Array> } & Partial<AsyncIterable<Uint8Array>>;
  if (typeof b.transformToByteArray === 'function') return Buffer.from(await b.transformToByteArray());
  if (typeof b[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const c of b as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  }
  throw new VaultError('GetJobOutput returned a body of an unknown kind');
}

export class GlacierVault {
  readonly name: string;
  readonly #client: GlacierSender;
  readonly #account: string;
  readonly #partSize: number;

  constructor(o: VaultOptions, client?: GlacierSender) {
    const partSize = o.partSize ?? DEFAULT_PART;
    if (!validPartSize(partSize)) throw new VaultError(`vault ${o.name}: part size ${partSize} is not 1 MiB x 2^n up to 4 GiB`);
    this.name = o.name;
    this.#account = o.accountId ?? '-';
    this.#partSize = partSize;
    this.#client = client ?? new GlacierClient({ ...(o.region !== undefined && { region: o.region }) });
  }

  close(): void {
    this.#client.destroy?.();
  }

  get #ids(): { accountId: string; vaultName: string } {
    return { accountId: this.#account, vaultName: this.name };
  }

  async #send<T>(what: string, command: object): Promise<T> {
    try {
      return (await this.#client.send(command)) as T;
    } catch (e) {
      const name = (e as { name?: string }).name ?? 'Error';
      throw new VaultError(`glacier vault ${this.name}: ${what}: ${name}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Store `data` as one archive; `description` (≤ 1024 printable ASCII) names it in inventories. */
  async upload(data: Buffer, description: string): Promise<UploadedArchive> {
    const hash = treeHash(data).toString('hex');
    if (data.length <= this.#partSize) {
      const r = await this.#send<{ archiveId?: string; checksum?: string }>('UploadArchive', new UploadArchiveCommand({
        ...this.#ids, archiveDescription: description, checksum: hash, body: data,
      }));
      return this.#uploaded(r, data.length, hash);
    }
    const init = await this.#send<{ uploadId?: string }>('InitiateMultipartUpload', new InitiateMultipartUploadCommand({
      ...this.#ids, archiveDescription: description, partSize: String(this.#partSize),
    }));
    const uploadId = init.uploadId;
    if (uploadId === undefined) throw new VaultError(`glacier vault ${this.name}: InitiateMultipartUpload returned no upload id`);
    try {
      const parts: Buffer[] = [];
      for (let start = 0; start < data.length; start += this.#partSize) {
        const part = data.subarray(start, Math.min(start + this.#partSize, data.length));
        const partHash = treeHash(part);
        parts.push(partHash);
        await this.#send('UploadMultipartPart', new UploadMultipartPartCommand({
          ...this.#ids, uploadId, checksum: partHash.toString('hex'), range: `bytes ${start}-${start + part.length - 1}/*`, body: part,
        }));
      }
      const whole = combineTreeHashes(parts).toString('hex');
      const r = await this.#send<{ archiveId?: string; checksum?: string }>('CompleteMultipartUpload', new CompleteMultipartUploadCommand({
        ...this.#ids, uploadId, archiveSize: String(data.length), checksum: whole,
      }));
      return this.#uploaded(r, data.length, whole);
    } catch (e) {
      await this.#client.send(new AbortMultipartUploadCommand({ ...this.#ids, uploadId })).catch(() => undefined);
      throw e;
    }
  }

  #uploaded(r: { archiveId?: string; checksum?: string }, size: number, hash: string): UploadedArchive {
    if (r.archiveId === undefined) throw new VaultError(`glacier vault ${this.name}: the upload returned no archive id`);
    if (r.checksum !== undefined && r.checksum !== hash) throw new VaultError(`glacier vault ${this.name}: archive ${r.archiveId}: tree hash ${r.checksum} differs from ours ${hash}`);
    return { archiveId: r.archiveId, size, treeHash: hash };
  }

  /** Start an archive-retrieval job; returns its id. */
  async startRetrieval(archiveId: string, tier: RetrievalTier, description?: string): Promise<string> {
    const r = await this.#send<{ jobId?: string }>('InitiateJob', new InitiateJobCommand({
      ...this.#ids,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: tier, ...(description !== undefined && { Description: description }) },
    }));
    if (r.jobId === undefined) throw new VaultError(`glacier vault ${this.name}: InitiateJob returned no job id`);
    return r.jobId;
  }

  async job(jobId: string): Promise<JobState> {
    const r = await this.#send<{ Completed?: boolean; StatusCode?: string; StatusMessage?: string }>('DescribeJob', new DescribeJobCommand({ ...this.#ids, jobId }));
    if (r.StatusCode === 'Failed') return { status: 'Failed', message: r.StatusMessage ?? 'failed' };
    return r.Completed === true && r.StatusCode === 'Succeeded' ? { status: 'Succeeded' } : { status: 'InProgress' };
  }

  /** The retrieved archive, checked against the tree hash recorded at upload. */
  async output(jobId: string, expectedTreeHash: string): Promise<Buffer> {
    const r = await this.#send<{ body?: unknown; checksum?: string }>('GetJobOutput', new GetJobOutputCommand({ ...this.#ids, jobId }));
    const data = await bodyBytes(r.body);
    const got = treeHash(data).toString('hex');
    if (got !== expectedTreeHash || (r.checksum !== undefined && r.checksum !== expectedTreeHash)) {
      throw new VaultError(`glacier vault ${this.name}: job ${jobId}: the retrieved archive's tree hash ${got} is not ${expectedTreeHash}`);
    }
    return data;
  }

  async deleteArchive(archiveId: string): Promise<void> {
    await this.#send('DeleteArchive', new DeleteArchiveCommand({ ...this.#ids, archiveId }));
  }
}
