// LUNs and targets added or removed while the server runs (a CDP point-in-time LUN).
import test from 'ava';
import { IscsiServer } from '../../src/iscsi/server.ts';
import { silentLogger } from '../../src/iscsi/logger.ts';
import { makeDisk } from '../scsi/spc/fixture.ts';
import { ISID, loginPdu, pdu, scsiCmd, TestInitiator, text, type InPdu } from './helpers.ts';

const DISK = 'iqn.2024-01.test:disk';
const PIT = 'iqn.2024-01.test:cdp-pit';

async function loginTo(port: number, target: string): Promise<TestInitiator> {
  const ini = await TestInitiator.open(port);
  ini.send(loginPdu({ transit: true, csg: 1, nsg: 3, cmdSN: 1, isid: ISID, data: text([['InitiatorName', 'iqn.2024-01.test:ini'], ['TargetName', target]]) }));
  const rsp = (await ini.next())!;
  if (rsp.bhs.readUInt16BE(36) !== 0) throw new Error(`login to ${target} failed: ${rsp.bhs.readUInt16BE(36).toString(16)}`);
  return ini;
}

/** Sense key/ASC/ASCQ of a SCSI Response (fixed format, after the 2-byte SenseLength). */
function senseOf(r: InPdu): [number, number, number] | undefined {
  if (r.bhs[3] !== 2) return undefined;
  const s = r.data.subarray(2);
  return [s[2]! & 0x0f, s[12]!, s[13]!];
}

const TUR = Buffer.alloc(6);
const REPORT_LUNS = Buffer.from([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);

test('a LUN added while running raises 3F/0E on the other LUNs and shows in REPORT LUNS; a removed one leaves it', async (t) => {
  const lun0 = makeDisk().disk;
  const server = new IscsiServer({ listen: { host: '127.0.0.1', port: 0 }, targets: [{ iqn: DISK, luns: new Map([[0, lun0]]) }], logger: silentLogger, nopIntervalMs: 0 });
  const { port } = await server.listen();
  const ini = await loginTo(port, DISK);
  let sn = 1;
  const cmd = async (cdb: Buffer, edtl = 0): Promise<InPdu> => {
    ini.send(scsiCmd({ itt: sn, cmdSN: sn++, cdb, read: edtl > 0, edtl }));
    return (await ini.next())!;
  };
  // The power-on unit attention first, then a ready LUN.
  t.deepEqual(senseOf(await cmd(TUR)), [6, 0x29, 0]);
  t.is(senseOf(await cmd(TUR)), undefined);

  server.addLun(DISK, 1, makeDisk().disk);
  // Verify UNIT ATTENTION, REPORTED LUNS DATA HAS CHANGED on LUN 0.
  t.deepEqual(senseOf(await cmd(TUR)), [6, 0x3f, 0x0e]);
  const rl = await cmd(REPORT_LUNS, 256);
  // Verify REPORT LUNS lists LUN 0 and LUN 1 (16 bytes of LUN list).
  t.is(rl.data.readUInt32BE(0), 16);
  t.is(rl.data[8 + 8 + 1], 1);
  t.throws(() => server.addLun(DISK, 1, makeDisk().disk), { message: /in use/ });

  const removed = server.removeLun(DISK, 1);
  t.truthy(removed);
  // Verify the inventory change is reported again, and the LUN is gone from REPORT LUNS.
  t.deepEqual(senseOf(await cmd(TUR)), [6, 0x3f, 0x0e]);
  t.is((await cmd(REPORT_LUNS, 256)).data.readUInt32BE(0), 8);
  ini.socket.destroy();
  await server.close();
});

test('a target added while running is listed by discovery and accepts logins', async (t) => {
  const server = new IscsiServer({ listen: { host: '127.0.0.1', port: 0 }, targets: [{ iqn: DISK, luns: new Map([[0, makeDisk().disk]]) }], logger: silentLogger, nopIntervalMs: 0 });
  const { port } = await server.listen();
  server.addTarget({ iqn: PIT, luns: new Map([[0, makeDisk({ readOnly: true }).disk]]) });
  t.throws(() => server.addTarget({ iqn: PIT, luns: new Map() }), { message: /exists/ });
  const d = await TestInitiator.open(port);
  d.send(loginPdu({ transit: true, csg: 1, nsg: 3, cmdSN: 1, data: text([['InitiatorName', 'iqn.2024-01.test:ini'], ['SessionType', 'Discovery']]) }));
  await d.next();
  d.send(pdu({ opcode: 0x04, immediate: true, flags: 0x80, itt: 5, u32: { 20: 0xffffffff, 24: 1 }, data: text({ SendTargets: 'All' }) }));
  const st = (await d.next())!;
  // Verify both targets are listed.
  t.true(st.data.toString().includes(`TargetName=${PIT}`));
  d.socket.destroy();
  // Verify a login to it succeeds (loginTo throws otherwise).
  const ini = await loginTo(port, PIT);
  t.false(ini.closed);
  ini.socket.destroy();
  await server.close();
});
