import test from 'ava';
import { chapResponse } from '../../src/iscsi/chap.ts';
import { LoginStatus } from '../../src/iscsi/constants.ts';
import { LoginNegotiator, type LoginConfig, type LoginStep } from '../../src/iscsi/login.ts';
import { DEFAULT_OFFER } from '../../src/iscsi/negotiation.ts';
import { PduParser } from '../../src/iscsi/pdu-parser.ts';
import { decodePdu, type LoginRequestPdu, type RawPdu } from '../../src/iscsi/pdu.ts';
import type { TargetDefinition } from '../../src/iscsi/target.ts';
import { loginPdu, text, type LoginFields } from './helpers.ts';

const IQN = 'iqn.2024-01.test:tape';
const INITIATOR = 'iqn.1993-08.org.debian:01:abc';

function target(extra: Partial<TargetDefinition> = {}): TargetDefinition {
  return { iqn: IQN, luns: new Map(), ...extra };
}

function negotiator(t: TargetDefinition, extra: Partial<LoginConfig> = {}): LoginNegotiator {
  return new LoginNegotiator({
    offer: DEFAULT_OFFER,
    findTarget: (iqn) => (iqn === t.iqn ? t : undefined),
    chapAlgorithms: [5, 6, 7, 8],
    // Deterministic: CHAP_I = 7, challenge = 16 × 0x11.
    randomBytes: (n) => Buffer.concat([Buffer.of(7), Buffer.alloc(n - 1, 0x11)]),
    ...extra,
  });
}

function req(f: Omit<LoginFields, 'data'> & { keys: [string, string][] }): LoginRequestPdu {
  const p = new PduParser();
  p.push(loginPdu({ ...f, data: text(f.keys) }));
  return decodePdu(p.next() as RawPdu) as LoginRequestPdu;
}

const pairs = (s: LoginStep): Map<string, string> => new Map(s.kind === 'fail' ? s.pairs : s.reply.pairs);

const ops: [string, string][] = [
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['MaxRecvDataSegmentLength', '65536'],
  ['InitialR2T', 'No'],
  ['ImmediateData', 'Yes'],
  ['MaxBurstLength', '262144'],
  ['FirstBurstLength', '65536'],
];

test('login without authentication straight to full feature phase', (t) => {
  const n = negotiator(target({ alias: 'tape0' }));
  const s = n.step(
    req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['SessionType', 'Normal'], ...ops] }),
  );
  t.is(s.kind, 'complete');
  if (s.kind !== 'complete') return;
  const m = pairs(s);
  t.is(m.get('TargetPortalGroupTag'), '1');
  t.is(m.get('TargetAlias'), 'tape0');
  t.is(m.get('MaxRecvDataSegmentLength'), String(DEFAULT_OFFER.maxRecvDataSegmentLength));
  t.is(m.get('InitialR2T'), 'No');
  t.is(s.result.params.maxSendDataSegmentLength, 65536);
  t.is(s.result.params.maxBurstLength, 262144);
  t.is(s.result.target?.iqn, IQN);
});

test('security stage with AuthMethod=None then operational', (t) => {
  const n = negotiator(target());
  const a = n.step(req({ transit: true, csg: 0, nsg: 1, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['AuthMethod', 'CHAP,None']] }));
  t.is(a.kind, 'reply');
  if (a.kind !== 'reply') return;
  t.true(a.reply.transit);
  t.is(a.reply.nsg, 1);
  t.is(pairs(a).get('AuthMethod'), 'None');
  const b = n.step(req({ transit: true, csg: 1, nsg: 3, keys: ops }));
  t.is(b.kind, 'complete');
});

test('missing InitiatorName is 02/07; missing TargetName is 02/07; unknown target is 02/03', (t) => {
  const a = negotiator(target()).step(req({ transit: true, csg: 1, nsg: 3, keys: [['TargetName', IQN]] }));
  t.true(a.kind === 'fail' && a.status === LoginStatus.MISSING_PARAMETER);
  const b = negotiator(target()).step(req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR]] }));
  t.true(b.kind === 'fail' && b.status === LoginStatus.MISSING_PARAMETER);
  const c = negotiator(target()).step(
    req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['TargetName', 'iqn.nope']] }),
  );
  t.true(c.kind === 'fail' && c.status === LoginStatus.NOT_FOUND);
});

