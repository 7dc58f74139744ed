// Bounded Data-In under initiators that do not read (data-budget.ts,
// scsi-command.ts, pdu-writer.ts): a READ reserves its length before the
// logical unit produces it and holds it until its Data-In left on the socket.
import test from 'ava';
import { IscsiServer } from '../../src/iscsi/server.ts';
import { silentLogger } from '../../src/iscsi/logger.ts';
import type { LogicalUnit, ScsiCommand, ScsiResult } from '../../scsi/command.ts';
import { pdu, scsiCmd, type TestInitiator } from './helpers.ts';
import { answerR2T, DISK, drain, isid, login, SOLICITED, write10 } from './limits-helpers.ts';

const MiB = 1024 * 1024;
const DATA_IN = 0x25;
const RESPONSE = 0x21;
const R2T = 0x31;

/** READ(10) answers every block filled with its LBA's low byte; counts what it produced. */
class PatternLu implements LogicalUnit {
  readonly peripheralType = 0;
  readonly reads: number[] = [];
  writes = 0;
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    if (cmd.cdb[0] === 0x28) {
      const lba = cmd.cdb.readUInt32BE(2);
      const data = Buffer.alloc(cmd.cdb.readUInt16BE(7) * 512);
      for (let i = 0; i < data.length; i += 512) data.fill((lba + i / 512) & 0xff, i, i + 512);
      this.reads.push(lba);
      return { status: 0, dataIn: data };
    }
    if (cmd.cdb[0] === 0x2a) this.writes++;
    return { status: 0 };
  }
  reset(): void {}
  nexusLost(): void {}
  async close(): Promise<void> {}
}

async function start(limits: { maxBufferedPerSession?: number; maxBuffered?: number }) {
  const lu = new PatternLu();
  const server = new IscsiServer({
    listen: { host: '127.0.0.1', port: 0 },
    targets: [{ iqn: DISK, luns: new Map([[0, lu]]) }],
    logger: silentLogger,
    nopIntervalMs: 0,
    limits,
  });
  const { port } = await server.listen();
  return { server, port, lu };
}

function read10(itt: number, cmdSN: number, lba: number, length: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x28;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(length / 512, 7);
  return scsiCmd({ itt, cmdSN, cdb, read: true, edtl: length });
}

const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Read every PDU until `responses` commands have ended; the Data-In of each ITT gathered. */
async function collect(ini: TestInitiator, responses: number): Promise<Map<number, Buffer[]>> {
  const data = new Map<number, Buffer[]>();
  for (let ended = 0; ended < responses; ) {
    const p = await ini.next(5000);
    if (p === undefined) throw new Error(`only ${ended} of ${responses} commands ended`);
    if (p.opcode === DATA_IN) {
      data.set(p.itt, [...(data.get(p.itt) ?? []), p.data]);
      if ((p.flags & 0x01) !== 0) ended++; // status collapsed into the last Data-In
    } else if (p.opcode === RESPONSE) ended++;
  }
  return data;
}

const LOGIN = SOLICITED;

test.serial('reads the initiator does not take off the socket stop at the session budget', async (t) => {
  const { server, port, lu } = await start({ maxBufferedPerSession: 16 * MiB });
  const { ini } = await login(port, LOGIN);
  ini.socket.pause(); // never read
  for (let i = 0; i < 8; i++) ini.send(read10(i + 1, i + 1, i * 16384, 8 * MiB));
  await settle();
  // The kernel's socket buffers take a few MiB, so one more read may have left.
  t.true(lu.reads.length <= 3, `${lu.reads.length} of 8 reads of 8 MiB produced with a 16 MiB session budget`);
  t.true(server.dataBudget().reserved <= 16 * MiB, 'no more reserved than the session budget');
  ini.socket.resume();
  const data = await collect(ini, 8);
  t.is(lu.reads.length, 8, 'all reads ran once the initiator read');
  for (let i = 0; i < 8; i++) {
    const got = Buffer.concat(data.get(i + 1) ?? []);
    t.is(got.length, 8 * MiB);
    t.is(got[0], (i * 16384) & 0xff);
    t.is(got[got.length - 1], (i * 16384 + 16383) & 0xff);
  }
  await settle(50);
  t.is(server.dataBudget().reserved, 0, 'every reservation given back once its Data-In left');
  ini.close();
  await server.close();
});

