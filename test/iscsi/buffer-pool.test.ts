import test from 'ava';
import { BufferPool, pooledLength } from '../../src/iscsi/buffer-pool.ts';
import { defaultParams } from '../../src/iscsi/negotiation.ts';
import { ScsiTask, type TaskInit } from '../../src/iscsi/task.ts';

test('a buffer given back is handed out again for the same size class', (t) => {
  const pool = new BufferPool();
  const a = pool.take(256 * 1024);
  t.is(a.length, 256 * 1024);
  pool.give(a.subarray(10, 20)); // any view of it
  t.is(pool.freeBytes, 256 * 1024);
  const b = pool.take(200 * 1024);
  t.is(b.length, 200 * 1024);
  t.is(b.buffer, a.buffer);
  t.is(pool.freeBytes, 0);
});

test('only buffers the pool lent are taken back, and only once', (t) => {
  const pool = new BufferPool();
  pool.give(Buffer.alloc(256 * 1024));
  t.is(pool.freeBytes, 0);
  const a = pool.take(128 * 1024);
  pool.give(a);
  pool.give(a);
  t.is(pool.freeBytes, 128 * 1024);
  t.not(pool.take(128 * 1024).buffer, pool.take(128 * 1024).buffer);
});

test('small and huge lengths are not pooled; idle memory is bounded', (t) => {
  t.false(pooledLength(8192));
  t.true(pooledLength(64 * 1024));
  t.false(pooledLength(64 * 1024 * 1024));
  const pool = new BufferPool(1024 * 1024);
  const bufs = [1, 2, 3, 4, 5].map(() => pool.take(256 * 1024));
  for (const b of bufs) pool.give(b);
  t.is(pool.freeBytes, 1024 * 1024);
  const small = pool.take(100);
  pool.give(small);
  t.is(pool.freeBytes, 1024 * 1024);
});

test('a task gives its Data-Out back on release unless data-in is a view of it', (t) => {
  const init: TaskInit = {
    itt: 1, cmdSN: 1, immediate: false, lun: 0, lunField: Buffer.alloc(8), cdb: Buffer.from([0x0a]), attribute: 'simple',
    read: false, write: true, expectedLength: 256 * 1024, readLength: 0, final: true, immediateData: Buffer.alloc(0),
  };
  const task = new ScsiTask(init, { ...defaultParams(262144), initialR2T: true });
  const data = task.dataOut!;
  t.is(data.length, 256 * 1024);
  task.release(data.subarray(0, 16));
  t.is(task.dataOut!.length, 0); // released: nothing refers to the old memory through the task
  const again = new ScsiTask(init, { ...defaultParams(262144), initialR2T: true });
  t.not(again.dataOut!.buffer, data.buffer); // kept alive by the data-in view, so not reused
});

test('a task signal is created on demand and aborts', (t) => {
  const init: TaskInit = {
    itt: 1, cmdSN: 1, immediate: false, lun: 0, lunField: Buffer.alloc(8), cdb: Buffer.from([0x00]), attribute: 'simple',
    read: false, write: false, expectedLength: 0, readLength: 0, final: true, immediateData: Buffer.alloc(0),
  };
  const task = new ScsiTask(init, defaultParams(262144));
  const signal = task.signal;
  t.false(signal.aborted);
  task.abortNow();
  t.true(signal.aborted);
  const other = new ScsiTask(init, defaultParams(262144));
  other.abortNow();
  t.true(other.signal.aborted);
});
