import test from 'ava';
import { crc32c } from '@node-rs/crc32';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalJournal } from '../../src/cdp/local-journal.ts';
import { tempDir } from './fixture.ts';

const rec = (seq: number, data: Buffer) => ({ seq, timeUs: seq * 10, lba: seq, blocks: data.length / 512, crc: crc32c(data), flags: 0 });

test('concurrent appends land in seq order and read back after a reopen; a torn tail is cut off', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await LocalJournal.open(dir, 512, 1 << 20);
  const datas = Array.from({ length: 50 }, (_, i) => Buffer.alloc(512 * (1 + (i % 4)), i));
  await Promise.all(datas.map((d, i) => journal.append(rec(i + 1, d), d)));
  await journal.sync();
  await journal.close();
  const segs = await readdir(join(dir, 'journal'));
  await appendFile(join(dir, 'journal', segs.sort().at(-1)!), Buffer.alloc(100, 0xee));
  const { journal: j2, records } = await LocalJournal.open(dir, 512, 1 << 20);
  // Every record is back, in seq order.
  t.deepEqual(records.map((r) => r.seq), datas.map((_, i) => i + 1));
  // Their data reads back intact.
  t.true((await j2.readData(records[17]!)).equals(datas[17]!));
  // The garbage after the last record is gone: the journal is exactly the records.
  t.is(j2.bytes, datas.reduce((n, d) => n + 48 + d.length, 0));
  await j2.close();
});

test('segments rotate at their size and shipped ones are removed whole', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await LocalJournal.open(dir, 512, 1 << 20);
  const d = Buffer.alloc(256 << 10, 1);
  for (let i = 1; i <= 12; i++) await journal.append(rec(i, d), d);
  const before = (await readdir(join(dir, 'journal'))).length;
  // 3 MiB in 1 MiB segments: several files.
  t.true(before >= 3, `${before} segments`);
  await journal.dropThrough(8);
  const after = (await readdir(join(dir, 'journal'))).length;
  // Segments whose records are all shipped are removed; the rest stay.
  t.true(after < before && after >= 1);
  await journal.close();
  const { records } = await LocalJournal.open(dir, 512, 1 << 20);
  // What remains starts at or before the first unshipped record and ends at the last.
  t.true(records[0]!.seq <= 9 && records.at(-1)!.seq === 12);
});
