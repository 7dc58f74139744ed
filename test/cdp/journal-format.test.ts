import test from 'ava';
import { crc32c } from '@node-rs/crc32';
import { decodeJournal, decodeJournalHeader, encodeJournal, FLAG_ZERO, type JournalEntry } from '../../src/cdp/journal-format.ts';

const bs = 512;
const entry = (seq: number, lba: number, data: Buffer, flags = 0): JournalEntry => ({ seq, timeUs: 1000 + seq, lba, blocks: Math.max(1, data.length / bs), crc: crc32c(data), flags, dataOffset: 0 });

function sample(): Buffer {
  const d1 = Buffer.alloc(1024, 1);
  const d2 = Buffer.alloc(512, 2);
  const z = Buffer.alloc(0);
  const entries = [entry(5, 10, d1), entry(6, 0, d2), { ...entry(7, 100, z, FLAG_ZERO), blocks: 64 }];
  const gap = { firstSeq: 8, lastSeq: 9, firstUs: 1008, lastUs: 1009, chunks: [0, 3] };
  return Buffer.concat(encodeJournal({ volume: 'v', blockSize: bs, firstSeq: 5, lastSeq: 9, firstUs: 1005, lastUs: 1009, gaps: [gap] }, entries, [d1, d2, z]));
}

test('a journal object round-trips: entries, data offsets, zero entries and gaps', (t) => {
  const d = decodeJournal(sample());
  // Three entries come back in order with their seqs.
  t.deepEqual(d.entries.map((e) => e.seq), [5, 6, 7]);
  // The second entry's data is where its offset says.
  const e = d.entries[1]!;
  t.true(d.data.subarray(e.dataOffset, e.dataOffset + 512).equals(Buffer.alloc(512, 2)));
  // The zero entry has no data and its flag.
  t.is(d.entries[2]!.flags, FLAG_ZERO);
  // The gap covers the last seqs.
  t.deepEqual(d.header.gaps[0]!.chunks, [0, 3]);
  // The header alone decodes from a prefix of the object.
  t.is(decodeJournalHeader(sample().subarray(0, d.dataStart)).entries.length, 3);
});

test('every damaged byte is caught', (t) => {
  const good = sample();
  for (let at = 0; at < good.length; at += 7) {
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(at) ^ 0x40, at);
    // A flipped bit anywhere makes decoding throw.
    t.throws(() => decodeJournal(bad), undefined, `byte ${at}`);
  }
  // A truncated object is refused too.
  t.throws(() => decodeJournal(good.subarray(0, good.length - 1)));
});

test('a header whose entries and gaps leave a hole in the seq range is refused', (t) => {
  const d = Buffer.alloc(512, 3);
  const buf = Buffer.concat(encodeJournal({ volume: 'v', blockSize: bs, firstSeq: 1, lastSeq: 3, firstUs: 1, lastUs: 3, gaps: [] }, [entry(1, 0, d), entry(3, 0, d)], [d, d]));
  // Seq 2 is missing: the object is not trusted.
  t.throws(() => decodeJournal(buf), { message: /does not cover seq 2/ });
});
