// iscsi-tape-bench --disk: WRITE(16) x N + SYNCHRONIZE CACHE, READ(16) x N, every byte verified.
import test from 'ava';
import { diskTarget } from './lib/config.ts';
import { tapeBench } from './lib/iscsi.ts';
import { startTarget, type Target } from './lib/target.ts';

const SIZE = process.env.S3VTL_IT_BENCH_SIZE ?? '256M'; // per run; the LUN is 1 GiB
const spec = diskTarget('disk', '1GiB');
let tg: Target;
test.before(async () => { tg = await startTarget('1100-bench', [spec]); });
test.after.always(async () => { await tg?.stop(); });

for (const qd of [1, 8]) {
  test(`disk write/read/verify ${SIZE} at qd ${qd}`, async (t) => {
    const r = await tapeBench(tg.url(spec.iqn, 0), ['--disk', '--size', SIZE, '--qd', String(qd), '--seed', String(qd)]);
    t.is(r.code, 0, `${r.stderr}\n${r.stdout}`);
    t.true(r.json?.ok && r.json.verify_ok, JSON.stringify(r.json));
    t.log(`qd ${qd}: write ${r.json?.write_MBps} MB/s (incl. flush ${r.json?.write_incl_flush_MBps}), read ${r.json?.read_MBps} MB/s`);
  });
}

test('data persists across a target restart', async (t) => {
  const url = tg.url(spec.iqn, 0);
  const w = await tapeBench(url, ['--disk', '--size', '16M', '--mode', 'write', '--seed', '77']);
  t.is(w.code, 0, w.stderr);
  await tg.restart();
  const r = await tapeBench(url, ['--disk', '--size', '16M', '--mode', 'read', '--seed', '77']);
  t.is(r.code, 0, `${r.stderr}\n${r.stdout}`);
  t.true(r.json?.verify_ok, JSON.stringify(r.json));
});
