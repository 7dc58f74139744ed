// End to end over 127.0.0.1 against a fake in-test logical unit.
import test from 'ava';
import { IscsiServer } from '../../src/iscsi/server.ts';
import { silentLogger } from '../../src/iscsi/logger.ts';
import type { LogicalUnit, Nexus, ScsiCommand, ScsiResult } from '../../scsi/command.ts';
import { dataOut, ISID, loginPdu, parseTextData, pdu, scsiCmd, TestInitiator, text, type InPdu } from './helpers.ts';

class FakeLu implements LogicalUnit {
  readonly peripheralType = 0;
  readonly store = Buffer.alloc(64 * 1024);
  readonly commands: ScsiCommand[] = [];
  readonly lost: Nexus[] = [];
  resets = 0;
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    this.commands.push(cmd);
    switch (cmd.cdb[0]) {
      case 0x12: // INQUIRY: 96 bytes
        return { status: 0, dataIn: Buffer.alloc(96, 0x49) };
      case 0x28: {
        const lba = cmd.cdb.readUInt32BE(2);
        const n = cmd.cdb.readUInt16BE(7);
        return { status: 0, dataIn: this.store.subarray(lba * 512, (lba + n) * 512) };
      }
      case 0x2a: {
        const lba = cmd.cdb.readUInt32BE(2);
        cmd.dataOut!.copy(this.store, lba * 512);
        return { status: 0, dataOutUsed: cmd.cdb.readUInt16BE(7) * 512 };
      }
      case 0x00:
        return { status: 0 };
      default: {
        const sense = Buffer.alloc(18);
        sense[0] = 0x70;
        sense[2] = 5;
        sense[12] = 0x20;
        return { status: 2, sense };
      }
    }
  }
  reset(): void {
    this.resets++;
  }
  nexusLost(n: Nexus): void {
    this.lost.push(n);
  }
  async close(): Promise<void> {}
}

const DISK = 'iqn.2024-01.test:disk';
const TAPE = 'iqn.2024-01.test:tape';

async function start(opts: Partial<ConstructorParameters<typeof IscsiServer>[0]> = {}) {
  const lu = new FakeLu();
  const server = new IscsiServer({
    listen: { host: '127.0.0.1', port: 0 },
    targets: [
      { iqn: DISK, luns: new Map([[0, lu]]) },
      { iqn: TAPE, tpgt: 2, luns: new Map(), allowedInitiators: ['iqn.someone-else'] },
    ],
    logger: silentLogger,
    nopIntervalMs: 0,
    ...opts,
  });
  const { port } = await server.listen();
  return { server, port, lu };
}

async function login(
  port: number,
  keys: [string, string][],
  opts: { isid?: Buffer } = {},
): Promise<{ ini: TestInitiator; rsp: InPdu; params: Map<string, string> }> {
  const ini = await TestInitiator.open(port);
  ini.send(loginPdu({ transit: true, csg: 1, nsg: 3, cmdSN: 1, isid: opts.isid, data: text([['InitiatorName', 'iqn.2024-01.test:ini'], ...keys]) }));
  const rsp = (await ini.next())!;
  const params = parseTextData(rsp.data);
  ini.headerDigest = params.get('HeaderDigest') === 'CRC32C';
  ini.dataDigest = params.get('DataDigest') === 'CRC32C';
  return { ini, rsp, params };
}

