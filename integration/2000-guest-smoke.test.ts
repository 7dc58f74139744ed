// The QEMU guest (its iSCSI initiator is QEMU's libiscsi driver) boots and sees our LUNs.
import test from 'ava';
import { diskTarget } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { startTarget, type Target } from './lib/target.ts';

const spec = diskTarget('disk', '64MiB');
let tg: Target;
test.before(async () => { tg = await startTarget('2000-guest', [spec]); });
test.after.always(async () => { await tg?.stop(); });

test('guest boots and lists the disk LUN with lsscsi -g', async (t) => {
  const r = await guestRun({
    luns: [['disk0', tg.url(spec.iqn, 0)]],
    script: '#!/bin/sh\nset -e\nlsscsi -g\nls -l /dev/vtl/\nsg_inq "$VTL_DISK0_SG"\n',
    timeoutS: 300,
  });
  t.log(r.stdout);
  t.is(r.code, 0, `guest run exit ${r.code}:\n${r.stderr}`);
  t.regex(r.stdout, /disk\s+\S+\s+\S+.*\/dev\/sg\d+/, 'lsscsi shows a disk with an sg node');
  t.regex(r.stdout, /disk0\.sg/, '/dev/vtl/disk0.sg exists');
});
