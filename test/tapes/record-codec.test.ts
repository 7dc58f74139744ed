// RecordCodec: per-record deflate and AES-256-GCM, alone and together, and
// what a reader detects (wrong or missing key, altered, moved or downgraded
// records).

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CartridgeError } from '../../tapes/errors.ts';
import { CartridgeKeyError, ENCRYPTION_OVERHEAD_BYTES, KeyRing, RecordCodec, keyCheckValue } from '../../tapes/record-codec.ts';
import { RecordFlag, codingFlags, codingKeyCheck, codingOf } from '../../tapes/record-format.ts';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const BARCODE = 'ENC001L6';

const ring = (...keys: [string, Buffer][]): KeyRing => new KeyRing(keys.map(([id, key]) => ({ id, key })));
const compressible = (n = 4096): Buffer => Buffer.from('backup catalog line 0123456789\n'.repeat(Math.ceil(n / 31)).slice(0, n));

const combinations = [
  { name: 'none', o: {} },
  { name: 'deflate', o: { compression: 'deflate' as const } },
  { name: 'aes-256-gcm', o: { encryptWith: 'k1' } },
  { name: 'deflate + aes-256-gcm', o: { compression: 'deflate' as const, encryptWith: 'k1' } },
];

for (const { name, o } of combinations) {
  test(`${name}: compressible, incompressible and one-byte blocks decode to what was written`, (t) => {
    const codec = new RecordCodec({ ...o, keyring: ring(['k1', KEY_A]) });
    for (const block of [compressible(), randomBytes(4096), Buffer.from([7])]) {
      const e = codec.encode(block, BARCODE, 42);
      t.log(`${block.length} bytes stored as ${e.stored.length} with flags ${codingFlags(e.coding)}`);
      t.deepEqual(codec.decode(e.stored, e.coding, BARCODE, 42, codec.encoding.encryption?.keyId), block);
    }
  });
}

test('deflate: a compressible block takes fewer stored bytes and is flagged deflated', (t) => {
  const codec = new RecordCodec({ compression: 'deflate' });
  const block = compressible(64 << 10);
  const e = codec.encode(block, BARCODE, 0);
  t.true(e.stored.length < block.length / 4);
  t.is(codingFlags(e.coding), RecordFlag.DEFLATE);
});

test('deflate: an incompressible block is stored as given, not flagged', (t) => {
  const codec = new RecordCodec({ compression: 'deflate' });
  const block = randomBytes(64 << 10);
  const e = codec.encode(block, BARCODE, 0);
  t.is(e.coding, 0);
  t.is(e.stored, block);
});

test('deflate: a large block whose first 8 KiB do not shrink is stored raw without deflating the rest', (t) => {
  // The probe trades a little ratio on oddly shaped blocks for not burning
  // CPU on client-compressed or encrypted backups.
  const codec = new RecordCodec({ compression: 'deflate' });
  const block = Buffer.concat([randomBytes(8 << 10), Buffer.alloc(56 << 10)]);
  t.is(codec.encode(block, BARCODE, 0).coding, 0);
  t.log('a small block is always tried whole');
  const small = Buffer.concat([randomBytes(8 << 10), Buffer.alloc(8 << 10)]);
  t.is(codingFlags(codec.encode(small, BARCODE, 0).coding), RecordFlag.DEFLATE);
});

test('encryption adds nonce and tag (28 bytes) and records the key check value', (t) => {
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const block = randomBytes(1000);
  const e = codec.encode(block, BARCODE, 3);
  t.is(e.stored.length, block.length + ENCRYPTION_OVERHEAD_BYTES);
  t.is(codingFlags(e.coding), RecordFlag.AES_256_GCM);
  t.is(codingKeyCheck(e.coding), keyCheckValue(KEY_A));
  t.log('the ciphertext does not contain the block');
  t.is(e.stored.indexOf(block.subarray(0, 16)), -1);
});

test('the same block at the same position encrypts differently each time (random nonce)', (t) => {
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const block = compressible(100);
  t.notDeepEqual(codec.encode(block, BARCODE, 5).stored, codec.encode(block, BARCODE, 5).stored);
});

test('the manifest encoding names the compression and the key id', (t) => {
  t.deepEqual(new RecordCodec({ compression: 'deflate', encryptWith: 'k1', keyring: ring(['k1', KEY_A]) }).encoding, {
    compression: 'deflate', encryption: { alg: 'AES-256-GCM', keyId: 'k1' },
  });
  t.deepEqual(new RecordCodec().encoding, { compression: 'none' });
  t.true(new RecordCodec().isPlain);
});

