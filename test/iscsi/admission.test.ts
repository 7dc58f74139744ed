// Who gets in and for how long (limits.ts, auth-throttle.ts): sessions in all
// and per InitiatorName, connections and file descriptors, idle discovery
// sessions, and the delay before an authentication failure is answered.
import test from 'ava';
import { chapResponse } from '../../src/iscsi/chap.ts';
import { ISID, loginPdu, parseTextData, pdu, TestInitiator, text } from './helpers.ts';
import { DISK, isid, LOCKED, login, SECRET, start } from './limits-helpers.ts';

test('maxSessions and maxSessionsPerInitiator refuse further logins with 03/02', async (t) => {
  const { server, port } = await start({ limits: { maxSessions: 2, maxSessionsPerInitiator: 1 } });
  const a = await login(port, [['TargetName', DISK]], { isid: isid(1), name: 'iqn.2024-01.test:a' });
  t.is(a.status, 0, 'first session of a');
  const a2 = await login(port, [['TargetName', DISK]], { isid: isid(2), name: 'iqn.2024-01.test:a' });
  t.is(a2.status, 0x0302, 'a second session of the same initiator is out of resources');
  const b = await login(port, [['TargetName', DISK]], { isid: isid(3), name: 'iqn.2024-01.test:b' });
  t.is(b.status, 0, 'another initiator gets in');
  const c = await login(port, [['TargetName', DISK]], { isid: isid(4), name: 'iqn.2024-01.test:c' });
  t.is(c.status, 0x0302, 'the third session in all is out of resources');
  a.ini.close();
  await new Promise((r) => a.ini.socket.once('close', r));
  await new Promise((r) => setTimeout(r, 100));
  const c2 = await login(port, [['TargetName', DISK]], { isid: isid(4), name: 'iqn.2024-01.test:c' });
  t.is(c2.status, 0, 'room again once a session ended');
  for (const x of [a2, b, c, c2]) x.ini.close();
  await server.close();
});

const closedSoon = (ini: TestInitiator): Promise<boolean> => ini.next(3000).then(() => ini.closed);

test('connections beyond maxConnections are closed before any login', async (t) => {
  const { server, port } = await start({ limits: { maxConnections: 2 } });
  const one = await TestInitiator.open(port);
  const two = await TestInitiator.open(port);
  const three = await TestInitiator.open(port);
  t.true(await closedSoon(three), 'the third connection is closed');
  one.send(loginPdu({ transit: true, csg: 1, nsg: 3, data: text([['InitiatorName', 'iqn.2024-01.test:ini'], ['TargetName', DISK]]) }));
  t.is((await one.next())?.bhs.readUInt16BE(36), 0, 'the first two still log in');
  for (const x of [one, two]) x.close();
  await server.close();
});

test('no connection is accepted into the descriptors kept for the data path', async (t) => {
  let open = 800;
  const { server, port } = await start({ limits: { fdReserve: 128 }, descriptors: { limit: () => 1024, open: () => open } });
  const ok = await TestInitiator.open(port);
  t.false(await ok.next(300).then(() => ok.closed), 'accepted: 224 descriptors free, 128 kept in reserve');
  open = 1000;
  const refused = await TestInitiator.open(port);
  t.true(await closedSoon(refused), 'closed when fewer than the reserve are free');
  ok.close();
  await server.close();
});

const nopOut = (itt: number): Buffer => pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt, u32: { 20: 0xffffffff, 24: 1 } });

test('an idle discovery session is closed; NOP-Outs do not keep it', async (t) => {
  const { server, port } = await start({ limits: { discoveryIdleMs: 300 } });
  const { ini, status } = await login(port, [['SessionType', 'Discovery']]);
  t.is(status, 0);
  let answered = 0;
  for (let i = 0; i < 20 && !ini.closed; i++) {
    ini.send(nopOut(100 + i));
    if ((await ini.next(100))?.opcode === 0x20) answered++;
  }
  t.true(answered > 0, 'NOP-Outs were answered');
  t.true(await closedSoon(ini), 'closed although it kept pinging');
  const normal = await login(port, [['TargetName', DISK]]);
  t.is(await normal.ini.next(600), undefined);
  t.false(normal.ini.closed, 'a normal session is not subject to it');
  normal.ini.close();
  await server.close();
});

async function chapLogin(port: number, name: string, secret: string): Promise<{ ini: TestInitiator; status: number | undefined; waited: number }> {
  const ini = await TestInitiator.open(port);
  const ids = (data: [string, string][]) => text([['InitiatorName', name], ['TargetName', LOCKED], ['SessionType', 'Normal'], ...data]);
  ini.send(loginPdu({ csg: 0, nsg: 1, isid: ISID, data: ids([['AuthMethod', 'CHAP']]) }));
  await ini.next();
  ini.send(loginPdu({ csg: 0, nsg: 1, isid: ISID, data: text([['CHAP_A', '5']]) }));
  const ch = parseTextData((await ini.next())!.data);
  const r = chapResponse(5, Number(ch.get('CHAP_I')), secret, Buffer.from(ch.get('CHAP_C')!.slice(2), 'hex'));
  const sent = Date.now();
  ini.send(loginPdu({ transit: true, csg: 0, nsg: 1, isid: ISID, data: text([['CHAP_N', 'backup'], ['CHAP_R', '0x' + r.toString('hex')]]) }));
  const rsp = await ini.next(10_000);
  return { ini, status: rsp?.bhs.readUInt16BE(36), waited: Date.now() - sent };
}

test('authentication failures are answered after a delay that doubles per initiator', async (t) => {
  const { server, port } = await start({ limits: { authFailureDelayMs: 200, authFailureDelayMaxMs: 800 } });
  const name = 'iqn.2024-01.test:guesser';
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await chapLogin(port, name, 'wrong-secret-000');
    t.is(r.status, 0x0201);
    waits.push(r.waited);
    r.ini.close();
  }
  // Lower bounds only: a timer never fires early, a loaded machine may make it late.
  t.true(waits[0]! >= 190, `first failure answered after ${waits[0]} ms`);
  t.true(waits[2]! >= 790, `third failure answered after ${waits[2]} ms (200, 400, 800)`);
  const ok = await chapLogin(port, name, SECRET);
  t.is(ok.status, 0, 'the right secret still gets in');
  ok.ini.close();
  await server.close();
});
