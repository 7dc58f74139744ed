// Our own SSC-4 / SMC-3 conformance suite through a real initiator stack (QEMU's libiscsi +
// Linux sg in the guest): the guest job sends raw CDBs with sg_raw and prints status, raw sense and
// READ POSITION after each; here each aspect is one test over that shared output. Expected values
// are the standard's (SSC-4 READ/SPACE/LOCATE/WRITE, SMC-3 MOVE MEDIUM/READ ELEMENT STATUS), not
// whatever the target answers.
import test from 'ava';
import path from 'node:path';
import { guestRun } from './lib/guest.ts';
import { ROOT, run, WORK } from './lib/util.ts';
import { targetKind } from './lib/target.ts';
import { type Library, startLibrary } from './guest/vtl.ts';

const SLOTS = 20;
const MAIL = 4;
const EW_CAPACITY = 4 * 2 ** 20;
const EW_BLOCK = 256 * 1024; // the guest writes 256 KiB variable blocks until VOLUME OVERFLOW
const cartridges = [
  { prefix: 'S3V', count: 10, media: 'L6', capacity: '8GiB' }, // slots 1..10
  { prefix: 'EW', count: 1, media: 'L6', capacity: '4MiB' }, // slot 11: early warning / overflow
  { prefix: 'WRM', count: 1, media: 'LW', capacity: '64MiB' }, // slot 12: WORM
  { prefix: 'WP', count: 1, media: 'L6', capacity: '64MiB' }, // slot 13: write-protected by `s3vtl tape protect` before the guest runs
];

interface Sense { fmt: number; key: number; asc: number; ascq: number; valid: boolean; info: number; fm: boolean; eom: boolean; ili: boolean }
interface Pos { bop: boolean; eop: boolean; locu: boolean; lolu: boolean; first: number }
interface Line { name: string; rc: number; status: string; n: number; sense?: Sense; rp?: Pos; data: string; raw: string }

const bytes = (hex: string) => Buffer.from(hex.trim() ? hex.trim().split(/\s+/).map((h) => parseInt(h, 16)) : []);

/** Fixed (70h/71h) or descriptor (72h/73h) sense data, SPC-4 4.5. */
export function decodeSense(b: Buffer): Sense | undefined {
  if (b.length < 8) return undefined;
  const code = b[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) {
    return { fmt: code, key: b[2]! & 0x0f, asc: b[12] ?? 0, ascq: b[13] ?? 0, valid: (b[0]! & 0x80) !== 0, info: b.readInt32BE(3),
      fm: (b[2]! & 0x80) !== 0, eom: (b[2]! & 0x40) !== 0, ili: (b[2]! & 0x20) !== 0 };
  }
  const s: Sense = { fmt: code, key: b[1]! & 0x0f, asc: b[2]!, ascq: b[3]!, valid: false, info: 0, fm: false, eom: false, ili: false };
  for (let p = 8; p + 2 <= Math.min(b.length, 8 + b[7]!); p += 2 + b[p + 1]!) {
    if (b[p] === 0x00) { s.valid = (b[p + 2]! & 0x80) !== 0; s.info = Number(b.readBigInt64BE(p + 4)); }
    if (b[p] === 0x04) { s.fm = (b[p + 3]! & 0x80) !== 0; s.eom = (b[p + 3]! & 0x40) !== 0; s.ili = (b[p + 3]! & 0x20) !== 0; }
  }
  return s;
}

function parse(out: string): Map<string, Line> {
  const m = new Map<string, Line>();
  for (const l of out.split('\n')) {
    const x = /^X (\S+) rc=(\d+) status=(\S+) n=(\d+) sense=\[([^\]]*)\] rp=\[([^\]]*)\] data=\[([^\]]*)\]/.exec(l);
    if (!x) continue;
    const sense = decodeSense(bytes(x[5]!));
    const rpb = bytes(x[6]!);
    const rp = rpb.length >= 20 ? { bop: (rpb[0]! & 0x80) !== 0, eop: (rpb[0]! & 0x40) !== 0, locu: (rpb[0]! & 0x20) !== 0, lolu: (rpb[0]! & 0x04) !== 0, first: rpb.readUInt32BE(4) } : undefined;
    m.set(x[1]!, { name: x[1]!, rc: Number(x[2]), status: x[3]!, n: Number(x[4]), ...(sense ? { sense } : {}), ...(rp ? { rp } : {}), data: x[7]!, raw: l });
  }
  return m;
}

