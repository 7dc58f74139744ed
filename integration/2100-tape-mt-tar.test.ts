// mt-st / GNU tar / dd against a drive of the library, in the QEMU guest (real Linux st driver).
// One guest boot: three tar archives + dd files at 32 KiB..1 MiB variable and 512 B / 64 KiB
// fixed blocks, positioning with `mt status` + `mt tell` after every step, everything read back
// and compared (sha256 / cmp). Expected positions follow from the tape layout and Linux st's
// bookkeeping of a standard SSC drive (READ POSITION, LOCATE, SPACE residues).
import test from 'ava';
import { guestRun } from './lib/guest.ts';
import { type Library, sections, startLibrary } from './guest/vtl.ts';

let lib: Library;
let out: Map<string, { rc: number; text: string }>;
let raw = '';
test.before(async (t) => {
  lib = await startLibrary('2100-mt-tar', {});
  const r = await guestRun({ luns: lib.luns.slice(0, 2), script: lib.script('2100-tape-mt-tar.sh'), env: { SLOT: '4' }, timeoutS: 700, extra: ['--mem', '1280'] });
  raw = r.stdout;
  t.log(`guest exit ${r.code} in ${r.ms} ms`);
  if (r.code !== 0) t.log(r.stdout.slice(-4000), r.stderr.slice(-2000));
  out = sections(r.stdout);
});
test.after.always(async () => { await lib?.stop(); });

const sec = (name: string) => {
  const s = out.get(name);
  if (!s) throw new Error(`no section ${name} in guest output:\n${raw.slice(-3000)}`);
  return s;
};
interface Pos { file: number; block: number; bits: string[]; tell?: number; text: string }
const pos = (name: string): Pos => {
  const text = sec(`pos-${name}`).text;
  const m = /File number=(-?\d+), block number=(-?\d+)/.exec(text);
  const bits = /General status bits on \([0-9a-f]+\):\n\s*(.*)/.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  const tell = /At block (\d+)\./.exec(text)?.[1];
  return { file: m ? Number(m[1]) : NaN, block: m ? Number(m[2]) : NaN, bits, ...(tell ? { tell: Number(tell) } : {}), text };
};
const ok = (name: string) => sec(name).rc;

/** Tape layout: T[i] = READ POSITION at the start of file i (from `mt tell` while writing). */
const T: number[] = [];
function layout() {
  if (T.length) return T;
  for (let i = 0; i <= 8; i++) T[i] = pos(`start-file${i}`).tell ?? NaN;
  T[9] = pos('after-fixed64k').tell ?? NaN;
  T[10] = pos('after-weof').tell ?? NaN;
  return T;
}

test.serial('writes: tar x3, dd 32k/64k/256k/1M, fixed 512 and 64k, weof all succeed', (t) => {
  for (const s of ['load', 'rewind0', 'setblk0', 'tar-write-A', 'tar-write-B', 'tar-write-C', 'dd-write-32k', 'dd-write-64k', 'dd-write-256k', 'dd-write-1M',
    'setblk512', 'dd-write-fixed512', 'setblk64k', 'dd-write-fixed64k', 'setblk0b', 'weof']) t.is(ok(s), 0, `${s}: ${sec(s).text}`);
});

test.serial('mt status + READ POSITION while writing: file numbers, block 0, tell counts blocks and filemarks', (t) => {
  const b = pos('bot');
  t.like(b, { file: 0, block: 0, tell: 0 });
  t.true(b.bits.includes('BOT'), b.text);
  const T = layout();
  for (let i = 0; i <= 8; i++) t.like(pos(`start-file${i}`), { file: i, block: 0 }, `start of file ${i}`);
  t.like(pos('after-tars'), { file: 3, block: 0, tell: T[3] });
  t.like(pos('after-dd'), { file: 7, block: 0, tell: T[7] });
  // each tar archive: >= 1 record of 64 KiB + its filemark
  for (let i = 0; i < 3; i++) t.true(T[i + 1]! > T[i]! + 1, `file ${i}: ${T[i]} -> ${T[i + 1]}`);
  // dd files: blocks + 1 filemark
  t.is(T[4]! - T[3]!, 64 + 1, '32 KiB x 64');
  t.is(T[5]! - T[4]!, 32 + 1, '64 KiB x 32');
  t.is(T[6]! - T[5]!, 16 + 1, '256 KiB x 16');
  t.is(T[7]! - T[6]!, 8 + 1, '1 MiB x 8');
  t.is(T[8]! - T[7]!, 100 + 1, '512 B fixed x 100');
  t.is(T[9]! - T[8]!, 10 + 1, '64 KiB fixed x 10');
  t.like(pos('after-fixed512-file7'), { file: 8, block: 0, tell: T[8] });
  t.like(pos('after-fixed64k'), { file: 9, block: 0 });
  t.like(pos('after-weof'), { file: 10, block: 0, tell: T[9]! + 1 });
});

