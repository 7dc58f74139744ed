// The recognizers are total: random bytes, truncations of real headers at
// every length, and headers with random bytes changed never throw, and give
// at worst an "unknown" point.
import test from 'ava';
import { parseAmandaHeader } from '../../src/points/amanda-header.ts';
import { labelsAtEdges, scanBaculaBlock } from '../../src/points/bacula-label.ts';
import { recognizeFileStart } from '../../src/points/recognize.ts';
import { amandaBlock, baculaBlock, sessionLabel, volumeLabel } from './formats.ts';
import { prng as rng } from '../helpers/prng.ts';


const start = new Date('2026-12-06T10:05:00Z');
const samples = [
  amandaBlock('AMANDA: SPLIT_FILE 20261206101500 client.example "/my disk" part 3/9 lev 0 comp .gz program GNUTAR').subarray(0, 200),
  amandaBlock('AMANDA: TAPESTART DATE 20261206101500 TAPE DailySet1-01').subarray(0, 100),
  baculaBlock([volumeLabel({ volume: 'Vol-0001', pool: 'Default', labelled: start })], { size: 0 }),
  baculaBlock([sessionLabel({ jobId: 3, jobName: 'J', client: 'c', level: 'F', start, end: { files: 1, bytes: 2n, status: 'T' } })], { size: 0 }),
];

test('every truncation of a real header recognizes without throwing', (t) => {
  let n = 0;
  for (const s of samples) {
    for (let len = 0; len <= s.length; len++) {
      labelsAtEdges(s.subarray(0, len));
      const r = recognizeFileStart(s.subarray(0, len), len);
      t.true(r.points.length >= 1);
      n++;
    }
  }
  t.log(`${n} truncations`);
});

test('random bytes, and real headers with random bytes changed, never throw', (t) => {
  const next = rng(12);
  for (let i = 0; i < 3000; i++) {
    const base = samples[i % samples.length]!;
    const b = i % 3 === 0 ? Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256))) : Buffer.from(base);
    if (i % 3 !== 0) for (let k = 0; k < 1 + Math.floor(next() * 6); k++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
    t.notThrows(() => {
      parseAmandaHeader(b);
      scanBaculaBlock(b);
      labelsAtEdges(b);
      recognizeFileStart(b, b.length);
    });
  }
});

test('random bytes are an unknown point', (t) => {
  const r = recognizeFileStart(Buffer.from('not a header at all, just some data'), 35);
  t.deepEqual(r.points.map((p) => [p.app, p.kind]), [['unknown', 'data']]);
});