let lib: Library;
let X: Map<string, Line>;
let out = '';
test.before(async (t) => {
  // debug: the target logs each command's Data-In length ("task done"), the residual QEMU hides
  lib = await startLibrary('2500-conformance', { slots: SLOTS, mailslots: MAIL, cartridges }, { log: { level: 'debug' } });
  // The operator sets the write-protect switch through the running server's control socket (tgt has no such switch).
  const env: Record<string, string> = { EWSLOT: '11', WORMSLOT: '12' };
  if (lib.kind === 'ours') {
    const p = await run(process.execPath, ['--import=tsx', 'src/main.ts', 'tape', 'protect', 'WP0001L6', '--config', path.join(WORK, '2500-conformance', 'config.yaml')], { cwd: ROOT });
    if (p.code !== 0) throw new Error(`s3vtl tape protect: ${p.stderr}${p.stdout}`);
    env.WPSLOT = '13';
  }
  const r = await guestRun({ luns: lib.luns, script: lib.script('2500-ssc-smc-conformance.sh'), env, timeoutS: 840 });
  out = r.stdout;
  t.log(`guest exit ${r.code} in ${r.ms} ms`);
  if (r.code !== 0) t.log(r.stdout.slice(-3000), r.stderr.slice(-2000));
  X = parse(r.stdout);
});
test.after.always(async () => { await lib?.stop(); });

const get = (name: string): Line => {
  const l = X.get(name);
  if (!l) throw new Error(`case ${name} missing from the guest output:\n${out.slice(-2000)}`);
  return l;
};
const hx = (n: number) => n.toString(16).padStart(2, '0');
/** A compact "what happened" for messages. */
const what = (l: Line) => `${l.name}: status=${l.status} ${l.sense ? `key=${hx(l.sense.key)} asc/ascq=${hx(l.sense.asc)}/${hx(l.sense.ascq)} valid=${+l.sense.valid} info=${l.sense.info} fm=${+l.sense.fm} eom=${+l.sense.eom} ili=${+l.sense.ili}` : ''} n=${l.n} rp=${l.rp?.first ?? '-'}${l.rp?.bop ? ' BOP' : ''}${l.rp?.eop ? ' EOP' : ''}`;

interface Expect { status?: 'Good' | 'Check_Condition'; key?: number; asc?: number; ascq?: number; valid?: boolean; info?: number; fm?: boolean; eom?: boolean; ili?: boolean; n?: number; rp?: number; bop?: boolean; sum?: string }
function expectCase(t: import('ava').ExecutionContext, name: string, e: Expect): void {
  const l = get(name);
  const ctx = what(l);
  const status = e.status ?? (e.key !== undefined ? 'Check_Condition' : 'Good');
  t.is(l.status, status, `${ctx}\n  expected status ${status}`);
  if (e.key !== undefined) {
    t.truthy(l.sense, `${ctx}: no sense data`);
    if (!l.sense) return;
    t.is(l.sense.key, e.key, `${ctx}\n  expected sense key ${hx(e.key)}`);
    if (e.asc !== undefined) t.is(`${hx(l.sense.asc)}/${hx(l.sense.ascq)}`, `${hx(e.asc)}/${hx(e.ascq ?? 0)}`, `${ctx}\n  expected ASC/ASCQ`);
    if (e.valid !== undefined) t.is(l.sense.valid, e.valid, `${ctx}\n  expected VALID=${+e.valid}`);
    if (e.info !== undefined) t.is(l.sense.info, e.info, `${ctx}\n  expected INFORMATION ${e.info}`);
    for (const f of ['fm', 'eom', 'ili'] as const) if (e[f] !== undefined) t.is(l.sense[f], e[f], `${ctx}\n  expected ${f.toUpperCase()}=${+e[f]!}`);
  }
  // e.n (bytes transferred) cannot be seen by the guest: QEMU's iSCSI SG_IO path always reports
  // resid 0 (block/iscsi.c iscsi_aio_ioctl_cb). The test 'bytes transferred' checks it against
  // the target's own record of each READ's Data-In.
  if (e.rp !== undefined) t.is(l.rp?.first, e.rp, `${ctx}\n  expected READ POSITION first block ${e.rp}`);
  if (e.bop !== undefined) t.is(l.rp?.bop, e.bop, `${ctx}\n  expected BOP=${+e.bop}`);
  if (e.sum !== undefined) t.is(l.data, e.sum, `${ctx}\n  data differs from what was written`);
}
/** The guest's checksums of what it wrote; a missing SUM line or key fails the case that needs it. */
const sums = (): Record<'A' | 'B1500' | 'C' | 'D' | 'F1024', string> => {
  const line = /^SUM (.*)$/m.exec(out)?.[1];
  if (line === undefined) throw new Error(`no SUM line in the guest output:\n${out.slice(-2000)}`);
  const m = Object.fromEntries([...line.matchAll(/(\w+)=(\w+)/g)].map((x) => [x[1]!, x[2]!]));
  for (const k of ['A', 'B1500', 'C', 'D', 'F1024']) if (!/^[0-9a-f]{16}$/.test(m[k] ?? '')) throw new Error(`SUM line lacks ${k}: ${line}`);
  return m as Record<'A' | 'B1500' | 'C' | 'D' | 'F1024', string>;
};