const cdb10 = (op: number, lba: number, blocks: number): Buffer => {
  const c = Buffer.alloc(10);
  c[0] = op;
  c.writeUInt32BE(lba, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
};

test('discovery: SendTargets=All lists visible targets with their portal; bad values are rejected', async (t) => {
  const { server, port } = await start();
  const { ini, rsp } = await login(port, [['SessionType', 'Discovery']]);
  t.is(rsp.opcode, 0x23);
  t.is(rsp.bhs.readUInt16BE(36), 0, 'login succeeded');
  t.not(rsp.bhs.readUInt16BE(14), 0, 'TSIH assigned');
  ini.send(pdu({ opcode: 0x04, immediate: true, flags: 0x80, itt: 5, u32: { 20: 0xffffffff, 24: 1 }, data: text({ SendTargets: 'All' }) }));
  const st = (await ini.next())!;
  t.is(st.opcode, 0x24);
  t.is(st.flags, 0x80);
  t.is(st.data.toString(), `TargetName=${DISK}\0TargetAddress=127.0.0.1:${port},1\0`, 'the tape target is hidden by its allow-list');
  ini.send(pdu({ opcode: 0x04, immediate: true, flags: 0x80, itt: 6, u32: { 20: 0xffffffff, 24: 1 }, data: text({ SendTargets: 'Alle', SendTargetsPlease: 'All' }) }));
  const bad = (await ini.next())!;
  t.is(bad.data.toString(), 'SendTargets=Reject\0SendTargetsPlease=NotUnderstood\0');
  ini.send(pdu({ opcode: 0x01, flags: 0x81, itt: 7, u32: { 24: 1 } }));
  const rej = (await ini.next())!;
  t.is(rej.opcode, 0x3f, 'SCSI commands are rejected in a discovery session');
  ini.send(pdu({ opcode: 0x06, immediate: true, flags: 0x80, itt: 8, u32: { 24: 1 } }));
  const lo = (await ini.next())!;
  t.is(lo.opcode, 0x26);
  t.is(lo.bhs[2], 0);
  t.is(await ini.next(), undefined, 'connection closed after logout');
  await server.close();
});

test('login failures: unknown target 02/03, not allowed 02/02', async (t) => {
  const { server, port } = await start();
  const a = await login(port, [['TargetName', 'iqn.nope']]);
  t.is(a.rsp.bhs.readUInt16BE(36), 0x0203);
  t.is(await a.ini.next(), undefined);
  const b = await login(port, [['TargetName', TAPE]]);
  t.is(b.rsp.bhs.readUInt16BE(36), 0x0202);
  await server.close();
});

for (const digests of [false, true]) {
  test(`full feature phase ${digests ? 'with' : 'without'} CRC32C digests: read split, R2T write, NOP, TMF, logout`, async (t) => {
    const { server, port, lu } = await start({ negotiation: { maxRecvDataSegmentLength: 4096 } });
    const dg = digests ? 'CRC32C' : 'None';
    const { ini, rsp, params } = await login(port, [
      ['TargetName', DISK],
      ['HeaderDigest', dg],
      ['DataDigest', dg],
      ['MaxRecvDataSegmentLength', '1024'],
      ['InitialR2T', 'Yes'],
      ['ImmediateData', 'No'],
      ['MaxBurstLength', '2048'],
    ]);
    t.is(rsp.bhs.readUInt16BE(36), 0);
    t.is(params.get('TargetPortalGroupTag'), '1');
    t.is(params.get('MaxRecvDataSegmentLength'), '4096');
    const d = { header: digests, data: digests };
    let statSN = rsp.statSN + 1;

    // INQUIRY with 96 bytes of data in at most 1024-byte PDUs: one Data-In with status.
    ini.send(scsiCmd({ itt: 1, cmdSN: 1, cdb: Buffer.from([0x12, 0, 0, 0, 96, 0]), read: true, edtl: 255 }, d));
    const inq = (await ini.next())!;
    t.is(inq.opcode, 0x25);
    t.is(inq.flags & 0x81, 0x81, 'F and S');
    t.is(inq.flags & 0x02, 0x02, 'underflow');
    t.is(inq.bhs.readUInt32BE(44), 255 - 96);
    t.is(inq.statSN, statSN++);

    // WRITE(10) of 6 blocks: R2Ts of MaxBurstLength (MaxOutstandingR2T 1).
    const payload = Buffer.from(Array.from({ length: 3072 }, (_, i) => (i * 7) & 0xff));
    ini.send(scsiCmd({ itt: 2, cmdSN: 2, cdb: cdb10(0x2a, 4, 6), write: true, edtl: 3072 }, d));
    for (let offset = 0; offset < 3072; ) {
      const r2t = (await ini.next())!;
      t.is(r2t.opcode, 0x31);
      t.is(r2t.bhs.readUInt32BE(40), offset);
      const len = r2t.bhs.readUInt32BE(44);
      const ttt = r2t.bhs.readUInt32BE(20);
      for (let o = 0, sn = 0; o < len; o += 1024, sn++) {
        const n = Math.min(1024, len - o);
        ini.send(dataOut({ itt: 2, ttt, dataSN: sn, offset: offset + o, final: o + n === len, data: payload.subarray(offset + o, offset + o + n) }, d));
      }
      offset += len;
    }
    const wr = (await ini.next())!;
    t.is(wr.opcode, 0x21);
    t.is(wr.bhs[3], 0);
    t.is(wr.bhs.readUInt32BE(36), 2, 'ExpDataSN = R2Ts sent');
    t.deepEqual(lu.store.subarray(2048, 2048 + 3072), payload);

    // READ(10) of 6 blocks: Data-In at 1024 bytes, F every MaxBurstLength (2048).
    ini.send(scsiCmd({ itt: 3, cmdSN: 3, cdb: cdb10(0x28, 4, 6), read: true, edtl: 3072 }, d));
    const got: Buffer[] = [];
    const flags: number[] = [];
    for (;;) {
      const p = (await ini.next())!;
      t.is(p.opcode, 0x25);
      got.push(p.data);
      flags.push(p.flags);
      if (p.flags & 0x01) break;
    }
    t.deepEqual(Buffer.concat(got), payload);
    t.deepEqual(flags, [0x00, 0x80, 0x81], "1024-byte PDUs, F at each 2048-byte burst");

    // Unsupported opcode: CHECK CONDITION with a 2-byte SenseLength prefix.
    ini.send(scsiCmd({ itt: 4, cmdSN: 4, cdb: Buffer.from([0xee]), edtl: 0 }, d));
    const cc = (await ini.next())!;
    t.is(cc.bhs[3], 2);
    t.is(cc.data.readUInt16BE(0), 18);
    t.is(cc.data[2 + 12], 0x20);

    // NOP-Out ping echoes its data.
    ini.send(pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 5, u32: { 20: 0xffffffff, 24: 5 }, data: Buffer.from('nopping\0') }, d));
    const nop = (await ini.next())!;
    t.is(nop.opcode, 0x20);
    t.is(nop.itt, 5);
    t.is(nop.data.toString(), 'nopping\0');

    // LUN RESET reaches the logical unit.
    ini.send(pdu({ opcode: 0x02, immediate: true, flags: 0x85, itt: 6, u32: { 20: 0xffffffff, 24: 5 } }, d));
    const tmf = (await ini.next())!;
    t.is(tmf.opcode, 0x22);
    t.is(tmf.bhs[2], 0);
    t.is(lu.resets, 1);
    // ABORT TASK for a finished task: task does not exist.
    ini.send(pdu({ opcode: 0x02, immediate: true, flags: 0x81, itt: 7, u32: { 20: 3, 24: 5, 32: 3 } }, d));
    t.is((await ini.next())!.bhs[2], 1);
    // CLEAR ACA: not supported.
    ini.send(pdu({ opcode: 0x02, immediate: true, flags: 0x83, itt: 8, u32: { 20: 0xffffffff, 24: 5 } }, d));
    t.is((await ini.next())!.bhs[2], 5);

    // Logout closes the session: the LU hears of the nexus loss.
    ini.send(pdu({ opcode: 0x06, immediate: true, flags: 0x80, itt: 9, u32: { 24: 5 } }, d));
    const lo = (await ini.next())!;
    t.is(lo.opcode, 0x26);
    t.is(await ini.next(), undefined);
    t.is(lu.lost.length, 1);
    t.is(lu.lost[0]!.initiatorPort, `iqn.2024-01.test:ini,i,0x${ISID.toString('hex')}`);
    t.is(lu.lost[0]!.targetPort, `${DISK},t,0x0001`);
    await server.close();
  });
}

