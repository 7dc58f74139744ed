// Amanda 3.5.1 (Debian) in the QEMU guest against our library (integration/guest/amanda-test.sh):
//   boot L: how writes end at early warning on a 64 MiB cartridge: the Linux st pattern, and
//           Amanda's device layer with and without device-property "LEOM" "TRUE".
//   boot A: amtapetype on drive 0 with a 3 GiB cartridge. It writes random data for 60 s
//           (compression heuristic; the cartridge must outlast that: ~22 MB/s under TCG), the
//           same amount of patterned data, then fills the cartridge once in one file and once
//           in ~100 files; it prints a `define tapetype` block and whether LEOM worked (it runs
//           on a named device with LEOM TRUE: Amanda 3.5 cannot see LEOM otherwise).
//   boot B: a tiny Amanda config through chg-robot on the changer's sg node: amlabel, amcheck,
//           amdump (~10 MB, GNU tar), amreport, amadmin find, amfetchdump + md5 compare, reset, eject.
// S3VTL_AMANDA_STEPS_A / _B override the guest steps (e.g. "tapetype-c" for a quick check only).
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { libraryTarget } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { startTarget, type Target } from './lib/target.ts';
import { countRetries, judgeRetries, readTally, writeTally } from './lib/amanda-retries.ts';
import { ROOT, WORK } from './lib/util.ts';

const AMT_CAPACITY = process.env.S3VTL_AMTAPETYPE_CAPACITY ?? '3GiB';
const spec = libraryTarget('amanda', {
  name: 'amanda', drives: 2, slots: 8, mailslots: 1,
  cartridges: [
    { prefix: 'AMT', count: 1, media: 'L6', capacity: AMT_CAPACITY }, // slot 1: amtapetype
    { prefix: 'DMP', count: 2, media: 'L6', capacity: '256MiB' }, // slots 2-3: amdump
    { prefix: 'LEM', count: 1, media: 'L6', capacity: '64MiB' }, // slot 4: LEOM probe
  ],
});
const SCRIPT = readFileSync(path.join(ROOT, 'integration/guest/amanda-test.sh'), 'utf8');

