// libiscsi's conformance suite on a CDP volume, as 1000 runs it on the plain
// disk LUN: every command reaches the journaled volume, and the result must be
// the same (0 failures). Full output in .work/it/1200-cdp-cu/cu-FAMILY/.
import path from 'node:path';
import test from 'ava';
import { diskTarget } from './lib/config.ts';
import { iscsiTestCu } from './lib/iscsi.ts';
import { startTarget, targetKind, type Target } from './lib/target.ts';

const spec = diskTarget('disk', '1GiB');
spec.luns[0]!.cdp = {};
let tg: Target;
const ours = targetKind() === 'ours' ? test : test.skip;
test.before(async () => { if (targetKind() === 'ours') tg = await startTarget('1200-cdp-cu', [spec], { startTimeoutMs: 120_000 }); });
test.after.always(async () => { await tg?.stop(); });

for (const family of ['SCSI', 'iSCSI', 'LINUX']) {
  ours(`iscsi-test-cu ${family} on a CDP volume`, async (t) => {
    const r = await iscsiTestCu(tg.url(spec.iqn, 0), path.join(tg.dir, `cu-${family}`), family);
    t.log(`${family}: pass ${r.pass} skip ${r.skip} fail ${r.fail} (rc ${r.rc}), output in ${r.outDir}`);
    t.true(r.pass + r.skip + r.fail > 0, `iscsi-test-cu ran no test (rc ${r.rc}): ${r.stderr}`);
    t.deepEqual(r.failed, [], `failing tests: ${r.failed.join(', ')}`);
  });
}
