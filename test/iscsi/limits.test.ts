// Bounded Data-Out memory under hostile initiators (limits.ts, data-budget.ts):
// memory follows the data received, reservations bound each session and the
// target, R2Ts wait for room, immediate commands count.
import test from 'ava';
import { pdu } from './helpers.ts';
import { answerR2T, drain, isid, login, SOLICITED, start, write10 } from './limits-helpers.ts';

const MiB = 1024 * 1024;
const nop = (itt: number, cmdSN: number): Buffer => pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt, u32: { 20: 0xffffffff, 24: cmdSN } });
const R2T = 0x31;
const RESPONSE = 0x21;
const REJECT = 0x3f;

test.serial('memory taken grows with the data received, not with the announced length', async (t) => {
  const { server, port } = await start();
  const { ini } = await login(port, SOLICITED);
  const before = process.memoryUsage().arrayBuffers;
  ini.send(write10(1, 1, 64 * MiB));
  const r2ts = (await drain(ini)).filter((p) => p.opcode === R2T);
  t.true(r2ts.length >= 2, 'R2Ts for the first bursts');
  // The first R2T is left waiting; the second is answered (1 MiB).
  answerR2T(ini, r2ts[1]!);
  ini.send(nop(77, 2));
  const after = await drain(ini, 1000);
  t.is(after.at(-1)?.itt, 77, 'everything sent before the NOP-Out was taken in');
  const grown = process.memoryUsage().arrayBuffers - before;
  t.true(grown < 16 * MiB, `a 64 MiB announcement with 1 MiB sent holds ${(grown / MiB).toFixed(1)} MiB`);
  t.true(server.dataBudget().allocated <= 2 * MiB, 'the target accounts about what arrived');
  t.is(server.dataBudget().reserved, 64 * MiB, 'and reserves what was announced');
  ini.close();
  await server.close();
});

test.serial('per session: the R2Ts of a write that does not fit wait until an earlier write completes', async (t) => {
  const { server, port, lu } = await start({ limits: { maxBufferedPerSession: 8 * MiB } });
  const { ini } = await login(port, SOLICITED);
  ini.send(write10(1, 1, 6 * MiB));
  ini.send(write10(2, 2, 6 * MiB));
  const first = await drain(ini);
  t.true(first.length > 0 && first.every((p) => p.opcode === R2T && p.itt === 1), 'only the first write is solicited');
  for (const r of first) answerR2T(ini, r);
  const next = await drain(ini, 1000);
  t.is(next[0]?.opcode, RESPONSE, 'the first write completes');
  t.true(next.slice(1).some((p) => p.opcode === R2T && p.itt === 2), 'then the second gets its R2Ts');
  for (const r of next.filter((p) => p.opcode === R2T)) answerR2T(ini, r);
  t.is((await drain(ini, 1000)).filter((p) => p.opcode === RESPONSE).length, 1, 'and completes');
  t.deepEqual(lu.written, [6 * MiB, 6 * MiB]);
  t.is(server.dataBudget().reserved, 0, 'everything given back');
  ini.close();
  await server.close();
});

test.serial('for the target: sessions together stay within maxBuffered', async (t) => {
  const { server, port } = await start({ limits: { maxBuffered: 8 * MiB } });
  const a = await login(port, SOLICITED, { isid: isid(1) });
  const b = await login(port, SOLICITED, { isid: isid(2) });
  a.ini.send(write10(1, 1, 6 * MiB));
  const ra = await drain(a.ini);
  t.true(ra.length > 0 && ra.every((p) => p.opcode === R2T));
  b.ini.send(write10(1, 1, 6 * MiB));
  t.deepEqual(await drain(b.ini), [], 'the second session waits: 12 MiB would exceed the 8 MiB total');
  for (const r of ra) answerR2T(a.ini, r);
  t.is((await drain(a.ini, 1000))[0]?.opcode, RESPONSE);
  const rb = await drain(b.ini, 1000);
  t.true(rb.length > 0 && rb.every((p) => p.opcode === R2T), 'room again: the second session is solicited');
  a.ini.close();
  b.ini.close();
  await server.close();
});

