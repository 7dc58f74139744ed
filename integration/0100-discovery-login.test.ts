// Discovery, LUN listing, INQUIRY, CHAP (one-way and mutual) and CRC32C header digests,
// all through libiscsi's command-line initiators.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type Chap, diskTarget, IQN_PREFIX, type TargetSpec } from './lib/config.ts';
import { iscsiInq, iscsiLs, tapeBench } from './lib/iscsi.ts';
import { startTarget, type Target } from './lib/target.ts';
import { ROOT } from './lib/util.ts';

const chap: Chap = { user: 'initiator1', secret: 'init-secret-0001' };
const mutual: Chap = { user: 'target1', secret: 'target-secret-01' };
const wrong = (c: Chap): Chap => ({ ...c, secret: `${c.secret}x` });

const open: TargetSpec[] = [
  diskTarget('disk', '64MiB'),
  { iqn: `${IQN_PREFIX}:two`, luns: [{ lun: 0, type: 'disk', size: '32MiB' }, { lun: 1, type: 'disk', size: '16MiB' }] },
];
const oneWay = diskTarget('chap', '16MiB', { chap });
const both = diskTarget('mutual', '16MiB', { chap, mutualChap: mutual });

// config/examples/open-iscsi.md: the node settings its iscsiadm commands set, and the target of
// gateway-aws.yaml it logs in to (its IQN and chap, on a small disk instead of the library).
const OPEN_ISCSI = readFileSync(path.join(ROOT, 'config/examples/open-iscsi.md'), 'utf8');
const docAuth = Object.fromEntries([...OPEN_ISCSI.matchAll(/-n node\.session\.auth\.(\w+) -v (\S+)/g)].map((m) => [m[1]!, m[2]!]));
const docIqn = /^IQN=(\S+)$/m.exec(OPEN_ISCSI)?.[1] ?? '';
const awsTarget = (YAML.parse(readFileSync(path.join(ROOT, 'config/examples/gateway-aws.yaml'), 'utf8')) as { targets: { iqn: string; chap: { user: string; secret: string; mutualUser: string; mutualSecret: string } }[] }).targets[0]!;
const example: TargetSpec = {
  iqn: awsTarget.iqn, luns: [{ lun: 0, type: 'disk', size: '16MiB' }],
  chap: { user: awsTarget.chap.user, secret: awsTarget.chap.secret },
  mutualChap: { user: awsTarget.chap.mutualUser, secret: awsTarget.chap.mutualSecret },
};

let a: Target; // open targets
let b: Target; // CHAP targets
test.before(async () => {
  a = await startTarget('0100-open', open);
  b = await startTarget('0100-chap', [oneWay, both, example]);
});
test.after.always(async () => { await a?.stop(); await b?.stop(); });

const login = (url: string, env?: NodeJS.ProcessEnv) => iscsiInq(url, { env });

test('SendTargets discovery lists every target, also the CHAP ones', async (t) => {
  for (const [tgt, specs] of [[a, open], [b, [oneWay, both, example]]] as const) {
    const r = await iscsiLs(tgt.portalUrl());
    t.is(r.code, 0, r.stderr);
    t.deepEqual(r.targets.map((x) => x.iqn).sort(), specs.map((s) => s.iqn).sort());
    for (const x of r.targets) t.is(x.portal, `127.0.0.1:${tgt.port},1`);
  }
});

test('iscsi-ls -s shows every LUN as a disk with its size', async (t) => {
  const r = await iscsiLs(a.portalUrl(), { showLuns: true });
  t.is(r.code, 0, r.stderr);
  for (const spec of open) {
    const luns = r.targets.find((x) => x.iqn === spec.iqn)?.luns ?? [];
    for (const l of spec.luns) {
      const got = luns.find((x) => x.lun === a.lunNo(l.lun));
      t.is(got?.type, 'DIRECT_ACCESS', `${spec.iqn} LUN ${l.lun}: ${JSON.stringify(luns)}`);
      t.truthy(got?.size, 'size shown');
    }
  }
});