// ---- READ ELEMENT STATUS decoding (SMC-3 6.11)
interface Elem { type: number; addr: number; full: boolean; except: boolean; svalid: boolean; source: number; tag?: string; id?: string }
function elements(hex: string): Elem[] {
  const b = bytes(hex);
  const res: Elem[] = [];
  if (b.length < 8) return res;
  const end = Math.min(b.length, 8 + b.readUIntBE(5, 3));
  for (let p = 8; p + 8 <= end;) {
    const type = b[p]!;
    const pvol = (b[p + 1]! & 0x80) !== 0;
    const avol = (b[p + 1]! & 0x40) !== 0;
    const dlen = b.readUInt16BE(p + 2);
    const count = b.readUIntBE(p + 5, 3);
    for (let d = p + 8; d + dlen <= Math.min(end, p + 8 + count) && dlen >= 12; d += dlen) {
      const e: Elem = { type, addr: b.readUInt16BE(d), full: (b[d + 2]! & 1) === 1, except: (b[d + 2]! & 4) !== 0, svalid: (b[d + 9]! & 0x80) !== 0, source: b.readUInt16BE(d + 10) };
      if (pvol) e.tag = b.subarray(d + 12, d + 44).toString('latin1');
      const q = d + 12 + (pvol ? 36 : 0) + (avol ? 36 : 0);
      if (dlen >= q - d + 4 && b[q + 3]) e.id = b.subarray(q + 4, q + 4 + b[q + 3]!).toString('latin1');
      res.push(e);
    }
    p += 8 + count;
  }
  return res;
}
const addrs = () => {
  const m = /^ADDR mtea=(\d+) storage=(\d+)\+(\d+) ie=(\d+)\+(\d+) dt=(\d+)\+(\d+)/m.exec(out);
  if (!m) throw new Error('no ADDR line');
  const [mtea, fse, nse, fie, nie, fdt, ndt] = m.slice(1).map(Number) as number[];
  return { mtea: mtea!, fse: fse!, nse: nse!, fie: fie!, nie: nie!, fdt: fdt!, ndt: ndt! };
};

// =============================== SMC-3

test.serial('SMC: element address assignment page counts the configured elements', (t) => {
  const a = addrs();
  t.like(a, { nse: SLOTS, nie: MAIL, ndt: 2 });
});

