// Bacula's btape (Debian bacula-sd 9.6.7) in the QEMU guest against our library: drive 0 as
// /dev/nst0, the changer through Debian's mtx-changer on its sg node (integration/guest/bacula-btape.sh).
// Checks btape's own verdict lines, not only its exit status:
// one guest boot, three btape runs:
//   test        `btape test` (write/re-read, block positioning, append in the default mode (MTEOM),
//               re-read block, forward-space-file, the scan, then the autochanger part:
//               loaded/unload/load slot 1/rewind/weof through mtx-changer);
//   test-noeom  `btape test` in btape's fallback append mode (Hardware End of Medium = no, Fast
//               Forward Space File = no: EOD found by MTFSF 1 file at a time);
//   fill        `btape fill`, multiple-tape mode through the changer: EOM on the first cartridge,
//               continue on the second, re-read both.
// btape's third append mode (BSF at EOM = yes) is for drives that stop after a second filemark at
// EOD; on a single-filemark drive it must report "We should be in file 3. I am at file 2" (st:
// MTBSF from EOD lands before the last filemark). Step test-bsfeom checks exactly that; it is not
// in the default steps (170 s). btape hard-codes slots 1 and 2 for fill/autochanger: the FIL
// batch comes first. S3VTL_BTAPE_STEPS overrides the steps (comma list, see the guest script).
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { libraryTarget } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { startTarget, type Target } from './lib/target.ts';
import { ROOT } from './lib/util.ts';

const spec = libraryTarget('bacula', {
  name: 'bacula', drives: 2, slots: 8, mailslots: 1,
  cartridges: [
    // slots 1-2: fill + autochanger. fill's re-read reads the first 10000 Bacula records (~5000
    // blocks, ~330 MB) and then repositions on tape 1: a first tape smaller than that makes btape
    // reposition on tape 2 ("ioctl MTFSR ... Input/output error"), a btape limit, not the drive's.
    { prefix: 'FIL', count: 2, media: 'L6', capacity: process.env.S3VTL_BTAPE_FILL_CAPACITY ?? '512MiB' },
    { prefix: 'S3V', count: 1, media: 'L6', capacity: '8GiB' }, // slot 3: btape test (~1.3 GB)
  ],
});
const SCRIPT = readFileSync(path.join(ROOT, 'integration/guest/bacula-btape.sh'), 'utf8');
const STEPS = process.env.S3VTL_BTAPE_STEPS ?? 'test,test-noeom,fill';