test('an initiator outside the allow-list is 02/02', (t) => {
  const s = negotiator(target({ allowedInitiators: ['iqn.other'] })).step(
    req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN]] }),
  );
  t.true(s.kind === 'fail' && s.status === LoginStatus.AUTHORIZATION_FAILURE);
});

test('a discovery session needs no TargetName', (t) => {
  const s = negotiator(target()).step(
    req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['MaxBurstLength', '512']] }),
  );
  t.is(s.kind, 'complete');
  t.is(pairs(s).get('MaxBurstLength'), 'Irrelevant');
});

test('version min above 0 is 02/05; T and C together is 02/00', (t) => {
  const p = req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN]] });
  const s = negotiator(target()).step({ ...p, versionMin: 1 });
  t.true(s.kind === 'fail' && s.status === LoginStatus.UNSUPPORTED_VERSION);
  const c = negotiator(target()).step({ ...p, continue: true });
  t.true(c.kind === 'fail' && c.status === LoginStatus.INITIATOR_ERROR);
});

test('a key negotiated twice fails the login', (t) => {
  const n = negotiator(target());
  n.step(req({ csg: 1, nsg: 0, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['MaxBurstLength', '4096']] }));
  const s = n.step(req({ transit: true, csg: 1, nsg: 3, keys: [['MaxBurstLength', '8192']] }));
  t.true(s.kind === 'fail' && s.status === LoginStatus.INITIATOR_ERROR);
});

test('text continued over two PDUs with the C bit', (t) => {
  const n = negotiator(target());
  const whole = text([['InitiatorName', INITIATOR], ['TargetName', IQN]]);
  const p = new PduParser();
  p.push(loginPdu({ csg: 1, nsg: 3, cont: true, data: whole.subarray(0, 10) }));
  p.push(loginPdu({ transit: true, csg: 1, nsg: 3, data: whole.subarray(10) }));
  const a = n.step(decodePdu(p.next() as RawPdu) as LoginRequestPdu);
  t.true(a.kind === 'reply' && !a.reply.transit && a.reply.pairs.length === 0);
  const b = n.step(decodePdu(p.next() as RawPdu) as LoginRequestPdu);
  t.is(b.kind, 'complete');
});

const chapTarget = target({ chap: { user: 'alice', secret: 'alicesecret1', mutualUser: 'tgt', mutualSecret: 'targetsecret' } });
const challenge = Buffer.alloc(16, 0x11);

function chapLogin(
  algorithms: string,
  response: (alg: 5 | 6 | 7 | 8) => [string, string][],
): { first: LoginStep; second: LoginStep; third: LoginStep | undefined } {
  const n = negotiator(chapTarget);
  const first = n.step(req({ csg: 0, nsg: 1, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['AuthMethod', 'CHAP,None']] }));
  const second = n.step(req({ csg: 0, nsg: 1, keys: [['CHAP_A', algorithms]] }));
  if (second.kind !== 'reply') return { first, second, third: undefined };
  const alg = Number(pairs(second).get('CHAP_A')) as 5 | 6 | 7 | 8;
  const third = n.step(req({ transit: true, csg: 0, nsg: 1, keys: response(alg) }));
  return { first, second, third };
}

test('one-way CHAP MD5 with the hex response', (t) => {
  const { first, second, third } = chapLogin('5', (alg) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0x' + chapResponse(alg, 7, 'alicesecret1', challenge).toString('hex')],
  ]);
  t.is(pairs(first).get('AuthMethod'), 'CHAP');
  const m = pairs(second);
  t.is(m.get('CHAP_A'), '5');
  t.is(m.get('CHAP_I'), '7');
  t.is(m.get('CHAP_C'), '0x' + challenge.toString('hex'));
  t.true(third?.kind === 'reply' && third.reply.transit && third.reply.nsg === 1);
});

test('CHAP_A=5,6,7,8 selects 5 (libiscsi iSCSICHAP Simple)', (t) => {
  const { second } = chapLogin('5,6,7,8', () => []);
  t.is(pairs(second).get('CHAP_A'), '5');
});