test.serial('SMC: READ ELEMENT STATUS with VOLTAG lists every element, barcodes space-padded', (t) => {
  expectCase(t, 'res-voltag', {});
  const el = elements(get('res-voltag').data);
  const a = addrs();
  const of = (type: number) => el.filter((e) => e.type === type);
  t.is(of(1).length, 1, 'one medium transport element');
  t.is(of(2).length, SLOTS, 'storage elements');
  t.is(of(3).length, MAIL, 'import/export elements');
  t.is(of(4).length, 2, 'data transfer elements');
  const storage = of(2).sort((x, y) => x.addr - y.addr);
  t.is(storage[0]!.addr, a.fse);
  lib.barcodes.forEach((bc, i) => {
    t.true(storage[i]!.full, `slot ${i + 1} full`);
    t.is(storage[i]!.tag, bc.padEnd(32, ' '), `slot ${i + 1} primary volume tag (32 bytes, space padded)`);
  });
  for (const s of storage.slice(lib.barcodes.length)) t.false(s.full, `slot @${s.addr} empty`);
  for (const d of of(4)) t.false(d.full, `drive @${d.addr} empty at start`);
});

test.serial('SMC: READ ELEMENT STATUS DVCID gives each drive an identifier', (t) => {
  expectCase(t, 'res-dt-dvcid', {});
  const dts = elements(get('res-dt-dvcid').data);
  t.is(dts.length, 2);
  for (const d of dts) t.truthy(d.id?.trim(), `drive @${d.addr} has a device identifier`);
  t.not(dts[0]!.id, dts[1]!.id);
});

test.serial('SMC: MOVE MEDIUM slot -> drive, and READ ELEMENT STATUS shows the source', (t) => {
  expectCase(t, 'move-load', {});
  const a = addrs();
  const el = elements(get('res-after-load').data);
  const dt = el.find((e) => e.type === 4 && e.addr === a.fdt);
  t.like(dt, { full: true, svalid: true, source: a.fse }, 'drive 0 full, SVALID, source = slot 1');
  t.is(dt?.tag, lib.barcodes[0]!.padEnd(32, ' '));
  t.false(el.find((e) => e.type === 2 && e.addr === a.fse)?.full, 'slot 1 empty');
});

test.serial('SMC: MOVE MEDIUM errors: destination full 3B/0D, source empty 3B/0E, invalid element 21/01', (t) => {
  expectCase(t, 'move-dest-full', { key: 0x05, asc: 0x3b, ascq: 0x0d });
  expectCase(t, 'move-slot-to-full-slot', { key: 0x05, asc: 0x3b, ascq: 0x0d });
  expectCase(t, 'move-src-empty', { key: 0x05, asc: 0x3b, ascq: 0x0e });
  expectCase(t, 'move-invalid-element', { key: 0x05, asc: 0x21, ascq: 0x01 });
});

test.serial('SMC: all cartridges back home at the end', (t) => {
  for (const n of ['move-unload', 'move-load-ew', 'move-unload-ew', 'move-load-worm', 'move-unload-worm']) expectCase(t, n, {});
  const el = elements(get('res-final').data).filter((e) => e.type === 2).sort((x, y) => x.addr - y.addr);
  lib.barcodes.forEach((bc, i) => t.is(el[i]?.tag, bc.padEnd(32, ' ')));
});

// =============================== SSC-4

test.serial('SSC: medium not present: TEST UNIT READY / READ / READ POSITION -> NOT READY 3A/00', (t) => {
  expectCase(t, 'nomedium-tur', { key: 0x02, asc: 0x3a, ascq: 0x00 });
  expectCase(t, 'nomedium-read', { key: 0x02, asc: 0x3a, ascq: 0x00 });
  expectCase(t, 'nomedium-rp', { key: 0x02, asc: 0x3a, ascq: 0x00 });
});

test.serial('SSC: writes and filemarks advance READ POSITION by one object each', (t) => {
  expectCase(t, 'rewind', { rp: 0, bop: true });
  expectCase(t, 'setblk-variable', {});
  const steps: [string, number][] = [['write-A', 1], ['write-B', 2], ['write-C', 3], ['weof-1', 4], ['write-D', 5], ['weof-2', 6], ['write-fixed-4', 10], ['weof-3', 11]];
  for (const [n, rp] of steps) expectCase(t, n, { rp });
  expectCase(t, 'setblk-512', {});
});

