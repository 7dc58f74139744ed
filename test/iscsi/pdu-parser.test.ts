import test from 'ava';
import { PduParser, isFramingError } from '../../src/iscsi/pdu-parser.ts';
import { decodePdu, type InitiatorPdu, type RawPdu } from '../../src/iscsi/pdu.ts';
import { dataOut, loginPdu, pdu, scsiCmd, text } from './helpers.ts';

const ahsExtCdb = (() => {
  // Extended CDB AHS: AHSLength = 17 (16 extra CDB bytes + reserved), type 1, padded to 20.
  const a = Buffer.alloc(20);
  a.writeUInt16BE(17, 0);
  a[2] = 1;
  for (let i = 0; i < 16; i++) a[4 + i] = 0xa0 + i;
  return a;
})();

/** One vector per initiator PDU kind. */
const vectors: { name: string; bytes: (d: { header?: boolean; data?: boolean }) => Buffer; check: (p: InitiatorPdu) => boolean }[] = [
  {
    name: 'nop-out with ping data',
    bytes: (d) => pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 7, u32: { 20: 0xffffffff, 24: 5 }, data: Buffer.from('ping!') }, d),
    check: (p) => p.kind === 'nop-out' && p.itt === 7 && p.cmdSN === 5 && p.data.toString() === 'ping!' && p.immediate,
  },
  {
    name: 'scsi-command with immediate data',
    bytes: (d) => scsiCmd({ itt: 9, cmdSN: 3, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0]), write: true, edtl: 512, data: Buffer.alloc(512, 0x5a) }, d),
    check: (p) =>
      p.kind === 'scsi-command' && p.write && !p.read && p.expectedLength === 512 && p.cdb[0] === 0x2a && p.data.length === 512 && p.attribute === 'simple',
  },
  {
    name: 'scsi-command with extended CDB AHS',
    bytes: (d) => pdu({ opcode: 0x01, flags: 0xc1, ahs: ahsExtCdb, itt: 10, u32: { 20: 4096, 24: 4 }, bytes: { 32: Buffer.alloc(16, 0x7f) } }, d),
    check: (p) => p.kind === 'scsi-command' && p.cdb.length === 32 && p.cdb[16] === 0xa0 && p.cdb[31] === 0xaf,
  },
  {
    name: 'task management request',
    bytes: (d) => pdu({ opcode: 0x02, immediate: true, flags: 0x81, itt: 11, u32: { 20: 9, 24: 6, 32: 3 } }, d),
    check: (p) => p.kind === 'task-mgmt' && p.fn === 1 && p.referencedTaskTag === 9 && p.refCmdSN === 3,
  },
  {
    name: 'login request',
    bytes: (d) => (d.header || d.data ? pdu({ opcode: 0x03, immediate: true, flags: 0x87, itt: 1, data: text({ InitiatorName: 'iqn.x' }) }, d) : loginPdu({ transit: true, csg: 1, nsg: 3, data: text({ InitiatorName: 'iqn.x' }) })),
    check: (p) => p.kind === 'login' && p.transit && p.csg === 1 && p.nsg === 3,
  },
  {
    name: 'text request',
    bytes: (d) => pdu({ opcode: 0x04, immediate: true, flags: 0x80, itt: 12, u32: { 20: 0xffffffff, 24: 7 }, data: text({ SendTargets: 'All' }) }, d),
    check: (p) => p.kind === 'text' && p.final && p.ttt === 0xffffffff && p.data.toString() === 'SendTargets=All\0',
  },
  {
    name: 'data-out (odd length, padded)',
    bytes: (d) => dataOut({ itt: 9, ttt: 0x1234, dataSN: 2, offset: 1024, final: true, data: Buffer.alloc(13, 1) }, d),
    check: (p) => p.kind === 'data-out' && p.ttt === 0x1234 && p.dataSN === 2 && p.bufferOffset === 1024 && p.final && p.data.length === 13,
  },
  {
    name: 'logout request',
    bytes: (d) => pdu({ opcode: 0x06, immediate: true, flags: 0x80, itt: 13, u16: { 20: 0 }, u32: { 24: 8 } }, d),
    check: (p) => p.kind === 'logout' && p.reason === 0 && p.cmdSN === 8,
  },
  {
    name: 'snack',
    bytes: (d) => pdu({ opcode: 0x10, flags: 0x80, itt: 14 }, d),
    check: (p) => p.kind === 'snack',
  },
  {
    name: 'unknown opcode',
    bytes: (d) => pdu({ opcode: 0x1c, flags: 0x80, itt: 15 }, d),
    check: (p) => p.kind === 'invalid' && p.reason === 0x05,
  },
];

