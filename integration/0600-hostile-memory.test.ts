// Bounded memory under hostile initiators: two sessions that announce 64 MiB
// WRITEs, answer every R2T but each command's first and add 400 immediate
// WRITEs, and two that send READs of 64 MiB (their window and 400 immediate)
// and never read their socket, beside two sessions streaming disk writes. The gateway's peak RSS
// stays far below 1 GiB (it grew to 3 GiB with two such writers when a
// buffer of the announced length was taken per command, and every READ was
// produced and queued whether or not its initiator read), and the
// well-behaved sessions complete their writes. The figures for 1, 2
// and 8 sessions each way: npm run bench -- hostile.
import test from 'ava';
import { hostileRun } from '../bench/hostile.ts';

test('two hostile writers and two hostile readers beside two streaming sessions: peak RSS under 1 GiB, the streams complete', async (t) => {
  const r = await hostileRun(2, { size: '32M', bs: '1M', settleMs: 1500 });
  t.log(`peak RSS ${r.peakMiB} MiB (started at ${r.rssStartMiB} MiB); stream ${r.aloneMBps.join('/')} MB/s alone, ${r.besideMBps.join('/')} MB/s beside; hostile sent ${r.hostileSentMiB} MiB, ${r.readers} readers`);
  t.true(r.besideMBps.every(Number.isFinite), 'every well-behaved session completed beside the hostile ones');
  t.true(r.peakMiB < 1024, `peak RSS ${r.peakMiB} MiB`);
});