test('a key id the reader does not have is a CartridgeKeyError naming the key id', (t) => {
  const writer = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const reader = new RecordCodec({ keyring: ring(['k2', KEY_B]) });
  const e = writer.encode(randomBytes(100), BARCODE, 9);
  const err = t.throws(() => reader.decode(e.stored, e.coding, BARCODE, 9, 'k1'), { instanceOf: CartridgeKeyError });
  t.true(err instanceof CartridgeError);
  t.is(err?.code, 'VTL_CARTRIDGE_KEY_UNAVAILABLE');
  t.is(err?.keyId, 'k1');
  t.is(err?.reason, 'missing');
  t.regex(err?.message ?? '', /ENC001L6: object 9 is encrypted with key id k1/);
});

test('other key bytes under the same key id: CartridgeKeyError mismatch, not an integrity error', (t) => {
  const writer = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const reader = new RecordCodec({ keyring: ring(['k1', KEY_B]) });
  const e = writer.encode(randomBytes(100), BARCODE, 9);
  const err = t.throws(() => reader.decode(e.stored, e.coding, BARCODE, 9, 'k1'), { instanceOf: CartridgeKeyError });
  t.is(err?.reason, 'mismatch');
});

test('without a key id (a staged segment) the record check value finds the key', (t) => {
  const writer = new RecordCodec({ encryptWith: 'old', keyring: ring(['old', KEY_A]) });
  const reader = new RecordCodec({ encryptWith: 'new', keyring: ring(['old', KEY_A], ['new', KEY_B]) });
  const block = randomBytes(100);
  const e = writer.encode(block, BARCODE, 1);
  t.deepEqual(reader.decode(e.stored, e.coding, BARCODE, 1), block);
  t.is(reader.keyIdOf(codingKeyCheck(e.coding)), 'old');
  const lacking = new RecordCodec({ keyring: ring(['new', KEY_B]) });
  const err = t.throws(() => lacking.decode(e.stored, e.coding, BARCODE, 1), { instanceOf: CartridgeKeyError });
  t.regex(err?.keyId ?? '', /^check:[0-9a-f]{4}$/);
});

test('an altered ciphertext, nonce or tag fails authentication', (t) => {
  const codec = new RecordCodec({ compression: 'deflate', encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const e = codec.encode(compressible(2000), BARCODE, 4);
  for (const at of [0, 12, Math.floor(e.stored.length / 2), e.stored.length - 1]) {
    const bad = Buffer.from(e.stored);
    bad[at]! ^= 0x01;
    t.throws(() => codec.decode(bad, e.coding, BARCODE, 4, 'k1'), { message: /authentication failed/ }, `byte ${at}`);
  }
});

test('a record moved to another position or cartridge fails authentication (AAD)', (t) => {
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const a = codec.encode(randomBytes(512), BARCODE, 10);
  const b = codec.encode(randomBytes(512), BARCODE, 11);
  t.log('records 10 and 11 swapped');
  t.throws(() => codec.decode(a.stored, a.coding, BARCODE, 11, 'k1'), { message: /authentication failed/ });
  t.throws(() => codec.decode(b.stored, b.coding, BARCODE, 10, 'k1'), { message: /authentication failed/ });
  t.log('record 10 replayed on another cartridge');
  t.throws(() => codec.decode(a.stored, a.coding, 'OTHER1L6', 10, 'k1'), { message: /authentication failed/ });
});

test('changed flags fail authentication (the flags are in the AAD)', (t) => {
  const codec = new RecordCodec({ compression: 'deflate', encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  const e = codec.encode(compressible(2000), BARCODE, 4);
  t.is(codingFlags(e.coding), RecordFlag.DEFLATE | RecordFlag.AES_256_GCM);
  const noDeflate = codingOf(RecordFlag.AES_256_GCM, codingKeyCheck(e.coding));
  t.throws(() => codec.decode(e.stored, noDeflate, BARCODE, 4, 'k1'), { message: /authentication failed/ });
});

test('a plain record in a segment written encrypted is refused (downgrade)', (t) => {
  const codec = new RecordCodec({ encryptWith: 'k1', keyring: ring(['k1', KEY_A]) });
  t.throws(() => codec.decode(Buffer.from('plaintext'), 0, BARCODE, 0, 'k1'), { message: /not encrypted/ });
});

test('a deflated record that does not inflate throws (reported as an integrity error)', (t) => {
  const codec = new RecordCodec({ compression: 'deflate' });
  t.throws(() => codec.decode(Buffer.from([0xff, 0xff, 0xff]), codingOf(RecordFlag.DEFLATE, 0), BARCODE, 0));
});

test('a key ring refuses a key that is not 32 bytes and two keys under one id', (t) => {
  t.throws(() => new KeyRing([{ id: 'short', key: Buffer.alloc(16) }]), { message: /AES-256 needs 32/ });
  t.throws(() => ring(['k', KEY_A], ['k', KEY_B]), { message: /two different keys/ });
  t.notThrows(() => ring(['k', KEY_A], ['k', Buffer.from(KEY_A)]));
});