function parseAll(parts: Buffer[], digests: { header?: boolean; data?: boolean }): InitiatorPdu[] {
  const parser = new PduParser();
  parser.headerDigest = digests.header ?? false;
  parser.dataDigest = digests.data ?? false;
  parser.maxDataSegmentLength = 1 << 20;
  const out: InitiatorPdu[] = [];
  for (const part of parts) {
    parser.push(part);
    for (let r = parser.next(); r !== undefined; r = parser.next()) {
      if (isFramingError(r)) throw new Error(r.detail);
      out.push(decodePdu(r as RawPdu));
    }
  }
  return out;
}

for (const digests of [{}, { header: true, data: true }]) {
  const label = digests.header ? 'with digests' : 'without digests';
  for (const v of vectors) {
    test(`${v.name} parses when split at every byte offset (${label})`, (t) => {
      const bytes = v.bytes(digests);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const got = parseAll([bytes.subarray(0, cut), bytes.subarray(cut)], digests);
        t.is(got.length, 1, `cut at ${cut}`);
        t.true(v.check(got[0]!), `cut at ${cut}`);
        if (got[0]!.raw.dataDigestError) t.fail('data digest error');
      }
    });
  }

  test(`all PDU kinds back to back, fed one byte at a time (${label})`, (t) => {
    const stream = Buffer.concat(vectors.map((v) => v.bytes(digests)));
    const bytes = [...stream].map((b) => Buffer.of(b));
    const got = parseAll(bytes, digests);
    t.is(got.length, vectors.length);
    vectors.forEach((v, i) => t.true(v.check(got[i]!), v.name));
  });
}

test('a PDU inside one chunk is returned without copying its data', (t) => {
  const bytes = scsiCmd({ itt: 1, cmdSN: 1, cdb: Buffer.from([0x2a]), write: true, edtl: 8, data: Buffer.alloc(8, 3) });
  const parser = new PduParser();
  parser.push(bytes);
  const r = parser.next() as RawPdu;
  t.is(r.data.buffer, bytes.buffer);
});

test('a PDU spread over chunks is gathered as the chunks arrive, and the next PDU follows it', (t) => {
  const data = Buffer.alloc(65536 * 3 + 5);
  for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
  const big = scsiCmd({ itt: 1, cmdSN: 1, cdb: Buffer.from([0x2a]), write: true, edtl: data.length, data });
  const next = pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 2 });
  const wire = Buffer.concat([big, next]);
  const parser = new PduParser();
  parser.maxDataSegmentLength = 262144;
  const cuts = [30, 65536, 131072, 196608, wire.length];
  let from = 0;
  const got: RawPdu[] = [];
  for (const cut of cuts) {
    parser.push(wire.subarray(from, cut));
    from = cut;
    // Every byte pushed is accounted for until it leaves as part of a PDU.
    for (let r = parser.next(); r !== undefined; r = parser.next()) got.push(r as RawPdu);
    if (cut < big.length) t.is(parser.buffered, cut);
  }
  t.is(got.length, 2);
  t.true(got[0]!.data.equals(data));
  t.is(got[1]!.bhs.readUInt32BE(16), 2);
  t.is(parser.buffered, 0);
});

test('a header digest mismatch is a sticky framing error', (t) => {
  const bytes = pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 1 }, { header: true });
  bytes[49] = bytes[49]! ^ 0xff;
  const parser = new PduParser();
  parser.headerDigest = true;
  parser.push(bytes);
  const r = parser.next();
  t.true(r !== undefined && isFramingError(r) && r.error === 'header-digest');
  parser.push(pdu({ opcode: 0x00, flags: 0x80 }));
  const again = parser.next();
  t.true(again !== undefined && isFramingError(again));
});

test('a data digest mismatch is reported on the PDU, framing continues', (t) => {
  const bad = dataOut({ itt: 1, ttt: 1, dataSN: 0, offset: 0, final: true, data: Buffer.alloc(8, 1) }, { data: true });
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
  const good = pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 2 }, { data: true });
  const parser = new PduParser();
  parser.dataDigest = true;
  parser.push(Buffer.concat([bad, good]));
  const a = parser.next() as RawPdu;
  const b = parser.next() as RawPdu;
  t.true(a.dataDigestError);
  t.false(b.dataDigestError);
  t.is(b.bhs.readUInt32BE(16), 2);
});

test('a data segment above MaxRecvDataSegmentLength is refused before it is buffered', (t) => {
  const parser = new PduParser();
  parser.maxDataSegmentLength = 8192;
  const big = pdu({ opcode: 0x05, flags: 0x80, itt: 1, data: Buffer.alloc(8196) });
  parser.push(big.subarray(0, 48));
  const r = parser.next();
  t.true(r !== undefined && isFramingError(r) && r.error === 'data-segment-too-long');
  t.is(parser.buffered, 0);
});