test('standard INQUIRY on a disk LUN', async (t) => {
  const r = await iscsiInq(a.url(open[0]!.iqn, 0));
  t.is(r.code, 0, r.stderr);
  t.is(r.fields['Peripheral Device Type'], 'DIRECT_ACCESS');
  t.is(r.fields['Peripheral Qualifier'], 'CONNECTED');
});

test('one-way CHAP: the right secret logs in, a wrong one or none is refused', async (t) => {
  const ok = await login(b.url(oneWay.iqn, 0, { chap }));
  t.is(ok.code, 0, ok.stderr);
  t.not((await login(b.url(oneWay.iqn, 0, { chap: wrong(chap) }))).code, 0, 'wrong secret refused');
  t.not((await login(b.url(oneWay.iqn, 0, { chap: { ...chap, user: 'nobody' } }))).code, 0, 'unknown user refused');
  t.not((await login(b.url(oneWay.iqn, 0))).code, 0, 'no credentials refused');
});

// libiscsi takes the target's mutual-CHAP credentials from LIBISCSI_CHAP_TARGET_USERNAME /
// LIBISCSI_CHAP_TARGET_PASSWORD (or the URL's ?target_user=&target_password=) and checks the
// target's CHAP_N/CHAP_R answer to its own challenge.
const targetEnv = (c: Chap) => ({ LIBISCSI_CHAP_TARGET_USERNAME: c.user, LIBISCSI_CHAP_TARGET_PASSWORD: c.secret });

test('mutual CHAP (env): both secrets right logs in; a wrong one on either side is refused', async (t) => {
  const ok = await login(b.url(both.iqn, 0, { chap }), targetEnv(mutual));
  t.is(ok.code, 0, ok.stderr);
  const badTarget = await login(b.url(both.iqn, 0, { chap }), targetEnv(wrong(mutual)));
  t.not(badTarget.code, 0, 'target proved a secret the initiator does not expect');
  t.not((await login(b.url(both.iqn, 0, { chap: wrong(chap) }), targetEnv(mutual))).code, 0, 'wrong initiator secret');
});

test('mutual CHAP (URL target_user/target_password)', async (t) => {
  const q = (c: Chap) => `target_user=${c.user}&target_password=${c.secret}`;
  const ok = await login(b.url(both.iqn, 0, { chap, query: q(mutual) }));
  t.is(ok.code, 0, ok.stderr);
  t.not((await login(b.url(both.iqn, 0, { chap, query: q(wrong(mutual)) }))).code, 0);
});

test('open-iscsi.md: its discovery finds the example target, its CHAP settings log in to it (mutual too)', async (t) => {
  t.is(docIqn, awsTarget.iqn, 'the doc logs in to gateway-aws.yaml\'s target');
  t.like(docAuth, { authmethod: 'CHAP', username: awsTarget.chap.user, password: awsTarget.chap.secret, username_in: awsTarget.chap.mutualUser, password_in: awsTarget.chap.mutualSecret });
  const disc = await iscsiLs(b.portalUrl());
  t.true(disc.targets.some((x) => x.iqn === docIqn), 'SendTargets without CHAP lists it');
  const initiator = { user: docAuth.username!, secret: docAuth.password! };
  const ok = await login(b.url(docIqn, 0, { chap: initiator }), targetEnv({ user: docAuth.username_in!, secret: docAuth.password_in! }));
  t.is(ok.code, 0, ok.stderr);
  t.not((await login(b.url(docIqn, 0, { chap: initiator }), targetEnv({ user: docAuth.username_in!, secret: 'not-the-secret' }))).code, 0, 'a target that proves another secret is refused');
});

test('header digest CRC32C: INQUIRY and a verified write/read', async (t) => {
  const url = a.url(open[0]!.iqn, 0);
  const inq = await iscsiInq(`${url}?header_digest=crc32c`);
  t.is(inq.code, 0, inq.stderr);
  const r = await tapeBench(url, ['--disk', '--size', '32M', '--qd', '4', '--header-digest', 'crc32c']);
  t.is(r.code, 0, r.stderr);
  t.true(r.json?.ok && r.json.verify_ok, JSON.stringify(r.json));
});