test('CHAP_A=56 and empty CHAP_A fail authentication (libiscsi iSCSICHAP Invalid)', (t) => {
  for (const bad of ['56', '']) {
    const { second } = chapLogin(bad, () => []);
    t.true(second.kind === 'fail' && second.status === LoginStatus.AUTHENTICATION_FAILURE, bad);
  }
});

for (const alg of ['6', '7', '8']) {
  test(`CHAP with algorithm ${alg}`, (t) => {
    const { third } = chapLogin(alg, (a) => [
      ['CHAP_N', 'alice'],
      ['CHAP_R', '0x' + chapResponse(a, 7, 'alicesecret1', challenge).toString('hex')],
    ]);
    t.true(third?.kind === 'reply' && third.reply.transit);
  });
}

test('CHAP_R in base64 is accepted; an oversize base64 value is not', (t) => {
  const ok = chapLogin('5', (a) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0b' + chapResponse(a, 7, 'alicesecret1', challenge).toString('base64')],
  ]);
  t.true(ok.third?.kind === 'reply');
  const over = chapLogin('5', (a) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0bb3ZlcnNpemUK' + chapResponse(a, 7, 'alicesecret1', challenge).toString('base64')],
  ]);
  t.true(over.third?.kind === 'fail' && over.third.status === LoginStatus.AUTHENTICATION_FAILURE);
});

test('wrong secret, wrong name, and skipping CHAP all fail with 02/01', (t) => {
  const wrong = chapLogin('5', (a) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0x' + chapResponse(a, 7, 'nope', challenge).toString('hex')],
  ]);
  t.true(wrong.third?.kind === 'fail' && wrong.third.status === LoginStatus.AUTHENTICATION_FAILURE);
  const name = chapLogin('5', (a) => [
    ['CHAP_N', 'bob'],
    ['CHAP_R', '0x' + chapResponse(a, 7, 'alicesecret1', challenge).toString('hex')],
  ]);
  t.true(name.third?.kind === 'fail');
  const skip = negotiator(chapTarget).step(
    req({ transit: true, csg: 1, nsg: 3, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN]] }),
  );
  t.true(skip.kind === 'fail' && skip.status === LoginStatus.AUTHENTICATION_FAILURE);
  const none = negotiator(chapTarget).step(
    req({ csg: 0, nsg: 1, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['AuthMethod', 'None']] }),
  );
  t.true(none.kind === 'fail' && none.status === LoginStatus.AUTHENTICATION_FAILURE);
});

test('CHAP_N is a name even when it looks like hex or base64', (t) => {
  const tgt = target({ chap: { user: '0x1234', secret: 'hexnamesecret' } });
  const n = negotiator(tgt);
  n.step(req({ csg: 0, nsg: 1, keys: [['InitiatorName', INITIATOR], ['TargetName', IQN], ['AuthMethod', 'CHAP']] }));
  n.step(req({ csg: 0, nsg: 1, keys: [['CHAP_A', '5']] }));
  const s = n.step(
    req({ transit: true, csg: 0, nsg: 1, keys: [['CHAP_N', '0x1234'], ['CHAP_R', '0x' + chapResponse(5, 7, 'hexnamesecret', challenge).toString('hex')]] }),
  );
  t.true(s.kind === 'reply' && s.reply.transit);
});

test('mutual CHAP answers with the target name and response', (t) => {
  const mine = Buffer.alloc(16, 0x42);
  const { third } = chapLogin('5', (a) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0x' + chapResponse(a, 7, 'alicesecret1', challenge).toString('hex')],
    ['CHAP_I', '9'],
    ['CHAP_C', '0x' + mine.toString('hex')],
  ]);
  t.is(third?.kind, 'reply');
  const m = pairs(third!);
  t.is(m.get('CHAP_N'), 'tgt');
  t.is(m.get('CHAP_R'), '0x' + chapResponse(5, 9, 'targetsecret', mine).toString('hex'));
});

test('mutual CHAP refuses a reflected challenge', (t) => {
  const { third } = chapLogin('5', (a) => [
    ['CHAP_N', 'alice'],
    ['CHAP_R', '0x' + chapResponse(a, 7, 'alicesecret1', challenge).toString('hex')],
    ['CHAP_I', '7'],
    ['CHAP_C', '0x' + challenge.toString('hex')],
  ]);
  t.true(third?.kind === 'fail' && third.status === LoginStatus.AUTHENTICATION_FAILURE);
});