test('an invalid task attribute decodes as invalid (Reject), not an exception', (t) => {
  const bytes = pdu({ opcode: 0x01, flags: 0x87, itt: 1 });
  const parser = new PduParser();
  parser.push(bytes);
  const p = decodePdu(parser.next() as RawPdu);
  t.is(p.kind, 'invalid');
});

test('random garbage never throws', (t) => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let round = 0; round < 200; round++) {
    const parser = new PduParser();
    parser.maxDataSegmentLength = 4096;
    const junk = Buffer.from(Array.from({ length: 48 * 4 }, rnd));
    parser.push(junk);
    for (let i = 0; i < 10; i++) {
      const r = parser.next();
      if (r === undefined || isFramingError(r)) break;
      t.notThrows(() => decodePdu(r));
    }
  }
  t.pass();
});

for (const digests of [{}, { header: true, data: true }]) {
  const label = digests.header ? 'with digests' : 'without digests';
  test(`a Data-Out split at every offset is gathered into the data sink's buffer (${label})`, (t) => {
    // 7 data bytes: one pad byte follows, and the data digest covers it.
    const data = Buffer.from('abcdefg');
    const first = dataOut({ itt: 4, ttt: 9, dataSN: 0, offset: 3, final: true, data }, digests);
    const bytes = Buffer.concat([first, pdu({ opcode: 0x00, immediate: true, flags: 0x80, itt: 5 }, digests)]);
    // The sink is asked once the header (and its digest) is in and the PDU spans the cut.
    const sinkFrom = digests.header ? 52 : 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const task = Buffer.alloc(12);
      const parser = new PduParser();
      parser.headerDigest = digests.header ?? false;
      parser.dataDigest = digests.data ?? false;
      parser.dataSink = (bhs, length) => (bhs[0] === 0x05 ? task.subarray(bhs.readUInt32BE(40), bhs.readUInt32BE(40) + length) : undefined);
      const got: RawPdu[] = [];
      for (const part of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
        parser.push(part);
        for (let r = parser.next(); r !== undefined; r = parser.next()) {
          if (isFramingError(r)) return t.fail(`cut at ${cut}: ${r.detail}`);
          got.push(r);
        }
      }
      t.is(got.length, 2, `cut at ${cut}`);
      const d = decodePdu(got[0]!);
      t.true(d.kind === 'data-out' && d.bufferOffset === 3 && d.data.equals(data) && !got[0]!.dataDigestError, `cut at ${cut}`);
      // Only a PDU that spans chunks goes to the sink; then its data is already in the task's buffer.
      if (cut >= sinkFrom && cut < first.length) t.is(task.toString('latin1', 3, 10), 'abcdefg', `cut at ${cut}`);
      t.is(got[1]!.bhs.readUInt32BE(16), 5);
    }
  });
}

test('a data digest mismatch is detected on a PDU gathered into the data sink', (t) => {
  const bad = dataOut({ itt: 1, ttt: 1, dataSN: 0, offset: 0, final: true, data: Buffer.alloc(9, 1) }, { data: true });
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
  const parser = new PduParser();
  parser.dataDigest = true;
  parser.dataSink = (_bhs, length) => Buffer.alloc(length);
  parser.push(bad.subarray(0, 50));
  t.is(parser.next(), undefined);
  parser.push(bad.subarray(50));
  const r = parser.next() as RawPdu;
  t.true(r.dataDigestError);
});

test('with header digests, the data sink is asked only once the header digest has arrived and matches', (t) => {
  const bytes = dataOut({ itt: 4, ttt: 9, dataSN: 0, offset: 0, final: true, data: Buffer.alloc(64, 1) }, { header: true });
  const asked: number[] = [];
  const run = (wire: Buffer, cut: number): void => {
    const parser = new PduParser();
    parser.headerDigest = true;
    parser.dataSink = (_bhs, length) => (asked.push(cut), Buffer.alloc(length));
    parser.push(wire.subarray(0, cut));
    parser.next();
    parser.push(wire.subarray(cut));
    parser.next();
  };
  run(bytes, 40); // BHS incomplete: nothing starts until the rest arrives, header and digest with it
  run(bytes, 50); // BHS in, its digest not yet: gathered into the parser's own buffer
  run(bytes, 60); // header and digest in: the sink is used
  const corrupt = Buffer.from(bytes);
  corrupt[17] = corrupt[17]! ^ 0xff; // ITT damaged: the digest does not match
  run(corrupt, 60);
  t.deepEqual(asked, [40, 60]);
});
