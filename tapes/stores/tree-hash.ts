// The SHA-256 tree hash Glacier vaults require on every upload
// (x-amz-sha256-tree-hash, and `checksum` of UploadArchive,
// UploadMultipartPart and CompleteMultipartUpload). From the Glacier
// developer guide, "Computing Checksums":
//
//   1. Compute the SHA-256 hash of each 1 MB chunk of the payload; the last
//      chunk may be smaller. These are the leaves.
//   2. Build the next level: concatenate the hashes of two consecutive child
//      nodes and hash that. "If there is only one child node left, you
//      promote that hash value to the next level in the tree."
//   3. Repeat until the tree has a root.
//
// An empty payload is one empty chunk: SHA-256 of nothing. A part whose size
// is 1 MiB x 2^n is a whole subtree, so the tree hashes of such parts,
// combined with the same pairing rule, give the tree hash of the archive.

import { createHash } from 'node:crypto';

export const TREE_HASH_CHUNK = 1024 * 1024;

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** One level up: consecutive pairs hashed together, an odd last node promoted. */
function parentLevel(level: readonly Buffer[]): Buffer[] {
  const up: Buffer[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const right = level[i + 1];
    up.push(right === undefined ? level[i]! : sha256(level[i]!, right));
  }
  return up;
}

/** The root over already computed node hashes (chunk hashes, or the tree hashes of power-of-two parts). */
export function combineTreeHashes(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) throw new RangeError('a tree hash needs at least one node');
  let level = [...hashes];
  while (level.length > 1) level = parentLevel(level);
  return level[0]!;
}

/** SHA-256 of each 1 MiB chunk (one hash of nothing for an empty payload). */
export function chunkHashes(data: Uint8Array): Buffer[] {
  if (data.length === 0) return [sha256()];
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += TREE_HASH_CHUNK) out.push(sha256(data.subarray(off, off + TREE_HASH_CHUNK)));
  return out;
}

export function treeHash(data: Uint8Array): Buffer {
  return combineTreeHashes(chunkHashes(data));
}

export const treeHashHex = (data: Uint8Array): string => treeHash(data).toString('hex');

/**
 * Incremental tree hash over data that arrives in pieces of any size (a
 * segment read from the store in ranges): only the current chunk's SHA-256
 * state and one hash per finished chunk are held.
 */
export class TreeHasher {
  readonly #chunks: Buffer[] = [];
  #hash = createHash('sha256');
  #inChunk = 0;
  #bytes = 0;

  update(data: Uint8Array): this {
    let off = 0;
    while (off < data.length) {
      const take = Math.min(TREE_HASH_CHUNK - this.#inChunk, data.length - off);
      this.#hash.update(data.subarray(off, off + take));
      this.#inChunk += take;
      off += take;
      if (this.#inChunk === TREE_HASH_CHUNK) {
        this.#chunks.push(this.#hash.digest());
        this.#hash = createHash('sha256');
        this.#inChunk = 0;
      }
    }
    this.#bytes += data.length;
    return this;
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): Buffer {
    const leaves = this.#inChunk > 0 || this.#chunks.length === 0 ? [...this.#chunks, this.#hash.copy().digest()] : this.#chunks;
    return combineTreeHashes(leaves);
  }
}
