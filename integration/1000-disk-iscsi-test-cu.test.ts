// libiscsi's conformance suite on a disk LUN, one family per test; a failing test lists
// every failing "Suite.Test". Full output in .work/it/1000-cu/cu-FAMILY/.
import path from 'node:path';
import test from 'ava';
import { diskTarget } from './lib/config.ts';
import { iscsiTestCu } from './lib/iscsi.ts';
import { startTarget, type Target } from './lib/target.ts';

// Failures accepted per target. tgt 1.0.85's are its known gaps (../shared/tools/baseline-tgt),
// listed so that the harness can be checked against tgt; ours starts empty: add a name here only
// with a reason.
const KNOWN: Record<string, Record<string, string[]>> = {
  tgt: {
    SCSI: ['GetLBAStatus.BeyondEol', 'PrinServiceactionRange.Range', 'ProutReserve.OwnershipEA', 'ProutReserve.OwnershipWE',
      'ProutReserve.OwnershipEARO', 'ProutReserve.OwnershipWERO', 'Reserve6.2Initiators'],
    iSCSI: ['iSCSIdatasn.iSCSIDataSnInvalid'],
    LINUX: ['GetLBAStatus.BeyondEol'],
  },
  ours: {},
};

// Tests that skip themselves on ours ("[SKIPPED]": CUnit counts them as passed), with why. The list
// is exact: a test that starts skipping (a feature lost, a capability no longer reported) fails
// here, and so does one that stops skipping, so that this list stays the truth.
const SKIPPED_SBC = [
  // "LBPPB < 2": one logical block per physical block (READ CAPACITY(16)), nothing unaligned to test
  'CompareAndWrite.InvalidDataOutSize', 'WriteSame10.UnmapUnaligned', 'WriteSame10.InvalidDataOutSize', 'WriteSame16.UnmapUnaligned', 'WriteSame16.InvalidDataOutSize',
  // the disk is not write-protected
  'ReadOnly.ReadOnlySBC',
  // WRITE ATOMIC(16) is not implemented
  'WriteAtomic16.Simple', 'WriteAtomic16.BeyondEol', 'WriteAtomic16.ZeroBlocks', 'WriteAtomic16.WriteProtect', 'WriteAtomic16.DpoFua', 'WriteAtomic16.VPD',
  // the harness gives one path (one URL)
  'MultipathIO.Simple', 'MultipathIO.Reset', 'MultipathIO.CompareAndWrite', 'MultipathIO.CompareAndWriteAsync',
];
const SKIPPED: Record<string, string[]> = {
  SCSI: [
    ...SKIPPED_SBC,
    // EXTENDED COPY / RECEIVE COPY RESULTS are not implemented
    'ExtendedCopy.Simple', 'ExtendedCopy.ParamHdr', 'ExtendedCopy.DescrType', 'ExtendedCopy.ValidTgtDescr', 'ExtendedCopy.ValidSegDescr',
    'ExtendedCopy.DescrLimits', 'ReceiveCopyResults.CopyStatus', 'ReceiveCopyResults.OpParams',
    // the disk is not removable medium (INQUIRY RMB=0)
    'PreventAllow.Simple', 'PreventAllow.Eject', 'PreventAllow.ITNexusLoss', 'PreventAllow.Logout', 'PreventAllow.WarmReset',
    'PreventAllow.ColdReset', 'PreventAllow.LUNReset', 'PreventAllow.2ITNexuses', 'StartStopUnit.Simple',
    // iscsi-test-cu runs SANITIZE only with --allow-sanitize
    'Sanitize.BlockErase', 'Sanitize.BlockEraseReserved', 'Sanitize.CryptoErase', 'Sanitize.CryptoEraseReserved', 'Sanitize.ExitFailureMode',
    'Sanitize.InvalidServiceAction', 'Sanitize.Overwrite', 'Sanitize.OverwriteReserved', 'Sanitize.Readonly', 'Sanitize.Reservations', 'Sanitize.Reset',
  ],
  iSCSI: [],
  LINUX: SKIPPED_SBC,
};

const spec = diskTarget('disk', '1GiB');
let tg: Target;
test.before(async () => { tg = await startTarget('1000-cu', [spec]); });
test.after.always(async () => { await tg?.stop(); });

for (const family of ['SCSI', 'iSCSI', 'LINUX']) {
  test(`iscsi-test-cu ${family}`, async (t) => {
    const r = await iscsiTestCu(tg.url(spec.iqn, 0), path.join(tg.dir, `cu-${family}`), family);
    t.log(`${family}: pass ${r.pass} skip ${r.skip} fail ${r.fail} (rc ${r.rc}), output in ${r.outDir}`);
    t.true(r.pass + r.skip + r.fail > 0, `iscsi-test-cu ran no test (rc ${r.rc}): ${r.stderr}`);
    const known = KNOWN[tg.kind]?.[family] ?? [];
    const unexpected = r.failed.filter((n) => !known.includes(n));
    t.deepEqual(unexpected, [], `failing tests: ${unexpected.join(', ')}`);
    const fixed = known.filter((n) => !r.failed.includes(n));
    if (fixed.length) t.log(`known failures that passed now: ${fixed.join(', ')}`);
    t.log(`${family} skipped: ${JSON.stringify(r.skipped)}`);
    // cu-summary.py and our reading of the output agree on the count.
    t.is(r.skipped.length, r.skip, `skipped tests found in the output: ${r.skipped.join(', ')}`);
    if (tg.kind === 'ours') t.deepEqual([...r.skipped].sort(), [...(SKIPPED[family] ?? [])].sort(), `skipped tests on ours (update SKIPPED with a reason)`);
  });
}