test.serial('SSC: variable-mode READ of the exact length', (t) => {
  expectCase(t, 'rewind-2', { rp: 0, bop: true });
  expectCase(t, 'read-exact-A', { n: 1000, rp: 1, sum: sums().A });
});

test.serial('SSC: long block (request < block): ILI, VALID, INFORMATION = requested - actual (negative), position after the block', (t) => {
  expectCase(t, 'read-long-B', { key: 0x00, asc: 0, ascq: 0, ili: true, valid: true, info: 1500 - 2000, fm: false, n: 1500, rp: 2, sum: sums().B1500 });
});

test.serial('SSC: short block (request > block): ILI, VALID, INFORMATION = requested - actual', (t) => {
  expectCase(t, 'read-short-C', { key: 0x00, asc: 0, ascq: 0, ili: true, valid: true, info: 4000 - 3000, n: 3000, rp: 3, sum: sums().C });
});

test.serial('SSC: filemark while reading (variable): NO SENSE, FM, 00/01, INFORMATION = requested length, position after the filemark', (t) => {
  expectCase(t, 'read-fm-variable', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 1000, n: 0, rp: 4 });
  expectCase(t, 'read-fm-2', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 1000, n: 0, rp: 6 });
});

test.serial('SSC: SILI suppresses the short-block incorrect-length check condition', (t) => {
  expectCase(t, 'read-sili-short-D', { status: 'Good', n: 4000, rp: 5, sum: sums().D });
});

test.serial('SSC: fixed mode: filemark after 2 of 4 blocks (INFORMATION = 2 blocks), EOD (BLANK CHECK 00/05, INFORMATION = 2)', (t) => {
  expectCase(t, 'setblk-512-read', {});
  expectCase(t, 'read-fixed-2', { n: 1024, rp: 8, sum: sums().F1024 });
  expectCase(t, 'read-fixed-fm', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 2, n: 1024, rp: 11 });
  expectCase(t, 'read-fixed-eod', { key: 0x08, asc: 0x00, ascq: 0x05, valid: true, info: 2, n: 0, rp: 11 });
});

test.serial('SSC: fixed mode read of a 1000-byte block with 512: ILI, INFORMATION = 1 block; SILI+FIXED is an invalid CDB field', (t) => {
  expectCase(t, 'locate-0', { rp: 0 });
  expectCase(t, 'read-fixed-ili', { key: 0x00, ili: true, valid: true, info: 1, rp: 1 });
  expectCase(t, 'read-fixed-sili-ili', { key: 0x05, asc: 0x24, ascq: 0x00, rp: 1 });
});

test.serial('SSC: end of data in variable mode: BLANK CHECK 00/05, VALID, INFORMATION = requested length', (t) => {
  expectCase(t, 'setblk-variable-3', {});
  expectCase(t, 'space-eod-0', { rp: 11 });
  expectCase(t, 'read-variable-eod', { key: 0x08, asc: 0x00, ascq: 0x05, valid: true, info: 1000, n: 0, rp: 11 });
});

test.serial('SSC: LOCATE to a block, and past EOD (BLANK CHECK 00/05, positioned at EOD)', (t) => {
  expectCase(t, 'locate-4', { rp: 4 });
  expectCase(t, 'read-after-locate', { n: 4000, rp: 5, sum: sums().D });
  expectCase(t, 'locate-past-eod', { key: 0x08, asc: 0x00, ascq: 0x05, rp: 11 });
});

test.serial('SSC: SPACE to EOD, then SPACE -1 filemark lands before the last filemark', (t) => {
  expectCase(t, 'rewind-3', { rp: 0 });
  expectCase(t, 'space-eod', { rp: 11 });
  expectCase(t, 'space-fm-back-from-eod', { rp: 10 });
  expectCase(t, 'read-after-bsf-eod', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 1000, n: 0, rp: 11 });
});

test.serial('SSC: SPACE blocks over a filemark (forward: residue, after FM; reverse: BOP side of the FM)', (t) => {
  expectCase(t, 'rewind-4', { rp: 0 });
  expectCase(t, 'space-blocks-over-fm', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 2, rp: 4 });
  expectCase(t, 'space-fm-back-1', { rp: 5 });
  expectCase(t, 'space-blocks-back-over-fm', { key: 0x00, asc: 0x00, ascq: 0x01, fm: true, valid: true, info: 1, rp: 3 });
});