test.serial('sessions that do not read stay within the target budget, and another session still reads', async (t) => {
  const { server, port, lu } = await start({ maxBufferedPerSession: 16 * MiB, maxBuffered: 24 * MiB });
  const a = await login(port, LOGIN, { isid: isid(1) });
  const b = await login(port, LOGIN, { isid: isid(2) });
  a.ini.socket.pause();
  b.ini.socket.pause();
  for (let i = 0; i < 6; i++) {
    a.ini.send(read10(i + 1, i + 1, 0, 8 * MiB));
    b.ini.send(read10(i + 1, i + 1, 0, 8 * MiB));
  }
  await settle();
  t.true(lu.reads.length <= 5, `${lu.reads.length} of 12 reads of 8 MiB produced with a 24 MiB target budget`);
  t.true(server.dataBudget().reserved <= 24 * MiB);
  // A third session reads small blocks within its floor.
  const c = await login(port, LOGIN, { isid: isid(3) });
  c.ini.send(read10(1, 1, 7, 64 * 1024));
  const got = await collect(c.ini, 1);
  t.is(Buffer.concat(got.get(1) ?? []).length, 64 * 1024, 'a well-behaved session is not starved');
  for (const x of [a, b, c]) x.ini.close();
  await server.close();
});

test.serial('a write behind a waiting read completes once the read is taken; nothing deadlocks', async (t) => {
  const { server, port, lu } = await start({ maxBufferedPerSession: 16 * MiB });
  const { ini } = await login(port, LOGIN);
  ini.socket.pause();
  ini.send(read10(1, 1, 0, 8 * MiB));
  ini.send(read10(2, 2, 0, 8 * MiB));
  ini.send(read10(3, 3, 0, 8 * MiB));
  ini.send(write10(4, 4, 4 * MiB));
  await settle();
  ini.socket.resume();
  await collect(ini, 3);
  const r2ts = (await drain(ini, 500)).filter((p) => p.opcode === R2T);
  t.true(r2ts.length > 0, 'then the write is solicited');
  for (const r of r2ts) answerR2T(ini, r);
  const rsp = await drain(ini, 1000);
  t.is(rsp.filter((p) => p.opcode === RESPONSE && p.itt === 4).length, 1, 'and completes');
  t.is(lu.writes, 1);
  t.is(server.dataBudget().reserved, 0);
  ini.close();
  await server.close();
});

test.serial('a connection that drops with Data-In unsent gives its reservation back', async (t) => {
  const { server, port } = await start({ maxBufferedPerSession: 16 * MiB });
  const { ini } = await login(port, LOGIN);
  ini.socket.pause();
  for (let i = 0; i < 4; i++) ini.send(read10(i + 1, i + 1, 0, 8 * MiB));
  await settle();
  t.true(server.dataBudget().reserved > 0, 'the unread Data-In holds budget');
  ini.socket.destroy();
  await settle(300);
  t.is(server.dataBudget().reserved, 0, 'all of it back when the connection is gone');
  await server.close();
});

test.serial('NOP-In echoes for a peer that does not read stop at the output high water: the input pauses', async (t) => {
  const { server, port } = await start({});
  const { ini } = await login(port, LOGIN);
  ini.socket.pause();
  const ping = Buffer.alloc(64 * 1024, 0x6e);
  const count = 512; // 32 MiB of echoes
  for (let i = 0; i < count; i++) ini.send(pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: i + 1, u32: { 20: 0xffffffff, 24: 1 }, data: ping }));
  await settle();
  const queued = server.queuedOutput();
  t.true(queued < 4 * MiB, `${(queued / MiB).toFixed(1)} MiB of NOP-In queued for a peer that reads nothing`);
  ini.socket.resume();
  let echoes = 0;
  for (let p = await ini.next(2000); p !== undefined; p = await ini.next(2000)) if (p.opcode === 0x20 && p.data.length === ping.length) echoes++;
  t.is(echoes, count, 'every ping is answered once the peer reads');
  ini.close();
  await server.close();
});
