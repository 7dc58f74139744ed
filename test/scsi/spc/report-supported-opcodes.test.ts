import test from 'ava';
import { readyDisk, run } from './fixture.ts';

const rsoc = (rctd: boolean, options: number, op = 0, sa = 0) =>
  [0xa3, 0x0c, (rctd ? 0x80 : 0) | options, op, sa >> 8, sa & 0xff, 0, 0, 0xff, 0xff, 0, 0];

test('all commands: one 8-byte descriptor per command, SERVACTV on service actions', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, rsoc(false, 0))).dataIn ?? Buffer.alloc(0);
  const n = d.readUInt32BE(0) / 8;
  const descs = Array.from({ length: n }, (_, i) => d.subarray(4 + 8 * i, 12 + 8 * i));
  const rc16 = descs.find((x) => x[0] === 0x9e && x.readUInt16BE(2) === 0x10);
  // Verify that READ CAPACITY(16) is listed with SERVACTV and CDB length 16.
  t.deepEqual([rc16?.[5], rc16?.readUInt16BE(6)], [0x01, 16]);
  // Verify that no descriptor without SERVACTV has a service action.
  t.true(descs.every((x) => (x[5] ?? 0) & 1 || x.readUInt16BE(2) === 0));
});

test('RCTD adds a timeouts descriptor of length 0Ah to every command', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, rsoc(true, 0))).dataIn ?? Buffer.alloc(0);
  // Verify the first descriptor has CTDP and its timeouts descriptor length.
  t.deepEqual([(d[9] ?? 0) & 2, d.readUInt16BE(12)], [2, 0x0a]);
  // Verify that the list length is a multiple of 20.
  t.is(d.readUInt32BE(0) % 20, 0);
});

test('one command: usage data starts with the opcode and shows DPO/FUA', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, rsoc(false, 1, 0x28))).dataIn ?? Buffer.alloc(0);
  // Verify SUPPORT 011b and CDB SIZE 10.
  t.deepEqual([d[1], d.readUInt16BE(2)], [3, 10]);
  // Verify CDB USAGE DATA byte 0 is the opcode and byte 1 has DPO and FUA.
  t.deepEqual([d[4], (d[5] ?? 0) & 0x18], [0x28, 0x18]);
});

test('reporting options 001b on a service-action opcode is invalid, 010b works', async (t) => {
  const { disk } = await readyDisk();
  // Verify 5/24/00 for 001b with 9Eh.
  t.is((await run(disk, rsoc(false, 1, 0x9e, 0x10))).asc, 0x24);
  const d = (await run(disk, rsoc(false, 2, 0x9e, 0x10))).dataIn ?? Buffer.alloc(0);
  // Verify 010b returns READ CAPACITY(16) usage data.
  t.deepEqual([d[4], d[5]], [0x9e, 0x10]);
  // Verify 010b on an opcode without service actions is invalid.
  t.is((await run(disk, rsoc(false, 2, 0x28))).asc, 0x24);
});

test('an unsupported opcode reports SUPPORT 001b', async (t) => {
  const { disk } = await readyDisk();
  const d = (await run(disk, rsoc(false, 1, 0xc5))).dataIn ?? Buffer.alloc(0);
  // Verify SUPPORT = 1.
  t.is((d[1] ?? 0) & 7, 1);
});