test('immediate and unsolicited data with InitialR2T=No, then R2T for the rest', async (t) => {
  const { server, port, lu } = await start();
  const { ini } = await login(port, [['TargetName', DISK], ['InitialR2T', 'No'], ['FirstBurstLength', '1024'], ['MaxRecvDataSegmentLength', '65536']]);
  const payload = Buffer.alloc(2048, 0xab);
  ini.send(scsiCmd({ itt: 1, cmdSN: 1, cdb: cdb10(0x2a, 0, 4), write: true, final: false, edtl: 2048, data: payload.subarray(0, 512) }));
  ini.send(dataOut({ itt: 1, ttt: 0xffffffff, dataSN: 0, offset: 512, final: true, data: payload.subarray(512, 1024) }));
  const r2t = (await ini.next())!;
  t.is(r2t.opcode, 0x31);
  t.is(r2t.bhs.readUInt32BE(40), 1024);
  t.is(r2t.bhs.readUInt32BE(44), 1024);
  ini.send(dataOut({ itt: 1, ttt: r2t.bhs.readUInt32BE(20), dataSN: 0, offset: 1024, final: true, data: payload.subarray(1024) }));
  const rsp = (await ini.next())!;
  t.is(rsp.opcode, 0x21);
  t.is(rsp.bhs[3], 0);
  t.deepEqual(lu.store.subarray(0, 2048), payload);
  ini.close();
  await server.close();
});

test('CmdSN outside the window is silently ignored; the next in-window command works', async (t) => {
  const { server, port } = await start({ queueDepth: 8 });
  const { ini, rsp } = await login(port, [['TargetName', DISK]]);
  const max = rsp.bhs.readUInt32BE(32);
  ini.send(scsiCmd({ itt: 1, cmdSN: max + 1, cdb: Buffer.from([0]), edtl: 0 }));
  t.is(await ini.next(300), undefined);
  ini.send(scsiCmd({ itt: 2, cmdSN: 0, cdb: Buffer.from([0]), edtl: 0 }));
  t.is(await ini.next(300), undefined);
  ini.send(scsiCmd({ itt: 3, cmdSN: 1, cdb: Buffer.from([0]), edtl: 0 }));
  const ok = (await ini.next())!;
  t.is(ok.itt, 3);
  t.is(ok.bhs.readUInt32BE(28), 2, 'ExpCmdSN advanced');
  ini.close();
  await server.close();
});

