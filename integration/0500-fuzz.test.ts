// Bad input: bounded fuzz runs over real sockets against one target process.
// Disk LUNs (lib/fuzz.ts): malformed and mutated PDUs and CDBs, while a
// well-behaved session on another target keeps verifying its data. Tape
// library (lib/fuzz-library.ts): CDBs shaped for the changer (SMC-3) and the
// drives (SSC-4) in every medium state, several in flight on several
// connections. Every command must be answered within the fuzzer's wait with an
// allowed status and well-formed sense; afterwards the process must still run,
// a fresh session must get answers, a tape round trip must give its bytes back,
// the write-protected cartridge must be unchanged and the changer's inventory whole.
import test from 'ava';
import path from 'node:path';
import { diskTarget, IQN_PREFIX, libraryTarget } from './lib/config.ts';
import { Fuzzer } from './lib/fuzz.ts';
import { fuzzSeed } from './lib/fuzz-common.ts';
import { LibraryFuzzer } from './lib/fuzz-library.ts';
import { LibraryStage } from './lib/fuzz-stage.ts';
import { liveness } from './lib/probe.ts';
import { startTarget, type Target } from './lib/target.ts';
import { pattern } from './lib/tape-io.ts';
import { ROOT, run } from './lib/util.ts';

const CASES = Number(process.env.S3VTL_FUZZ_CASES ?? 100_000);
const DISK_LANES = 4;
const LIBRARY_CASES = Number(process.env.S3VTL_FUZZ_LIBRARY_CASES ?? 100_000);
const LIB = `${IQN_PREFIX}:fuzzlib`;
const DRIVES = [1, 2] as const;
const DATA = ['FZ0001L6', 'FZ0002L6', 'FZ0003L6', 'FZ0004L6'];
const WP = 'WP0001L6';
const WP_RECORDS = [1, 4096, 65536, 333].map((n, i) => pattern(`wp-${i}`, n));

const seed = fuzzSeed();
const suiteStart = Date.now();
let target: Target;
test.before(async (t) => {
  t.log(`seed ${seed} (S3VTL_FUZZ_SEED=${seed} repeats the cases of this run)`);
  target = await startTarget('0500-fuzz', [
    { iqn: `${IQN_PREFIX}:fuzz`, luns: [{ lun: 0, type: 'disk', size: '64MiB' }, { lun: 2, type: 'disk', size: '8MiB' }] },
    diskTarget('good', '16MiB'),
    // Small cartridges, so that fuzzed writes reach early warning and the end of the medium.
    libraryTarget('fuzzlib', { drives: 2, slots: 12, mailslots: 2, cartridges: [
      { prefix: 'FZ', count: DATA.length, media: 'L6', capacity: '24MiB' },
      { prefix: 'WP', count: 1, media: 'L6', capacity: '24MiB' },
    ] }),
  ]);
});
test.after.always(async () => target?.stop());

test.serial(`${CASES} malformed PDUs and CDBs on disk LUNs: no crash, exact answers, the good session unharmed`, async (t) => {
  t.timeout(40 * 60_000);
  const t0 = Date.now();
  // Lanes side by side (lane k seeded seed + k), so that the cases keep the target busy.
  const reports = await Promise.all(Array.from({ length: DISK_LANES }, (_, lane) => new Fuzzer({
    host: '127.0.0.1', port: target.port,
    fuzzTarget: `${IQN_PREFIX}:fuzz`, fuzzLuns: [0, 1, 2],
    goodTarget: `${IQN_PREFIX}:good`, goodLun: 0,
    cases: Math.floor(CASES / DISK_LANES) + (lane < CASES % DISK_LANES ? 1 : 0), seed: (seed + lane) >>> 0, lane,
  }).run()));
  const report = {
    cases: reports.reduce((n, r) => n + r.cases, 0),
    reconnects: reports.reduce((n, r) => n + r.reconnects, 0),
    goodOps: reports.reduce((n, r) => n + r.goodOps, 0),
    failures: reports.flatMap((r) => r.failures),
    goodErrors: reports.flatMap((r) => r.goodErrors),
    byOutcome: {} as Record<string, number>,
  };
  for (const r of reports) for (const [k, n] of Object.entries(r.byOutcome)) report.byOutcome[k] = (report.byOutcome[k] ?? 0) + n;
  t.log(`seed ${seed}: ${report.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${DISK_LANES} lanes, ${report.reconnects} logins, ${report.goodOps} verified writes beside`);
  t.log(JSON.stringify(report.byOutcome));
  t.is(report.cases, CASES, `every case ran (seed ${seed})`);
  t.deepEqual(report.failures, [], `no case ended outside the allowed answers (seed ${seed})`);
  t.deepEqual(report.goodErrors, [], `the well-behaved session never saw an error (seed ${seed})`);
  t.true(report.goodOps > 0, 'the well-behaved session did work while the fuzzer ran');
  t.is(await liveness(target, `${IQN_PREFIX}:good`, 0), undefined, `the target process has not exited and a fresh session gets answers (seed ${seed})`);
});