let tg: Target;
const t0 = Date.now();
test.before(async () => { tg = await startTarget('2400-amanda', [spec], { kind: 'ours' }); });
test.after.always(async (t) => {
  await tg?.stop();
  t.log(`suite wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});

async function boot(t: ExecutionContext, steps: string) {
  t.timeout(28 * 60_000);
  // exit 125 = harness error before the script ran (seen: guest kernel panic "IO-APIC + timer
  // doesn't work" under TCG on a loaded host): boot once more
  const run = () => guestRun({
    luns: [['changer', tg.url(spec.iqn, 0)], ['tape0', tg.url(spec.iqn, 1)]],
    script: SCRIPT,
    env: { AMANDA_STEPS: steps, TT_TAG: 'AMT', DUMP_TAG: 'DMP', LEOM_TAG: 'LEM' },
    timeoutS: 1600,
  });
  let r = await run();
  if (r.code === 125 && !/^==== /m.test(r.stdout)) { t.log(`guest harness error, retrying:\n${r.stderr.slice(-1500)}`); r = await run(); }
  t.log(`guest exit ${r.code} after ${(r.ms / 1000).toFixed(0)} s`);
  for (const l of r.stdout.split('\n')) if (/^(PASS|FAIL) /.test(l)) t.log(l);
  // amtapetype's progress (stderr) and how its writes ended (debug log lines the script prints)
  // (its progress line "File N, block M" is redrawn with \r: split on both)
  for (const l of r.stderr.split(/[\r\n]+/)) if (/Wrote|Writing|LEOM|Compression|heuristic|No space|error/i.test(l)) t.log(`amtapetype: ${l.trim()}`);
  const dbg = /^---- \S+amtapetype\S+ \(LEOM\/EOM lines\)\n([\s\S]*?)(?=^PASS|^FAIL)/m.exec(r.stdout);
  if (dbg) t.log(`amtapetype debug log:\n${dbg[1]}`);
  if (r.code !== 0) t.log(`stdout tail:\n${r.stdout.slice(-6000)}\nstderr tail:\n${r.stderr.slice(-4000)}\ntarget log tail:\n${tg.logs().slice(-3000)}`);
  return r;
}

// Amanda 3.5's tape device retries a write after ENOSPC (and so sees early warning as LEOM) only
// with device-property "LEOM" "TRUE"; its default is FALSE and amtapetype does not set it, so the
// guest runs amtapetype on a named device that sets it (amanda-test.sh tapetype_config).
test.serial('boot L: writes at early warning end as Linux st and Amanda\'s LEOM detection expect', async (t) => {
  const r = await boot(t, 'leom');
  for (const l of r.stdout.split('\n')) if (/^(st|amanda): /.test(l)) t.log(l);
  t.regex(r.stdout, /^PASS leom /m, 'the LEOM probe failed');
  // st: the write that crosses early warning is written (GOOD to the caller), the next gets ENOSPC once, the retry is written
  t.regex(r.stdout, /^st: writes from the first error: ENOSPC ok ENOSPC ok ENOSPC ok/m);
  // the first error comes right after early warning (64 MiB, 2 % early warning: 2007 blocks of 32 KiB before it, the 2008th crosses it)
  t.regex(r.stdout, /^st: first error after 2008 writes$/m);
  t.regex(r.stdout, /^amanda: tape:\S+ \(LEOM property FALSE\): \d+ blocks, LEOM NOT detected: No space left on device$/m);
  t.regex(r.stdout, /^amanda: vtl-drive \(LEOM property TRUE\): \d+ blocks, LEOM detected: /m);
});

test.serial('boot A: amtapetype measures a 3 GiB cartridge and prints a tapetype', async (t) => {
  const steps = process.env.S3VTL_AMANDA_STEPS_A ?? 'tapetype';
  const r = await boot(t, steps);
  const name = steps === 'tapetype-c' ? 'amtapetype-c' : 'amtapetype';
  t.regex(r.stdout, new RegExp(`^PASS ${name} `, 'm'), `${name} failed`);
  t.regex(r.stderr + r.stdout, /Wrote random \(uncompressible\) data at [\d.e+]+ bytes\/sec/, 'compression heuristic ran');
  if (name === 'amtapetype') {
    const m = /define tapetype (\S+) \{\n\s+comment "([^"]*)"\n\s+length (\d+) kbytes\n\s+filemark (\d+) kbytes\n\s+speed (\d+) kps\n\s+blocksize 32 kbytes\n\}/.exec(r.stdout);
    t.truthy(m, 'amtapetype printed a tapetype block');
    if (m) {
      t.log(`tapetype ${m[1]}: length ${m[3]} kB, filemark ${m[4]} kB, speed ${m[5]} kps (${m[2]})`);
      const lengthBytes = Number(m[3]) * 1024;
      const cap = Number(/^(\d+)GiB$/.exec(AMT_CAPACITY)?.[1] ?? 3) * 2 ** 30;
      // It stops at early warning (LEOM) or at the end: within 5 % below the capacity, never above.
      t.true(lengthBytes <= cap && lengthBytes > cap * 0.95, `length ${lengthBytes} B vs capacity ${cap} B`);
    }
    // With device-property LEOM TRUE (amanda-test.sh tapetype_config) the fill pass ends at early warning.
    const leom = /# for this drive and kernel, LEOM is supported/.test(r.stdout);
    t.log(`amtapetype LEOM: ${leom ? 'supported' : 'NOT detected'}`);
    t.true(leom, 'amtapetype saw LEOM (early warning)');
    t.regex(r.stderr + r.stdout, /Got LEOM indication/);
  }
});

test.serial('boot B: amdump + amfetchdump round trip through chg-robot', async (t) => {
  const r = await boot(t, process.env.S3VTL_AMANDA_STEPS_B ?? 'dump');
  for (const s of ['amtape-show', 'amlabel', 'amcheck', 'amdump', 'amreport', 'amadmin-find', 'restore-compare', 'amtape-reset', 'amtape-eject']) {
    t.regex(r.stdout, new RegExp(`^PASS ${s} `, 'm'), `${s} failed`);
  }
  t.regex(r.stdout, /restored files match \(\d+ files\)/);
  // amanda-test.sh retries amfetchdump once after Amanda's own start_part_impl assertion: counted
  // here and across the runs of this work dir (lib/amanda-retries.ts says the rule).
  const tallyFile = path.join(WORK, '2400-amanda-retries.json');
  const { tally, problems } = judgeRetries(readTally(tallyFile), r.stdout);
  writeTally(tallyFile, tally);
  t.log(`amfetchdump retries: ${countRetries(r.stdout).retries} in this run, ${tally.retries} in ${tally.runs} runs tallied in ${tallyFile}`);
  t.deepEqual(problems, []);
  t.regex(r.stdout, /^9 passed, 0 failed$/m);
  t.is(r.code, 0);
});