test.serial('a write whose immediate data cannot be held is answered TASK SET FULL', async (t) => {
  const { server, port } = await start({ limits: { maxBufferedPerSession: 8 * MiB } });
  const { ini } = await login(port, [...SOLICITED.filter(([k]) => k !== 'ImmediateData'), ['ImmediateData', 'Yes']]);
  ini.send(write10(1, 1, 6 * MiB));
  const r2ts = await drain(ini);
  t.true(r2ts.length > 0);
  ini.send(write10(2, 2, 4 * MiB, { data: Buffer.alloc(4096, 1) }));
  const rsp = (await ini.next())!;
  t.is(rsp.opcode, RESPONSE);
  t.is(rsp.itt, 2);
  t.is(rsp.bhs[3], 0x28, 'TASK SET FULL');
  t.is(server.dataBudget().reserved, 6 * MiB, 'only the first write holds budget');
  ini.close();
  await server.close();
});

test.serial('immediate commands take the queue depth like any other, and only a few may be outstanding', async (t) => {
  const { server, port } = await start({ queueDepth: 16 });
  const { ini } = await login(port, SOLICITED);
  // Immediate writes stay open: their R2Ts are not answered.
  for (let i = 0; i < 5; i++) ini.send(write10(10 + i, 1, 64 * 1024, { immediate: true }));
  const got = await drain(ini);
  t.is(got.filter((p) => p.opcode === R2T).length, 4, 'four immediate writes are taken');
  t.deepEqual(got.filter((p) => p.opcode === REJECT).map((p) => p.data[0]! & 0x3f), [0x01], 'the fifth is rejected (reason 0x06)');
  t.is(got.find((p) => p.opcode === REJECT)?.bhs[2], 0x06);
  ini.close();
  await server.close();
});

test.serial('an immediate command is rejected when the tasks fill the queue depth', async (t) => {
  const { server, port } = await start({ queueDepth: 4 });
  const { ini } = await login(port, SOLICITED);
  for (let i = 0; i < 4; i++) ini.send(write10(1 + i, 1 + i, 64 * 1024));
  t.is((await drain(ini, 1000)).filter((p) => p.opcode === R2T).length, 4);
  ini.send(write10(9, 5, 64 * 1024, { immediate: true }));
  const r = (await ini.next())!;
  t.is(r.opcode, REJECT);
  t.is(r.bhs[2], 0x06, 'Immediate command reject');
  ini.close();
  await server.close();
});

test.serial('a waiting write that is aborted lets the writes queued behind it go', async (t) => {
  const { server, port } = await start({ limits: { maxBufferedPerSession: 8 * MiB } });
  const { ini } = await login(port, SOLICITED);
  ini.send(write10(1, 1, 6 * MiB));
  ini.send(write10(2, 2, 6 * MiB));
  ini.send(write10(3, 3, 1 * MiB));
  t.true((await drain(ini)).every((p) => p.itt === 1), 'writes 2 and 3 wait');
  // ABORT TASK (function 1) for ITT 2, RefCmdSN 2.
  ini.send(pdu({ opcode: 0x02, immediate: true, flags: 0x81, itt: 9, u32: { 20: 2, 24: 4, 32: 2 } }));
  const got = await drain(ini, 1000);
  t.true(got.some((p) => p.opcode === 0x22 && p.itt === 9), 'the abort is answered');
  t.true(got.some((p) => p.opcode === R2T && p.itt === 3), 'write 3 fits beside write 1 and is solicited');
  ini.close();
  await server.close();
});

test.serial('a write gathered in pieces reaches the logical unit byte for byte', async (t) => {
  const { server, port, lu } = await start();
  const { ini } = await login(port, SOLICITED);
  const src = Buffer.from(Array.from({ length: 3 * MiB + 4096 }, (_, i) => (i * 13 + (i >> 10)) & 0xff));
  ini.send(write10(1, 1, src.length));
  for (const r of await drain(ini)) answerR2T(ini, r, src);
  const rsp = (await drain(ini, 1000)).find((p) => p.opcode === RESPONSE);
  t.is(rsp?.bhs[3], 0, 'GOOD');
  t.true(lu.last?.equals(src), 'the data is the data sent');
  t.is(server.dataBudget().allocated, 0, 'and its memory is given back');
  ini.close();
  await server.close();
});
