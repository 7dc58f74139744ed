// mtx against the library's changer in the QEMU guest (real Linux sg + Debian mtx): barcodes,
// drive serials (VPD 80 vs READ ELEMENT STATUS DVCID), inquiry per personality, load/unload,
// transfer, import/export, and the error cases as mtx reports them. One guest boot per personality.
import test from 'ava';
import { guestRun } from './lib/guest.ts';
import { type Library, mtxSummary, parseMtxStatus, sections, startLibrary } from './guest/vtl.ts';

const SLOTS = 20;
const MAIL = 4;
const personalities = [
  { changer: 'stk-l700', vendor: 'STK', product: 'L700' },
  { changer: 'ibm-03584l32', vendor: 'IBM', product: '03584L32' },
];

/** Identifiers of the data transfer element descriptors in a READ ELEMENT STATUS reply (SMC-3 6.11). */
function dvcids(hex: string): { addr: number; full: boolean; tag: string; id: string }[] {
  const b = Buffer.from(hex.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  const out: { addr: number; full: boolean; tag: string; id: string }[] = [];
  const total = 8 + b.readUIntBE(5, 3);
  let p = 8;
  while (p + 8 <= Math.min(total, b.length)) {
    const type = b[p]!;
    const pvol = (b[p + 1]! & 0x80) !== 0;
    const avol = (b[p + 1]! & 0x40) !== 0;
    const dlen = b.readUInt16BE(p + 2);
    const bytes = b.readUIntBE(p + 5, 3);
    for (let d = p + 8; d + dlen <= p + 8 + bytes && dlen > 0; d += dlen) {
      if (type !== 4) continue;
      const q = d + 12 + (pvol ? 36 : 0) + (avol ? 36 : 0);
      const idLen = b[q + 3] ?? 0;
      const id = b.subarray(q + 4, q + 4 + idLen).toString('latin1');
      out.push({ addr: b.readUInt16BE(d), full: (b[d + 2]! & 1) === 1, tag: pvol ? b.subarray(d + 12, d + 48).toString('latin1').trim() : '', id });
    }
    p += 8 + bytes;
  }
  return out;
}

for (const pers of personalities) {
  let lib: Library;
  let out: Map<string, { rc: number; text: string }>;
  let raw = '';
  test.serial.before(`${pers.changer}: target + guest job`, async (t) => {
    lib = await startLibrary(`2000-${pers.changer}`, { changer: pers.changer, slots: SLOTS, mailslots: MAIL });
    const r = await guestRun({ luns: lib.luns, script: lib.script('2000-changer-mtx.sh'), env: { NSLOTS: String(SLOTS), NMAIL: String(MAIL) }, timeoutS: 400 });
    raw = r.stdout;
    t.log(`guest exit ${r.code} in ${r.ms} ms`);
    if (r.code !== 0) t.log(r.stdout, r.stderr);
    out = sections(r.stdout);
  });
  test.after.always(async () => { await lib?.stop(); });

  const sec = (name: string) => {
    const s = out.get(name);
    if (!s) throw new Error(`no section ${name} in guest output:\n${raw.slice(-3000)}`);
    return s;
  };
  const st = (name: string) => parseMtxStatus(sec(`status-${name}`).text);

  test.serial(`${pers.changer}: mtx status lists the barcodes in slots 1..N and the mail slots`, (t) => {
    const s = st('clean');
    t.is(sec('status-clean').rc, 0);
    t.regex(sec('status-clean').text, new RegExp(`2 Drives, ${SLOTS + MAIL} Slots \\( ${MAIL} Import/Export \\)`));
    lib.barcodes.forEach((bc, i) => t.deepEqual(s.slots.get(i + 1), { full: true, ie: false, tag: bc }, `slot ${i + 1}`));
    for (let n = lib.barcodes.length + 1; n <= SLOTS; n++) t.false(s.slots.get(n)?.full, `slot ${n} empty`);
    for (let n = SLOTS + 1; n <= SLOTS + MAIL; n++) t.deepEqual({ ...s.slots.get(n), tag: undefined }, { full: false, ie: true, tag: undefined }, `I/E ${n}`);
    t.false(s.drives.get(0)?.full);
    t.false(s.drives.get(1)?.full);
  });

  test.serial(`${pers.changer}: drive serials (READ ELEMENT STATUS DVCID) match the drives' VPD 80`, (t) => {
    const serial = (n: string) => /Unit serial number:\s*(\S+)/.exec(sec(n).text)?.[1];
    const s0 = serial('vpd80-tape0');
    const s1 = serial('vpd80-tape1');
    t.truthy(s0);
    t.truthy(s1);
    t.not(s0, s1);
    t.is(sec('res-dvcid').rc, 0);
    const ids = dvcids(sec('res-dvcid').text);
    t.is(ids.length, 2, JSON.stringify(ids));
    t.true(ids[0]!.id.includes(s0!), `DT element 0 identifier "${ids[0]?.id}" holds ${s0}`);
    t.true(ids[1]!.id.includes(s1!), `DT element 1 identifier "${ids[1]?.id}" holds ${s1}`);
    // mtx prints serials only when it knows them: if it does, they must be the same
    for (const [n, d] of parseMtxStatus(sec('status-clean').text).drives) if (d.serial) t.is(d.serial, (n === 0 ? s0 : s1) ?? "");
  });

  test.serial(`${pers.changer}: mtx inquiry shows the personality`, (t) => {
    const s = sec('inquiry');
    t.is(s.rc, 0);
    if (lib.kind === 'tgt') return void t.pass();
    t.regex(s.text, /Product Type: Medium Changer/);
    t.regex(s.text, new RegExp(`Vendor ID: '${pers.vendor}\\s*'`));
    t.regex(s.text, new RegExp(`Product ID: '${pers.product}\\s*'`));
  });

  test.serial(`${pers.changer}: load, unload, transfer, import/export`, (t) => {
    const bc = lib.barcodes;
    t.is(sec('load-1-0').rc, 0);
    t.deepEqual(st('after-load-1-0').drives.get(0), { full: true, from: 1, tag: bc[0] });
    t.false(st('after-load-1-0').slots.get(1)!.full);
    t.is(sec('load-2-1').rc, 0);
    t.deepEqual(st('after-load-2-1').drives.get(1), { full: true, from: 2, tag: bc[1] });
    t.is(sec('unload-1-0').rc, 0);
    const u = st('after-unload');
    t.false(u.drives.get(0)!.full);
    t.is(u.slots.get(1)!.tag, bc[0]);
    t.is(sec('transfer-3-15').rc, 0);
    t.false(st('after-transfer').slots.get(3)!.full);
    t.deepEqual(st('after-transfer').slots.get(15), { full: true, ie: false, tag: bc[2] });
    t.is(sec('export-15-ie').rc, 0);
    t.deepEqual(st('after-export').slots.get(SLOTS + 1), { full: true, ie: true, tag: bc[2] });
    t.false(st('after-export').slots.get(15)!.full);
    t.is(sec('import-ie-3').rc, 0);
    t.is(st('after-import').slots.get(3)!.tag, bc[2]);
    t.false(st('after-import').slots.get(SLOTS + 1)!.full);
    t.is(mtxSummary(st('final')), mtxSummary(st('clean')), 'everything back home');
  });

  test.serial(`${pers.changer}: error cases fail as mtx reports them, state unchanged`, (t) => {
    t.not(sec('load-3-0-full').rc, 0, 'load into a full drive');
    t.regex(sec('load-3-0-full').text, /Drive 0 Full/);
    t.not(sec('load-empty-1-1').rc, 0, 'load from an empty slot');
    t.not(sec('transfer-4-5-full').rc, 0, 'transfer into a full slot');
    t.regex(sec('transfer-4-5-full').text, /is Already Full/);
    t.not(sec('transfer-16-17-empty').rc, 0, 'transfer from an empty slot');
    t.regex(sec('transfer-16-17-empty').text, /is Empty/);
    t.not(sec('load-ie-empty').rc, 0, 'load from an empty mail slot');
    const e = st('after-errors');
    t.deepEqual(e.drives.get(0), { full: true, from: 1, tag: lib.barcodes[0] });
    t.false(e.drives.get(1)!.full);
    t.is(e.slots.get(2)!.tag, lib.barcodes[1]);
    t.is(e.slots.get(3)!.tag, lib.barcodes[2]);
  });
}
