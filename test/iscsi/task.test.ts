import test from 'ava';
import { defaultParams } from '../../src/iscsi/negotiation.ts';
import type { DataIn, ScsiResponse } from '../../src/iscsi/pdu-serializer.ts';
import type { DataOutPdu } from '../../src/iscsi/pdu.ts';
import { responsePdus, ScsiTask, type Stamp, type TaskInit } from '../../src/iscsi/task.ts';

const base: TaskInit = {
  itt: 1,
  cmdSN: 1,
  immediate: false,
  lun: 0,
  lunField: Buffer.alloc(8),
  cdb: Buffer.from([0x2a]),
  attribute: 'simple',
  read: false,
  write: true,
  expectedLength: 0,
  readLength: 0,
  final: true,
  immediateData: Buffer.alloc(0),
};

const dout = (ttt: number, dataSN: number, offset: number, data: Buffer, final: boolean): DataOutPdu =>
  ({ kind: 'data-out', ttt, dataSN, bufferOffset: offset, data, final, itt: 1 }) as unknown as DataOutPdu;

function stamp(): Stamp & { n: number } {
  const s = { n: 100, statSN: (adv: boolean) => (adv ? s.n++ : s.n), expCmdSN: 5, maxCmdSN: 10 };
  return s;
}

test('immediate data covering the whole transfer is used without a copy', (t) => {
  const data = Buffer.alloc(1024, 7);
  const task = new ScsiTask({ ...base, expectedLength: 1024, immediateData: data }, defaultParams(8192));
  t.is(task.state, 'ready');
  t.is(task.dataOut, data);
});

test('immediate + unsolicited (InitialR2T=No) + R2T bursts gather into one buffer', (t) => {
  const p = { ...defaultParams(8192), initialR2T: false, firstBurstLength: 1024, maxBurstLength: 2048, maxOutstandingR2T: 2 };
  const src = Buffer.from(Array.from({ length: 6144 }, (_, i) => i & 0xff));
  const task = new ScsiTask({ ...base, expectedLength: 6144, final: false, immediateData: src.subarray(0, 512) }, p);
  let ttt = 100;
  t.deepEqual(task.nextR2Ts(p, () => ttt++), [], 'no R2T while the unsolicited burst is open');
  t.is(task.acceptDataOut(dout(0xffffffff, 0, 512, src.subarray(512, 1024), true)).kind, 'progress');
  const r2ts = task.nextR2Ts(p, () => ttt++);
  t.deepEqual(
    r2ts.map((r) => [r.r2tSN, r.offset, r.length]),
    [
      [0, 1024, 2048],
      [1, 3072, 2048],
    ],
    'MaxOutstandingR2T=2 R2Ts of MaxBurstLength',
  );
  t.is(task.acceptDataOut(dout(100, 0, 1024, src.subarray(1024, 2048), false)).kind, 'progress');
  t.is(task.acceptDataOut(dout(100, 1, 2048, src.subarray(2048, 3072), true)).kind, 'progress');
  const more = task.nextR2Ts(p, () => ttt++);
  t.deepEqual(more.map((r) => [r.r2tSN, r.offset, r.length]), [[2, 5120, 1024]]);
  t.is(task.acceptDataOut(dout(101, 0, 3072, src.subarray(3072, 5120), true)).kind, 'progress');
  t.is(task.acceptDataOut(dout(102, 0, 5120, src.subarray(5120), true)).kind, 'complete');
  t.deepEqual(task.dataOut, src);
  t.is(task.r2tCount, 3);
});

test('DataSN, offset and TTT errors are refused with sense (libiscsi iSCSIdatasn)', (t) => {
  const p = { ...defaultParams(8192), initialR2T: true };
  const mk = (): ScsiTask => {
    const task = new ScsiTask({ ...base, expectedLength: 1024 }, p);
    task.nextR2Ts(p, () => 7);
    return task;
  };
  const twoZero = mk();
  t.is(twoZero.acceptDataOut(dout(7, 0, 0, Buffer.alloc(512), false)).kind, 'progress');
  const again = twoZero.acceptDataOut(dout(7, 0, 512, Buffer.alloc(512), true));
  t.true(again.kind === 'protocol-error' && again.sense.asc === 0x4b);
  t.is(mk().acceptDataOut(dout(7, 27, 0, Buffer.alloc(512), false)).kind, 'protocol-error');
  t.is(mk().acceptDataOut(dout(7, 0xffffffff, 0, Buffer.alloc(512), false)).kind, 'protocol-error');
  t.is(mk().acceptDataOut(dout(7, 0, 512, Buffer.alloc(512), false)).kind, 'protocol-error');
  t.is(mk().acceptDataOut(dout(8, 0, 0, Buffer.alloc(512), false)).kind, 'protocol-error');
  t.is(mk().acceptDataOut(dout(0xffffffff, 0, 0, Buffer.alloc(512), false)).kind, 'protocol-error', 'unsolicited with InitialR2T=Yes');
  const failed = mk();
  failed.fail({ key: 0xb, asc: 0x4b, ascq: 0 });
  t.is(failed.state, 'ready');
  t.is(failed.failure?.asc, 0x4b);
});

