import { createHash } from 'node:crypto';
import test from 'ava';
import { chunkHashes, combineTreeHashes, TREE_HASH_CHUNK, TreeHasher, treeHash, treeHashHex } from '../../../tapes/stores/tree-hash.ts';

const MiB = TREE_HASH_CHUNK;
const sha = (...b: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(b)).digest();
/** Deterministic bytes whose every MiB differs from the next. */
const bytes = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >>> 20) * 7 + 11) & 0xff;
  return b;
};
const chunk = (b: Buffer, i: number): Buffer => b.subarray(i * MiB, (i + 1) * MiB);

test('below 1 MiB the tree hash is the plain SHA-256 (published vector)', (t) => {
  // SHA-256("Nobody inspects the spammish repetition"), the Python hashlib documentation's example.
  t.is(treeHashHex(Buffer.from('Nobody inspects the spammish repetition')), '031edd7d41651593c5fe5c006fa5752b37fddff7bc4e843aa6af0c950f4b9406');
});

test('an empty payload hashes as one empty chunk', (t) => {
  // SHA-256 of nothing.
  t.is(treeHashHex(Buffer.alloc(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('exactly 1 MiB is one leaf: the SHA-256 of the MiB', (t) => {
  const b = bytes(MiB);
  t.deepEqual(treeHash(b), sha(b));
});

test('1 MiB + 1 byte is two leaves hashed together', (t) => {
  const b = bytes(MiB + 1);
  // Root = H(H(chunk 0) || H(last byte)).
  t.deepEqual(treeHash(b), sha(sha(chunk(b, 0)), sha(chunk(b, 1))));
});

test('the guide\'s 6.5 MB example: seven leaves, the odd one promoted twice', (t) => {
  const b = bytes(6 * MiB + MiB / 2);
  const h = [0, 1, 2, 3, 4, 5, 6].map((i) => sha(chunk(b, i)));
  // Level 1: H01 H23 H45 and H6 promoted; level 2: H0123 and H456; root H0123456.
  const h01 = sha(h[0]!, h[1]!), h23 = sha(h[2]!, h[3]!), h45 = sha(h[4]!, h[5]!);
  const want = sha(sha(h01, h23), sha(h45, h[6]!));
  t.deepEqual(treeHash(b), want);
});

test('three leaves: the third is promoted to the root\'s right child', (t) => {
  const b = bytes(3 * MiB);
  const h = [0, 1, 2].map((i) => sha(chunk(b, i)));
  t.deepEqual(treeHash(b), sha(sha(h[0]!, h[1]!), h[2]!));
});

test('five leaves (odd at two levels)', (t) => {
  const b = bytes(4 * MiB + 17);
  const h = [0, 1, 2, 3, 4].map((i) => sha(chunk(b, i)));
  t.deepEqual(treeHash(b), sha(sha(sha(h[0]!, h[1]!), sha(h[2]!, h[3]!)), h[4]!));
});

test('the tree hashes of power-of-two parts combine to the whole archive\'s', (t) => {
  const b = bytes(9 * MiB + 5);
  const partSize = 2 * MiB;
  const parts: Buffer[] = [];
  for (let off = 0; off < b.length; off += partSize) parts.push(treeHash(b.subarray(off, off + partSize)));
  // Five parts (2+2+2+2+1 MiB and 5 bytes) give the same root as the nine-and-a-bit leaves.
  t.is(parts.length, 5);
  t.deepEqual(combineTreeHashes(parts), treeHash(b));
  // Also with 4 MiB parts.
  const four = [0, 1, 2].map((i) => treeHash(b.subarray(i * 4 * MiB, (i + 1) * 4 * MiB)));
  t.deepEqual(combineTreeHashes(four), treeHash(b));
});

test('the incremental hasher matches the one-shot hash at any split', (t) => {
  const b = bytes(3 * MiB + 1234);
  for (const step of [1000, MiB - 1, MiB, MiB + 1, 5 * MiB]) {
    const h = new TreeHasher();
    for (let off = 0; off < b.length; off += step) h.update(b.subarray(off, off + step));
    // Same root with pieces of `step` bytes.
    t.deepEqual(h.digest(), treeHash(b), `step ${step}`);
    t.is(h.bytes, b.length);
  }
  // Exactly one MiB fed in one piece leaves no empty trailing chunk.
  t.deepEqual(new TreeHasher().update(bytes(MiB)).digest(), sha(bytes(MiB)));
  t.deepEqual(new TreeHasher().digest(), sha());
});

test('chunk hashes are per MiB, the last one short', (t) => {
  t.is(chunkHashes(bytes(2 * MiB + 1)).length, 3);
  t.is(chunkHashes(bytes(2 * MiB)).length, 2);
  t.throws(() => combineTreeHashes([]), { instanceOf: RangeError });
});
