import test from 'ava';
import { silentLogger } from '../../src/iscsi/logger.ts';
import { defaultParams } from '../../src/iscsi/negotiation.ts';
import { Session, snLess } from '../../src/iscsi/session.ts';
import { ScsiTask } from '../../src/iscsi/task.ts';
import type { LogicalUnit, ScsiCommand, ScsiResult } from '../../scsi/command.ts';

function session(lu?: LogicalUnit, done: (itt: number, r: ScsiResult) => void = () => {}): Session {
  return new Session({
    tsih: 1,
    isid: '400001370000',
    initiatorName: 'iqn.i',
    sessionType: 'Normal',
    target: { iqn: 'iqn.t', luns: new Map(lu ? [[0, lu]] : []) },
    nexus: { initiatorPort: 'iqn.i,i,0x400001370000', initiatorName: 'iqn.i', isid: '400001370000', targetPort: 'iqn.t,t,0x0001', relativeTargetPortId: 1 },
    params: defaultParams(8192),
    cmdSN: 10,
    queueDepth: 4,
    logger: silentLogger,
    complete: (task, r) => done(task.itt, r),
  });
}

test('serial number arithmetic wraps (RFC 1982)', (t) => {
  t.true(snLess(0xffffffff, 0));
  t.true(snLess(1, 2));
  t.false(snLess(2, 2));
});

test('CmdSN window: in order runs, ahead waits, outside is ignored', (t) => {
  const s = session();
  const ran: number[] = [];
  t.is(s.maxCmdSN, 13);
  t.is(s.admit(10, false, () => ran.push(10)), 'run');
  t.is(s.admit(12, false, () => ran.push(12)), 'held');
  t.is(s.admit(9, false, () => ran.push(9)), 'ignored', 'below ExpCmdSN');
  t.is(s.admit(15, false, () => ran.push(15)), 'ignored', 'above MaxCmdSN');
  t.is(s.admit(11, false, () => ran.push(11)), 'run');
  t.deepEqual(ran, [10, 11, 12]);
  t.is(s.expCmdSN, 13);
  t.is(s.admit(99, true, () => ran.push(99)), 'run', 'immediate commands are not windowed');
  t.is(s.expCmdSN, 13);
});

test('commands reach the logical unit in CmdSN order even when data arrives out of order', async (t) => {
  const seen: number[] = [];
  const lu: LogicalUnit = {
    peripheralType: 1,
    execute: async (cmd: ScsiCommand) => {
      seen.push(cmd.cdb[1]!);
      return { status: 0 };
    },
    reset() {},
    nexusLost() {},
    close: async () => {},
  };
  const s = session(lu);
  const p = { ...defaultParams(8192), initialR2T: true };
  const write = new ScsiTask(
    { itt: 1, cmdSN: 10, immediate: false, lun: 0, lunField: Buffer.alloc(8), cdb: Buffer.from([0x0a, 1]), attribute: 'simple', read: false, write: true, expectedLength: 512, readLength: 0, final: true, immediateData: Buffer.alloc(0) },
    p,
  );
  const read = new ScsiTask(
    { itt: 2, cmdSN: 11, immediate: false, lun: 0, lunField: Buffer.alloc(8), cdb: Buffer.from([0x08, 2]), attribute: 'simple', read: true, write: false, expectedLength: 512, readLength: 512, final: true, immediateData: Buffer.alloc(0) },
    p,
  );
  s.addTask(write);
  s.addTask(read);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(seen, [], 'the read waits for the earlier write');
  write.fail({ key: 0xb, asc: 0x4b, ascq: 0 });
  s.taskReady(write);
  await read.settled;
  t.deepEqual(seen, [2], 'the failed write never reached the LU, then the read ran');
});

test('the window shrinks while tasks are outstanding and never moves back', (t) => {
  const lu: LogicalUnit = { peripheralType: 0, execute: () => new Promise(() => {}), reset() {}, nexusLost() {}, close: async () => {} };
  const s = session(lu);
  const p = defaultParams(8192);
  for (let i = 0; i < 4; i++) {
    s.admit(10 + i, false, () =>
      s.addTask(new ScsiTask({ itt: i, cmdSN: 10 + i, immediate: false, lun: 0, lunField: Buffer.alloc(8), cdb: Buffer.from([0]), attribute: 'simple', read: false, write: false, expectedLength: 0, readLength: 0, final: true, immediateData: Buffer.alloc(0) }, p)),
    );
  }
  t.is(s.expCmdSN, 14);
  t.is(s.maxCmdSN, 13, 'window closed: MaxCmdSN = ExpCmdSN - 1');
  t.is(s.admit(14, false, () => {}), 'ignored');
});