test.serial(`${LIBRARY_CASES} SSC and SMC CDBs in every medium state: answered, well-formed, and the library still works`, async (t) => {
  t.timeout(40 * 60_000);
  const stage = await LibraryStage.open('127.0.0.1', target.port, LIB, 3, 20_000);
  try {
    // The write-protected cartridge holds known records before its tab is set.
    await stage.clear([0, ...DRIVES]);
    await stage.load(WP, DRIVES[0]);
    await stage.variableBlocks(DRIVES[0]);
    for (const r of WP_RECORDS) await stage.write(DRIVES[0], r);
    await stage.writeFilemarks(DRIVES[0], 1);
    await stage.unloadAll();
    const p = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'tape', 'protect', WP, '--config', path.join(target.dir, 'config.yaml')], { cwd: ROOT });
    t.is(p.code, 0, `s3vtl tape protect: ${p.stderr}${p.stdout}`);
  } finally {
    await stage.close();
  }

  const t0 = Date.now();
  const report = await new LibraryFuzzer({
    host: '127.0.0.1', port: target.port, iqn: LIB, changerLun: 0, driveLuns: DRIVES,
    cases: LIBRARY_CASES, seed, dataBarcodes: DATA, wpBarcode: WP,
  }).run();
  const s = (Date.now() - t0) / 1000;
  t.log(`seed ${seed}: ${report.cases} tape and changer cases in ${s.toFixed(1)} s (${Math.round(report.cases / s)}/s), ${report.logins} logins, ${report.moves} MOVE MEDIUMs beside`);
  t.log(`by medium state: ${JSON.stringify(report.byState)}; by LU: ${JSON.stringify(report.byLu)}`);
  t.log(`outcomes:\n${report.tally.lines().join('\n')}`);
  t.log(`sense:\n${report.senses.lines().join('\n')}`);
  t.is(report.cases, LIBRARY_CASES, `every case ran (seed ${seed})`);
  t.deepEqual(report.uncovered, [], 'every opcode the LUs report has a CDB shape');
  t.deepEqual(report.tally.failures, [], `every command was answered in time, with an allowed status and well-formed sense (seed ${seed})`);
  t.true(report.moves > 0, 'MOVE MEDIUMs ran beside the fuzzer');
  t.is(await liveness(target, LIB, 0), undefined, `the target process has not exited and a fresh session gets answers (seed ${seed})`);

  const after = await LibraryStage.open('127.0.0.1', target.port, LIB, 4, 20_000);
  try {
    await after.clear([0, ...DRIVES]);
    // A well-behaved round trip on each drive: records written, rewound, read back byte-identical.
    for (const [i, lun] of DRIVES.entries()) {
      await after.load(DATA[i]!, lun);
      await after.variableBlocks(lun);
      await after.rewind(lun);
      const records = [1, 512, 4096, 65536, 100_000, 7].map((n, k) => pattern(`round-trip-${lun}-${k}`, n));
      for (const r of records) await after.write(lun, r);
      await after.writeFilemarks(lun, 1);
      await after.rewind(lun);
      for (const [k, r] of records.entries()) t.deepEqual(await after.read(lun, 262144), r, `drive LUN ${lun} reads record ${k} back as written`);
      t.is(await after.read(lun, 262144), 'filemark', `drive LUN ${lun} reads the filemark after the records`);
    }
    // The write-protected cartridge: still protected, writes refused, its records unchanged.
    await after.load(WP, DRIVES[0]);
    await after.variableBlocks(DRIVES[0]);
    t.true(await after.writeProtected(DRIVES[0]), 'MODE SENSE reports the cartridge write-protected');
    await after.rewind(DRIVES[0]);
    const w = await after.cmd('WRITE(6)', DRIVES[0], Buffer.from([0x0a, 0, 0, 0, 16, 0]), { dataOut: Buffer.alloc(16) });
    t.like(w.decoded, { key: 0x7, asc: 0x27, ascq: 0x00 }, 'a write to it is refused with DATA PROTECT 27/00');
    for (const [k, r] of WP_RECORDS.entries()) t.deepEqual(await after.read(DRIVES[0], 262144), r, `the write-protected cartridge's record ${k} is unchanged`);
    // The changer: every cartridge exactly once, and the same answer twice.
    await after.unloadAll();
    const inv1 = await after.elements();
    const inv2 = await after.elements();
    t.deepEqual(inv1, inv2, 'READ ELEMENT STATUS answers the same twice');
    const barcodes = inv1.flatMap((e) => (e.barcode === undefined ? [] : [e.barcode])).sort();
    t.deepEqual(barcodes, [...DATA, WP].sort(), 'every cartridge is in exactly one element');
    t.true(inv1.filter((e) => e.type === 4).every((e) => e.barcode === undefined), 'the drives are empty after unloading');
  } finally {
    await after.close();
  }
  t.is(await liveness(target, LIB, 0), undefined, `the target is still alive after the checks (seed ${seed})`);
  t.log(`the whole suite so far: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
});