test.serial('SSC: SPACE filemarks past EOD: BLANK CHECK 00/05, VALID, INFORMATION = residue, at EOD', (t) => {
  expectCase(t, 'space-fm-past-eod', { key: 0x08, asc: 0x00, ascq: 0x05, valid: true, info: 3, rp: 11 });
});

test.serial('SSC: SPACE blocks backward into BOP: NO SENSE, EOM, 00/04, INFORMATION = residue', (t) => {
  expectCase(t, 'locate-3', { rp: 3 });
  expectCase(t, 'space-blocks-back-2', { rp: 1 });
  expectCase(t, 'space-blocks-back-bop', { key: 0x00, asc: 0x00, ascq: 0x04, eom: true, valid: true, info: 1, rp: 0, bop: true });
});

test.serial('SSC: READ POSITION long form: logical object number and logical file identifier', (t) => {
  expectCase(t, 'locate-6', { rp: 6 });
  const l = get('read-long-rp');
  t.is(l.status, 'Good', what(l));
  const b = bytes(l.data);
  t.true(b.length >= 32, `long form is 32 bytes, got ${b.length}`);
  t.is(b[0]! & 0x0c, 0, 'MPU=0 and LONU=0 (position known)');
  t.is(Number(b.readBigUInt64BE(8)), 5, 'LOGICAL OBJECT NUMBER');
  t.is(Number(b.readBigUInt64BE(16)), 1, 'LOGICAL FILE IDENTIFIER = filemarks between BOP and the position');
});

test.serial('SSC: early warning (NO SENSE, EOM, 00/02, data written) then VOLUME OVERFLOW (0D, EOM, 00/02, INFORMATION = requested)', (t) => {
  expectCase(t, 'ew-rewind', { rp: 0 });
  const writes = [...X.values()].filter((l) => /^ew-write-\d+$/.test(l.name));
  const good = get('ew-summary').n;
  const checks = writes.filter((l) => l.status !== 'Good');
  const ew = checks.filter((l) => l.sense?.key === 0x00);
  const overflow = checks.find((l) => l.sense?.key === 0x0d);
  t.true(good > 0, 'some writes before early warning');
  t.true(ew.length >= 1, `at least one early-warning report before overflow; got: ${checks.map(what).join('\n')}`);
  for (const l of ew) t.like(l.sense, { key: 0, eom: true, asc: 0x00, ascq: 0x02 }, what(l));
  t.truthy(overflow, `VOLUME OVERFLOW reported; got: ${checks.map(what).join('\n')}`);
  if (!overflow) return;
  t.like(overflow.sense, { key: 0x0d, eom: true, asc: 0x00, ascq: 0x02, valid: true, info: EW_BLOCK }, what(overflow));
  const written = good + ew.length;
  t.true(written * EW_BLOCK <= EW_CAPACITY, `${written} x 256 KiB fit a ${EW_CAPACITY}-byte cartridge`);
  t.true(written * EW_BLOCK >= EW_CAPACITY * 0.75, `${written} x 256 KiB: most of the cartridge is usable`);
  // every early-warning write was stored (position advanced), the overflowing one was not
  t.is(overflow.rp?.first, written, 'READ POSITION after the overflow = blocks written');
  for (const l of ew) t.true(l.rp?.eop === true, `${what(l)}: READ POSITION EOP set in the early-warning zone`);
  // a filemark still closes the file after the overflow (it takes no data bytes), reported as
  // early warning: NO SENSE, EOM, 00/02, and the position moves past it
  expectCase(t, 'ew-weof-after-overflow', { key: 0x00, asc: 0x00, ascq: 0x02, eom: true, rp: written + 1 });
  // a full cartridge still rewinds and unloads
  expectCase(t, 'ew-rewind-2', { rp: 0, bop: true });
  expectCase(t, 'unload-t0-ew', {});
  expectCase(t, 'move-unload-ew', {});
});