test('digest errors: data digest → Reject and CHECK CONDITION; header digest → connection dropped', async (t) => {
  const { server, port, lu } = await start();
  const { ini } = await login(port, [['TargetName', DISK], ['HeaderDigest', 'CRC32C'], ['DataDigest', 'CRC32C'], ['ImmediateData', 'No']]);
  const d = { header: true, data: true };
  ini.send(scsiCmd({ itt: 1, cmdSN: 1, cdb: cdb10(0x2a, 0, 1), write: true, edtl: 512 }, d));
  const r2t = (await ini.next())!;
  const bad = dataOut({ itt: 1, ttt: r2t.bhs.readUInt32BE(20), dataSN: 0, offset: 0, final: true, data: Buffer.alloc(512, 1) }, d);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
  ini.send(bad);
  const rej = (await ini.next())!;
  t.is(rej.opcode, 0x3f);
  t.is(rej.bhs[2], 0x02);
  const rsp = (await ini.next())!;
  t.is(rsp.opcode, 0x21);
  t.is(rsp.bhs[3], 2);
  t.is(lu.commands.filter((c) => c.cdb[0] === 0x2a).length, 0, 'nothing reached the medium');
  const hdr = pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 2, u32: { 20: 0xffffffff, 24: 2 } }, d);
  hdr[50] = hdr[50]! ^ 0xff;
  ini.send(hdr);
  t.is(await ini.next(), undefined);
  t.true(ini.closed);
  await server.close();
});

test('an unknown opcode gets a Reject and the connection stays', async (t) => {
  const { server, port } = await start();
  const { ini } = await login(port, [['TargetName', DISK]]);
  ini.send(pdu({ opcode: 0x1e, flags: 0x80, itt: 9 }));
  const rej = (await ini.next())!;
  t.is(rej.opcode, 0x3f);
  t.is(rej.bhs[2], 0x05);
  t.is(rej.data.readUInt32BE(16), 9, 'the rejected header comes back');
  ini.send(scsiCmd({ itt: 3, cmdSN: 1, cdb: Buffer.from([0]), edtl: 0 }));
  t.is((await ini.next())!.opcode, 0x21);
  ini.close();
  await server.close();
});

test('target NOP-In pings an idle connection and drops it when unanswered', async (t) => {
  const { server, port } = await start({ nopIntervalMs: 100, nopTimeoutMs: 300 });
  const { ini } = await login(port, [['TargetName', DISK]]);
  // Generous waits: next() returns as soon as a PDU arrives or the connection closes,
  // and a loaded CI machine can delay timers by seconds.
  const ping = (await ini.next(10_000))!;
  t.is(ping.opcode, 0x20);
  t.is(ping.itt, 0xffffffff);
  const ttt = ping.bhs.readUInt32BE(20);
  t.not(ttt, 0xffffffff);
  ini.send(pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 0xffffffff, u32: { 20: ttt, 24: 1 } }));
  const again = (await ini.next(10_000))!;
  t.is(again.opcode, 0x20, 'pinged again after the next idle interval');
  t.is(await ini.next(15_000), undefined);
  t.true(ini.closed, 'dropped after the unanswered ping');
  await server.close();
});

test('a second login with the same InitiatorName and ISID reinstates the session', async (t) => {
  const { server, port, lu } = await start();
  const first = await login(port, [['TargetName', DISK]]);
  const second = await login(port, [['TargetName', DISK]]);
  t.is(second.rsp.bhs.readUInt16BE(36), 0);
  t.is(await first.ini.next(10_000), undefined);
  t.true(first.ini.closed);
  t.is(lu.lost.length, 1);
  const other = await login(port, [['TargetName', DISK]], { isid: Buffer.from('400001370001', 'hex') });
  t.is(other.rsp.bhs.readUInt16BE(36), 0);
  t.is(server.sessions().length, 2, 'different ISIDs are different sessions');
  second.ini.close();
  other.ini.close();
  await server.close();
});

test('a login naming an unknown TSIH is 02/0A', async (t) => {
  const { server, port } = await start();
  const ini = await TestInitiator.open(port);
  ini.send(loginPdu({ transit: true, csg: 1, nsg: 3, tsih: 77, data: text([['InitiatorName', 'iqn.x'], ['TargetName', DISK]]) }));
  const rsp = (await ini.next())!;
  t.is(rsp.bhs.readUInt16BE(36), 0x020a);
  await server.close();
});