test.serial('rewind, fsf, fsr, bsr, bsf: exact file/block numbers and READ POSITION', (t) => {
  const T = layout();
  for (const s of ['rewind', 'fsf2', 'fsr3', 'bsr2', 'bsf1', 'fsf1']) t.is(ok(s), 0, `${s}: ${sec(s).text}`);
  const r = pos('rewind');
  t.like(r, { file: 0, block: 0, tell: 0 });
  t.true(r.bits.includes('BOT'));
  t.like(pos('fsf2'), { file: 2, block: 0, tell: T[2] });
  t.like(pos('fsr3'), { file: 2, block: 3, tell: T[2]! + 3 });
  t.like(pos('bsr2'), { file: 2, block: 1, tell: T[2]! + 1 });
  // st: after BSF the block number is unknown (-1); the head is on the BOT side of the filemark
  t.like(pos('bsf1'), { file: 1, block: -1, tell: T[2]! - 1 });
  t.like(pos('fsf1-after-bsf'), { file: 2, block: 0, tell: T[2] });
});

test.serial('eod: SPACE to EOD with a correct residue (file number = filemarks on tape), bsf from EOD', (t) => {
  const T = layout();
  t.is(ok('eod'), 0);
  const e = pos('eod');
  t.is(e.file, 10, `file number after eod (tgt says 8388609): ${e.text}`);
  t.is(e.block, -1, `st leaves the block number unknown after MTEOM's SPACE filemarks overrun: ${e.text}`);
  t.true(e.bits.includes('EOD'), e.text);
  t.is(e.tell, T[10]);
  t.is(ok('bsf1-eod'), 0);
  t.like(pos('bsf1-eod'), { file: 9, block: -1, tell: T[10]! - 1 });
  t.is(sec('read-at-fm').text.trim(), '0', 'reading right before a filemark returns 0 bytes');
  t.is(ok('bsf3-eod'), 0);
  t.like(pos('bsf3-eod'), { file: 7, block: -1, tell: T[8]! - 1 });
  t.is(ok('fsf1-eod'), 0);
  t.like(pos('bsf3-fsf1-eod'), { file: 8, block: 0, tell: T[8] });
  const [got, want] = sec('read-after-bsf3').text.trim().split('\n');
  t.is(got, want, 'eod; bsf 3; fsf 1 lands on the first block of file 8');
});

test.serial('tell/seek: LOCATE to a block inside file 4 and back to 0', (t) => {
  const T = layout();
  t.is(ok('seek-file4'), 0, sec('seek-file4').text);
  t.like(pos('seek-file4'), { file: -1, block: -1, tell: T[4]! + 5 }); // st knows no file/block after LOCATE (MTSEEK) to a block > 0
  const [got, want] = sec('read-after-seek').text.trim().split('\n');
  t.is(got, want, 'the block read after seek is block 5 of file 4');
  t.is(ok('seek0'), 0, sec('seek0').text);
  t.like(pos('seek0'), { file: 0, block: 0, tell: 0 });
});

test.serial('tar: three archives restored byte-identical (sha256)', (t) => {
  for (const a of ['A', 'B', 'C']) t.is(ok(`tar-read-${a}`), 0, `${a}: ${sec(`tar-read-${a}`).text}`);
});

test.serial('dd: 32 KiB, 64 KiB, 256 KiB, 1 MiB variable blocks read back identical; position after the filemark', (t) => {
  const T = layout();
  ['32k', '64k', '256k', '1M'].forEach((bs, k) => {
    t.is(ok(`dd-read-${bs}`), 0, `${bs}: ${sec(`dd-read-${bs}`).text}`);
    t.regex(sec(`dd-read-${bs}`).text, /identical/);
    t.like(pos(`after-read-file${k + 3}`), { file: k + 4, block: 0, tell: T[k + 4] }, `after reading file ${k + 3}`);
  });
});

test.serial('fixed block mode: setblk 512 and 64k read back identical', (t) => {
  const T = layout();
  t.is(ok('dd-read-fixed512'), 0, sec('dd-read-fixed512').text);
  t.regex(sec('dd-read-fixed512').text, /identical/);
  t.like(pos('after-read-fixed512'), { file: 8, block: 0, tell: T[8] });
  t.is(ok('dd-read-fixed64k'), 0, sec('dd-read-fixed64k').text);
  t.regex(sec('dd-read-fixed64k').text, /identical/);
  for (const s of ['setblk0c', 'rewind-end', 'offline', 'unload']) t.is(ok(s), 0, `${s}: ${sec(s).text}`);
});
