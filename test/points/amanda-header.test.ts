// Amanda's tape header, built as Amanda writes it, parsed field by field.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseAmandaHeader } from '../../src/points/amanda-header.ts';
import { amandaBlock } from './formats.ts';

test('TAPESTART gives the datestamp and the tape label', (t) => {
  const h = parseAmandaHeader(amandaBlock('AMANDA: TAPESTART DATE 20261206101500 TAPE DailySet1-01'));
  t.deepEqual(h, { type: 'TAPESTART', datestamp: '20261206101500', label: 'DailySet1-01' });
});

test('FILE gives host, disk, level, compression and program; the restore lines after it are ignored', (t) => {
  const h = parseAmandaHeader(amandaBlock('AMANDA: FILE 20261206101500 client.example /etc lev 1 comp .gz program /bin/tar crypt N', [
    'ORIGSIZE=120', 'To restore, position tape at start of file and run:', '\tdd if=<tape> bs=32k skip=1 | /bin/gzip -dc | /bin/tar -xpGf - ...',
  ]));
  t.deepEqual(h, { type: 'FILE', datestamp: '20261206101500', host: 'client.example', disk: '/etc', level: 1, compression: '.gz', program: '/bin/tar' });
});

test('SPLIT_FILE gives part N of M (-1 when streamed) before the level', (t) => {
  const h = parseAmandaHeader(amandaBlock('AMANDA: SPLIT_FILE 20261206101500 client.example /home part 3/-1 lev 0 comp N program APPLICATION'));
  t.like(h, { type: 'SPLIT_FILE', host: 'client.example', disk: '/home', part: 3, totalParts: -1, level: 0, compression: 'N', program: 'APPLICATION' });
});

test('a quoted disk name keeps its spaces and escaped quotes', (t) => {
  const h = parseAmandaHeader(amandaBlock('AMANDA: CONT_FILE 20261206 host "C:/My \\"Docs\\"" lev 2 comp N program DUMP'));
  t.like(h, { type: 'CONT_FILE', disk: 'C:/My "Docs"', level: 2 });
});

test('program is optional (pre-2.4 headers), TAPEEND has only a date', (t) => {
  t.deepEqual(parseAmandaHeader(amandaBlock('AMANDA: FILE 19991231 h /usr lev 0 comp N')),
    { type: 'FILE', datestamp: '19991231', host: 'h', disk: '/usr', level: 0, compression: 'N' });
  t.deepEqual(parseAmandaHeader(amandaBlock('AMANDA: TAPEEND DATE 20261206101500')), { type: 'TAPEEND', datestamp: '20261206101500' });
});

test('anything else is not an Amanda header', (t) => {
  t.is(parseAmandaHeader(Buffer.from('AMANDA: SOMETHING 1 2 3\n')), undefined);
  t.is(parseAmandaHeader(amandaBlock('AMANDA: FILE 2026 host /disk lev X comp N')), undefined, 'a level that is not a number');
  t.is(parseAmandaHeader(amandaBlock('AMANDA: TAPESTART DATE 2026')), undefined, 'no TAPE label');
  t.is(parseAmandaHeader(Buffer.from('tar archive')), undefined);
  t.is(parseAmandaHeader(Buffer.alloc(0)), undefined);
});

test('real headers from Amanda 3.5.1: amlabel\'s TAPESTART and a SPLIT_FILE built by Amanda::Header (two spaces around "part")', (t) => {
  // The first KiB of each 32 KiB block (the rest is padding).
  const read = (name: string): Buffer => readFileSync(new URL(`../vectors/points/${name}`, import.meta.url));
  t.deepEqual(parseAmandaHeader(read('amanda-3.5.1-tapestart.bin')), { type: 'TAPESTART', datestamp: 'X', label: 'PTEST-01' });
  t.deepEqual(parseAmandaHeader(read('amanda-3.5.1-split-file.bin')), {
    type: 'SPLIT_FILE', datestamp: '20261206231500', host: 'client.example', disk: '/srv/my data', part: 2, totalParts: -1,
    level: 1, compression: '.gz', program: 'APPLICATION',
  });
});
