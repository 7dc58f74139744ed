import test from 'ava';
import { crc32c } from '../../src/iscsi/crc32c.ts';
import { encodePdu, frame, NO_RESIDUAL, type TargetPdu } from '../../src/iscsi/pdu-serializer.ts';

const seq = { statSN: 0x11, expCmdSN: 0x22, maxCmdSN: 0x33 };
const lun = Buffer.from([0, 3, 0, 0, 0, 0, 0, 0]);

// [pdu, opcode, byte 1, extra checks]
const cases: [TargetPdu, number, number, (h: Buffer, d: Buffer | undefined) => boolean][] = [
  [
    { kind: 'login-response', transit: true, continue: false, csg: 1, nsg: 3, isid: '400001370000', tsih: 9, itt: 1, status: 0x0201, data: Buffer.from('a=b\0'), ...seq },
    0x23,
    0x87,
    (h, d) => h.toString('hex', 8, 14) === '400001370000' && h.readUInt16BE(14) === 9 && h[36] === 2 && h[37] === 1 && d!.toString() === 'a=b\0',
  ],
  [
    { kind: 'text-response', final: true, continue: false, lun: undefined, itt: 2, ttt: 0xffffffff, data: Buffer.from('x=y\0'), ...seq },
    0x24,
    0x80,
    (h) => h.readUInt32BE(20) === 0xffffffff,
  ],
  [
    { kind: 'scsi-response', itt: 3, response: 0, status: 2, residual: { overflow: false, underflow: true, count: 100 }, expDataSN: 4, sense: Buffer.alloc(18, 7), ...seq },
    0x21,
    0x82,
    (h, d) => h[3] === 2 && h.readUInt32BE(36) === 4 && h.readUInt32BE(44) === 100 && d!.readUInt16BE(0) === 18 && d!.length === 20,
  ],
  [
    { kind: 'data-in', final: true, status: 0, residual: { overflow: true, underflow: false, count: 5 }, lun, itt: 4, dataSN: 2, bufferOffset: 4096, data: Buffer.alloc(10), ...seq },
    0x25,
    0x85,
    (h) => h.readUInt32BE(24) === 0x11 && h.readUInt32BE(36) === 2 && h.readUInt32BE(40) === 4096 && h.readUInt32BE(44) === 5 && h[9] === 3,
  ],
  [
    { kind: 'data-in', final: false, status: undefined, residual: NO_RESIDUAL, lun, itt: 4, dataSN: 0, bufferOffset: 0, data: Buffer.alloc(4), ...seq },
    0x25,
    0x00,
    (h) => h.readUInt32BE(24) === 0 && h.readUInt32BE(20) === 0xffffffff,
  ],
  [
    { kind: 'r2t', lun, itt: 5, ttt: 77, r2tSN: 1, bufferOffset: 8192, desiredLength: 65536, ...seq },
    0x31,
    0x80,
    (h, d) => h.readUInt32BE(20) === 77 && h.readUInt32BE(36) === 1 && h.readUInt32BE(40) === 8192 && h.readUInt32BE(44) === 65536 && d === undefined,
  ],
  [
    { kind: 'nop-in', lun: undefined, itt: 0xffffffff, ttt: 12, data: undefined, ...seq },
    0x20,
    0x80,
    (h) => h.readUInt32BE(16) === 0xffffffff && h.readUInt32BE(20) === 12,
  ],
  [{ kind: 'task-mgmt-response', response: 5, itt: 6, ...seq }, 0x22, 0x80, (h) => h[2] === 5],
  [
    { kind: 'logout-response', response: 0, itt: 7, time2Wait: 2, time2Retain: 20, ...seq },
    0x26,
    0x80,
    (h) => h.readUInt16BE(40) === 2 && h.readUInt16BE(42) === 20,
  ],
  [
    { kind: 'reject', reason: 4, dataSN: 0, header: Buffer.alloc(48, 0xee), ...seq },
    0x3f,
    0x80,
    (h, d) => h[2] === 4 && h.readUInt32BE(16) === 0xffffffff && d!.length === 48,
  ],
  [
    { kind: 'async-message', lun, event: 1, vcode: 0, parameter1: 0, parameter2: 3, parameter3: 0, data: undefined, ...seq },
    0x32,
    0x80,
    (h) => h[36] === 1 && h.readUInt16BE(40) === 3 && h.readUInt32BE(16) === 0xffffffff,
  ],
];

for (const [i, [p, opcode, b1, check]] of cases.entries()) {
  test(`${p.kind} #${i} encodes opcode, flags, sequence numbers and fields`, (t) => {
    const { header, data } = encodePdu(p);
    t.is(header.length, 48);
    t.is(header[0], opcode);
    t.is(header[1], b1);
    t.is(header.readUIntBE(5, 3), data?.length ?? 0);
    if (p.kind !== 'data-in' || p.status !== undefined) t.is(header.readUInt32BE(24), 0x11);
    t.is(header.readUInt32BE(28), 0x22);
    t.is(header.readUInt32BE(32), 0x33);
    t.true(check(header, data));
  });
}

test('frame pads data to 4 bytes and appends CRC32C digests without copying data', (t) => {
  const data = Buffer.from('hello');
  const enc = encodePdu({ kind: 'nop-in', lun: undefined, itt: 1, ttt: 0xffffffff, data, ...seq });
  const parts = frame(enc, true, true);
  t.is(parts[0], enc.header);
  t.is(parts[1]!.readUInt32LE(0), crc32c(enc.header));
  t.is(parts[2], data);
  t.is(parts[3]!.length, 3);
  t.is(parts[4]!.readUInt32LE(0), crc32c(Buffer.from('hello\0\0\0')));
  t.is(frame(encodePdu({ kind: 'task-mgmt-response', response: 0, itt: 1, ...seq }), false, true).length, 1, 'no data, no data digest');
});