let tg: Target;
const t0 = Date.now();
test.before(async () => { tg = await startTarget('2300-bacula', [spec], { kind: 'ours' }); });
test.after.always(async (t) => {
  await tg?.stop();
  t.log(`suite wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});

/** One guest boot running the given steps; returns each step's output by name. */
async function boot(t: ExecutionContext, steps: string): Promise<Map<string, { rc: number; secs: number; out: string }>> {
  t.timeout(28 * 60_000);
  // exit 125 = harness error before the script ran (seen: guest kernel panic "IO-APIC + timer
  // doesn't work" under TCG on a loaded host): boot once more
  const run = () => guestRun({
    luns: [['changer', tg.url(spec.iqn, 0)], ['tape0', tg.url(spec.iqn, 1)]],
    script: SCRIPT,
    env: { BTAPE_STEPS: steps, BIG_TAG: 'S3V' },
    timeoutS: 1600,
    extra: ['--mem', '1024'],
  });
  let r = await run();
  if (r.code === 125 && !/^==== /m.test(r.stdout)) { t.log(`guest harness error, retrying:\n${r.stderr.slice(-1500)}`); r = await run(); }
  t.log(`guest exit ${r.code} after ${(r.ms / 1000).toFixed(0)} s`);
  const byStep = new Map<string, { rc: number; secs: number; out: string }>();
  for (const m of r.stdout.matchAll(/^==== STEP (\S+)\n([\s\S]*?)^\**==== RESULT \1 rc=(\d+) secs=(\d+)$/gm)) {
    byStep.set(m[1]!, { out: m[2]!, rc: Number(m[3]), secs: Number(m[4]) });
  }
  const missing = steps.split(',').filter((s) => !byStep.has(s));
  if (missing.length || r.code !== 0) t.log(`stdout tail:\n${r.stdout.slice(-6000)}\nstderr tail:\n${r.stderr.slice(-3000)}\ntarget log tail:\n${tg.logs().slice(-3000)}`);
  t.deepEqual(missing, [], `steps without a RESULT line (guest exit ${r.code})`);
  for (const [s, v] of byStep) t.log(`${s}: btape exit ${v.rc} in ${v.secs} s`);
  return byStep;
}

const has = (t: ExecutionContext, out: string, line: string | RegExp, what = String(line)) =>
  t.true(typeof line === 'string' ? out.includes(line) : line.test(out), `btape output lacks: ${what}`);

/** The verdict lines of `btape test` (all sections up to the scan; autochanger checked apart). */
function checkTest(t: ExecutionContext, step: string, out: string, rc: number) {
  const bad = out.split('\n').filter((l) => /NOT correct|Append test failed|Test failed|test failed|Bad status|Reposition error|ERR=|Error (reading|writing)|Bad data/.test(l));
  t.deepEqual(bad, [], `${step}: btape error lines`);
  t.is((out.match(/=== Test Succeeded\. End Write, rewind, and re-read test ===/g) ?? []).length, 2,
    `${step}: write/rewind/re-read and block position tests both succeed`);
  has(t, out, '10000 blocks re-read correctly.');
  has(t, out, 'Block 10001 re-read correctly.');
  has(t, out, 'We should be in file 3. I am at file 3. This is correct!');
  has(t, out, 'We should be in file 4. I am at file 4. This is correct!');
  has(t, out, 'Done appending, there should be no I/O errors');
  has(t, out, /Block re-read correct\. Test succeeded!/, 're-read block test (Write, backup, and re-read)');
  has(t, out, '=== End Write, backup, and re-read test ===');
  for (const f of [1, 3, 4, 5]) has(t, out, `We should be in file ${f}. I am at file ${f}. This is correct!`);
  has(t, out, '=== End Forward space files test ===');
  // btape's scan of the append-test tape, which it prints before its sample correct output
  const scan = out.split('=== Sample correct output ===')[0] ?? '';
  const sample = ['1 block of 64448 bytes in file 1', '2 blocks of 64448 bytes in file 2',
    '3 blocks of 64448 bytes in file 3', '1 block of 64448 bytes in file 4'];
  for (const l of [...sample, 'Total files=4, blocks=7, bytes = 451,136']) t.true(scan.includes(l), `${step}: scan lacks "${l}"`);
  t.is(rc, 0, `${step}: btape exit status`);
}

test.serial('btape test (default + no-HW-EOM append modes, autochanger via mtx-changer) and fill across two cartridges', async (t) => {
  const steps = await boot(t, STEPS);
  const tst = steps.get('test');
  if (tst) {
    checkTest(t, 'test', tst.out, tst.rc);
    has(t, tst.out, '=== Autochanger test ===');
    has(t, tst.out, /3301 Issuing autochanger "loaded" command\.\nSlot 3 loaded\. I am going to unload it\./, 'loaded reports slot 3');
    has(t, tst.out, /unload status=OK 0/, 'mtx-changer unload OK');
    has(t, tst.out, '3303 Autochanger "load 1 0" status is OK.');
    has(t, tst.out, /Wrote EOF to "Drive-0"/, 'weof after load');
    has(t, tst.out, 'The test autochanger worked!!');
  }
  const noeom = steps.get('test-noeom');
  if (noeom) checkTest(t, 'test-noeom', noeom.out, noeom.rc);
  const bsf = steps.get('test-bsfeom');
  if (bsf) {
    t.is((bsf.out.match(/=== Test Succeeded\. End Write, rewind, and re-read test ===/g) ?? []).length, 2);
    has(t, bsf.out, 'We should be in file 3. I am at file 2. This is NOT correct!!!!', 'MTBSF from EOD lands before the last filemark');
  }
  const fill = steps.get('fill');
  if (fill) {
    const o = fill.out;
    t.false(/press return|Mount (first|second) tape/i.test(o), 'fill asked the operator to mount a tape (the changer did not)');
    has(t, o, 'Multiple tape test selected.');
    has(t, o, /End of Volume "TestVolume1" at \d+:\d+ on device "Drive-0" \(\/dev\/nst0\)\. Write of 64512 bytes got -1\./, 'EOM on the first cartridge (ENOSPC)');
    has(t, o, 'Re-read of last block succeeded.');
    has(t, o, /3305 Autochanger "load Volume TestVolume2, Slot 2, Drive 0", status is OK\./, 'changer loaded the second cartridge');
    has(t, o, 'Wrote 1000 blocks on second tape. Done.');
    has(t, o, /Done filling tapes at \d+:\d+\. Now beginning re-read of first tape/, 'fill finished');
    has(t, o, 'The last block of the first tape matches.');
    has(t, o, 'The first block on the second tape matches.');
    has(t, o, 'The last block on the second tape matches. Test succeeded.');
    t.false(/do_unfill failed|Error during test|Not OK|Reposition error|Error reading block/.test(o), 'fill error line');
    t.is(fill.rc, 0, 'fill: btape exit status');
  }
});