test('Data-In is cut at MaxRecvDataSegmentLength, sequences at MaxBurstLength, status collapsed', (t) => {
  const p = { ...defaultParams(8192), maxSendDataSegmentLength: 1000, maxBurstLength: 2500 };
  const task = new ScsiTask({ ...base, write: false, read: true, expectedLength: 6000, readLength: 6000 }, p);
  const data = Buffer.alloc(6000, 1);
  const s = stamp();
  const pdus = responsePdus(task, { status: 0, dataIn: data }, p, s);
  const dins = pdus as DataIn[];
  t.deepEqual(
    dins.map((d) => [d.dataSN, d.bufferOffset, d.data.length, d.final, d.status]),
    [
      [0, 0, 1000, false, undefined],
      [1, 1000, 1000, false, undefined],
      [2, 2000, 500, true, undefined],
      [3, 2500, 1000, false, undefined],
      [4, 3500, 1000, false, undefined],
      [5, 4500, 500, true, undefined],
      [6, 5000, 1000, true, 0],
    ],
  );
  t.is(s.n, 101, 'only the status-bearing PDU advances StatSN');
});

test('sense data means a separate SCSI Response, and residual underflow is reported', (t) => {
  const p = defaultParams(8192);
  const task = new ScsiTask({ ...base, write: false, read: true, expectedLength: 512, readLength: 512 }, p);
  const sense = Buffer.alloc(18, 9);
  const pdus = responsePdus(task, { status: 2, dataIn: Buffer.alloc(100), sense }, p, stamp());
  t.is(pdus.length, 2);
  const din = pdus[0] as DataIn;
  t.is(din.status, undefined);
  const rsp = pdus[1] as ScsiResponse;
  t.is(rsp.kind, 'scsi-response');
  t.is(rsp.sense, sense);
  t.deepEqual(rsp.residual, { overflow: false, underflow: true, count: 412 });
  t.is(rsp.expDataSN, 1);
});

test('dataIn longer than expected is truncated with overflow', (t) => {
  const p = defaultParams(8192);
  const task = new ScsiTask({ ...base, write: false, read: true, expectedLength: 100, readLength: 100 }, p);
  const pdus = responsePdus(task, { status: 0, dataIn: Buffer.alloc(512) }, p, stamp());
  const din = pdus[0] as DataIn;
  t.is(pdus.length, 1);
  t.is(din.data.length, 100);
  t.deepEqual(din.residual, { overflow: true, underflow: false, count: 412 });
});

test('write residuals come from dataOutUsed (SPDTL) against EDTL', (t) => {
  const p = defaultParams(8192);
  const task = new ScsiTask({ ...base, expectedLength: 512, immediateData: Buffer.alloc(512) }, p);
  const over = responsePdus(task, { status: 0, dataOutUsed: 1024 }, p, stamp())[0] as ScsiResponse;
  t.deepEqual(over.residual, { overflow: true, underflow: false, count: 512 });
  const under = responsePdus(task, { status: 0, dataOutUsed: 0 }, p, stamp())[0] as ScsiResponse;
  t.deepEqual(under.residual, { overflow: false, underflow: true, count: 512 });
});

test('Data-Out gathered into dataOutView() is accepted in place, and checked like any other', (t) => {
  const p = { ...defaultParams(8192), initialR2T: true, maxBurstLength: 4096, maxOutstandingR2T: 1 };
  const task = new ScsiTask({ ...base, expectedLength: 4096, final: true }, p);
  const [r2t] = task.nextR2Ts(p, () => 7);
  t.deepEqual([r2t!.offset, r2t!.length], [0, 4096]);
  // What the parser would do: gather the data segment straight into the view.
  const first = task.dataOutView(0, 2048)!;
  first.fill(0x11);
  t.is(task.acceptDataOut(dout(7, 0, 0, first, false)).kind, 'progress');
  t.is(task.received, 2048);
  // A view handed out for a PDU whose offset then fails the check: the task fails, nothing is used.
  const wrong = task.dataOutView(3072, 1024)!;
  wrong.fill(0x22);
  const bad = task.acceptDataOut(dout(7, 1, 3072, wrong, true));
  t.is(bad.kind, 'protocol-error');
  task.fail(bad.kind === 'protocol-error' ? bad.sense : { key: 0, asc: 0, ascq: 0 });
  t.is(task.state, 'ready');
  t.truthy(task.failure);
  t.is(task.dataOutView(0, 1), undefined, 'no view once the task stopped receiving');
});

test('dataOutView() refuses a range beyond the expected length', (t) => {
  const p = { ...defaultParams(8192), initialR2T: true };
  const task = new ScsiTask({ ...base, expectedLength: 1024 }, p);
  t.is(task.dataOutView(512, 1024), undefined);
  t.is(task.dataOutView(0, 1024)?.length, 1024);
});