test.serial('SSC: write-protected cartridge: MODE SENSE WP, WRITE/WRITE FILEMARKS/ERASE refused DATA PROTECT 27/00, READ as usual', (t) => {
  if (lib.kind !== 'ours') { t.pass('tgt has no write-protect switch to set'); return; }
  const ms = bytes(get('wp-mode-sense').data);
  t.is(ms[2]! & 0x80, 0x80, 'mode parameter header: WP set');
  expectCase(t, 'wp-rewind', { rp: 0, bop: true });
  for (const n of ['wp-write', 'wp-weof', 'wp-erase']) expectCase(t, n, { key: 0x07, asc: 0x27, ascq: 0x00, rp: 0 });
  // nothing was written: the empty cartridge reads EOD (BLANK CHECK 00/05), not DATA PROTECT
  expectCase(t, 'wp-read', { key: 0x08, asc: 0x00, ascq: 0x05, rp: 0 });
  for (const n of ['move-load-wp', 'unload-t1-wp', 'move-unload-wp']) expectCase(t, n, {});
});

test.serial('SSC: WORM: append allowed, overwrite refused with DATA PROTECT 30/0C', (t) => {
  expectCase(t, 'worm-rewind', { rp: 0 });
  const ms = bytes(get('worm-mode-sense').data);
  const page = ms.subarray(4 + (ms[3] ?? 0));
  t.is(page[0]! & 0x3f, 0x1d, 'MODE SENSE returned page 1Dh');
  t.is(page[2]! & 0x01, 1, 'Medium Configuration page: WORMM=1 for a WORM cartridge');
  expectCase(t, 'worm-write-1', { rp: 1 });
  expectCase(t, 'worm-weof-1', { rp: 2 });
  expectCase(t, 'worm-write-2', { rp: 3 });
  expectCase(t, 'worm-rewind-2', { rp: 0 });
  expectCase(t, 'worm-overwrite', { key: 0x07, asc: 0x30, ascq: 0x0c, rp: 0 });
  expectCase(t, 'worm-weof-overwrite', { key: 0x07, asc: 0x30, ascq: 0x0c, rp: 0 });
  expectCase(t, 'worm-space-eod', { rp: 3 });
  expectCase(t, 'worm-append', { rp: 4 });
  // what was appended reads back (and the refused overwrites left the first block as written)
  expectCase(t, 'worm-locate-3', { rp: 3 });
  expectCase(t, 'worm-read-back', { n: 1000, rp: 4, sum: sums().A });
});

/** The Data-In lengths of READ(6) on tape0 (LUN 1), in order, from the target's debug log. */
function readDataIn(): number[] {
  const res: number[] = [];
  for (const l of lib.logs().split('\n')) {
    if (!l.includes('"task done"')) continue;
    const j = JSON.parse(l) as { lun?: number; opcode?: number; dataIn?: number };
    if (j.lun === 1 && j.opcode === 0x08 && j.dataIn !== undefined) res.push(j.dataIn);
  }
  return res;
}

(targetKind() === 'ours' ? test.serial : test.serial.skip)('SSC: bytes transferred by each READ on drive 0 (the Data-In the target sent)', (t) => {
  // in the order the guest sends them; a check condition before any data (filemark, EOD, bad CDB) sends none.
  // read-fixed-ili is left out: SSC-4 does not say whether the incorrect-length block is transferred.
  const expected: [string, number | undefined][] = [
    ['read-exact-A', 1000], ['read-long-B', 1500], ['read-short-C', 3000], ['read-fm-variable', 0], ['read-sili-short-D', 4000],
    ['read-fm-2', 0], ['read-fixed-2', 1024], ['read-fixed-fm', 1024], ['read-fixed-eod', 0], ['read-fixed-ili', undefined],
    ['read-fixed-sili-ili', 0], ['read-variable-eod', 0], ['read-after-locate', 4000], ['read-after-bsf-eod', 0],
  ];
  const got = readDataIn();
  t.is(got.length, expected.length, `READ(6) commands on drive 0 in the target log: ${got.join(' ')}`);
  expected.forEach(([name, n], i) => { if (n !== undefined) t.is(got[i], n, `${name}: bytes of Data-In`); });
});
