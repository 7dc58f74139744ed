// A live filesystem mirrored onto a CDP volume by a real initiator (the QEMU guest): an mdadm
// RAID1 (metadata 1.0) of a local loop disk and the CDP LUN, ext4 on top, files copied in,
// fsfreeze; the host takes a bookmark through the running serve at the moment the guest says
// it is frozen; unfreeze, the files are destroyed. Then `cdp expose --bookmark` serves that
// instant as a read-only LUN that a second boot mounts (ro,noload) with the files identical,
// and `cdp restore --bookmark` writes an image that passes e2fsck -fn on the host and holds
// the same files byte for byte (debugfs rdump). Two guest boots.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { BLOCK, BlockClient, cdpInProcess } from './lib/cdp.ts';
import { senseTriple } from './lib/initiator.ts';
import { IQN_PREFIX } from './lib/config.ts';
import { guestRun } from './lib/guest.ts';
import { startTarget, type Target } from './lib/target.ts';
import { ROOT, run, sleep, workDir } from './lib/util.ts';
import { sections } from './guest/vtl.ts';

const IQN = `${IQN_PREFIX}:cdp-guest`;
const VOLUME = 't0-disk0';
const MARK = 'frozen-1';
const script = readFileSync(path.join(ROOT, 'integration/guest/cdp-mirror.sh'), 'utf8');

let tg: Target | undefined;
let share: string;
/** relative path ("./dir/f3.bin") -> sha256, and the bytes, of what the guest copied in. */
const payload = new Map<string, Buffer>();
const want = new Map<string, string>();
const out: Record<string, Map<string, { rc: number; text: string }>> = {};
const raw: Record<string, string> = {};
let bookmarkTime = '';
let frozenAt = 0;
let exposed: { iqn: string; lun: number } | undefined;
let restored = '';
let wpBit: boolean | undefined;
let writeSense: ReturnType<typeof senseTriple> | undefined;
const timing: string[] = [];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `sha256sum` lines -> { path: sum } sorted by path (deepEqual then ignores listing order). */
function parseSums(text: string): Record<string, string> {
  const m: [string, string][] = [];
  for (const line of text.split('\n')) {
    const h = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (h) m.push([h[2]!, h[1]!]);
  }
  return Object.fromEntries(m.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
const wanted = (): Record<string, string> => parseSums([...want].map(([k, v]) => `${v}  ${k}`).join('\n'));

function makePayload(dir: string): void {
  const add = (rel: string, data: Buffer) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    payload.set(`./${rel}`, data);
    want.set(`./${rel}`, sha(data));
  };
  add('big.bin', randomBytes(3 * 2 ** 20 + 4321));
  add('note.txt', Buffer.from(`a note ${randomBytes(40).toString('hex')}\n`.repeat(50)));
  for (let i = 0; i < 12; i++) add(`dir/f${i}.bin`, randomBytes(1 + i * 37_000));
  add('dir/sub/deep.txt', Buffer.from(`deep ${randomBytes(16).toString('hex')}\n`));
}

/** Boot the writer; take the bookmark when it signals "frozen" through the share. */
async function writePhase(t: ExecutionContext, target: Target): Promise<void> {
  const cfg = path.join(target.dir, 'config.yaml');
  const data = path.join(target.dir, 'data');
  let done = false;
  const guest = guestRun({
    luns: [['cdp', target.url(IQN, 0)]], script, env: { PHASE: 'write' }, timeoutS: 400, extra: ['--share', share],
  }).finally(() => { done = true; });
  while (!done && !existsSync(path.join(share, 'frozen'))) await sleep(100);
  if (!done) {
    frozenAt = Date.now();
    const b = await cdpInProcess(['bookmark', VOLUME, MARK, '--json', '--config', cfg, '--data', data]);
    t.is(b.error, undefined, `bookmark: ${b.error?.message}`);
    if (b.error === undefined) bookmarkTime = (JSON.parse(b.out) as { time: string }).time;
    timing.push(`bookmark taken ${Date.now() - frozenAt} ms after the guest froze`);
    writeFileSync(path.join(share, 'bookmarked'), `${bookmarkTime}\n`);
  }
  const r = await guest;
  timing.push(`write boot: exit ${r.code} in ${r.ms} ms`);
  if (r.code !== 0) t.log(r.stdout.slice(-3000), r.stderr.slice(-2000));
  raw.write = r.stdout + r.stderr;
  out.write = sections(r.stdout);
}

test.before(async (t) => {
  const started = Date.now();
  share = workDir('1400-share');
  rmSync(share, { recursive: true, force: true });
  mkdirSync(share, { recursive: true });
  makePayload(path.join(share, 'src'));
  tg = await startTarget('1400-cdp-guest', [{ iqn: IQN, luns: [{ lun: 0, type: 'disk', size: '64MiB', cdp: {} }] }], { startTimeoutMs: 120_000 });
  const cli = ['--config', path.join(tg.dir, 'config.yaml'), '--data', path.join(tg.dir, 'data')];
  await writePhase(t, tg);

  // The bookmark, served at once as a read-only LUN on the running target.
  const ex = await cdpInProcess(['expose', VOLUME, '--bookmark', MARK, '--json', ...cli]);
  if (ex.error === undefined) exposed = JSON.parse(ex.out) as { iqn: string; lun: number };
  else t.log(`expose: ${ex.error.message}`);
  // And written out as a whole image.
  restored = path.join(tg.dir, 'restored.img');
  rmSync(restored, { force: true });
  const t0 = Date.now();
  const rs = await cdpInProcess(['restore', VOLUME, '--bookmark', MARK, '--to', restored, '--json', ...cli]);
  if (rs.error !== undefined) t.log(`restore: ${rs.error.message}`);
  timing.push(`restore: ${Date.now() - t0} ms`);

  if (exposed) {
    // What the target itself says of the exposed LUN: write protected, writes refused.
    const c = await BlockClient.login(tg.port, exposed.iqn, exposed.lun, 'iqn.2026-11.org.s3vtl:it-cdp-guest-host');
    const ms = await c.ini.command(exposed.lun, Buffer.from([0x1a, 0, 0x3f, 0, 255, 0]), { readLength: 255 });
    wpBit = ms.status === 0 ? (ms.data[2]! & 0x80) !== 0 : undefined;
    writeSense = senseTriple((await c.write(0, Buffer.alloc(BLOCK))).sense);
    await c.logout();
    // QEMU's iSCSI driver opens a LUN that reports write protection read-only, and then neither
    // scsi-generic (run --lun) nor scsi-hd attach it unless the drive is declared readonly=on
    // ("Block node is read-only"): attach it as QEMU's emulated SCSI disk, readonly=on.
    const url = `iscsi://127.0.0.1:${tg.port}/${exposed.iqn}/${exposed.lun}`;
    const qemu = ['-drive', `file=${url},if=none,id=pit,format=raw,readonly=on`, '-device', 'scsi-hd,drive=pit,bus=scsi0.0,channel=0,scsi-id=0,lun=0'];
    const r = await guestRun({
      luns: [], script, env: { PHASE: 'verify' }, timeoutS: 300, extra: qemu.flatMap((a) => ['--qemu-arg', a]),
    });
    timing.push(`verify boot: exit ${r.code} in ${r.ms} ms`);
    if (r.code !== 0) t.log(r.stdout.slice(-3000), r.stderr.slice(-2000));
    raw.verify = r.stdout + r.stderr;
    out.verify = sections(r.stdout);
  }
  timing.push(`whole setup: ${Date.now() - started} ms`);
});
test.after.always(async () => { await tg?.stop(); });

const sec = (phase: string, name: string) => {
  const s = out[phase]?.get(name);
  if (!s) throw new Error(`no section ${name} in phase ${phase}:\n${(raw[phase] ?? '(no output)').slice(-3000)}`);
  return s;
};

test.serial('the guest mirrors ext4 onto the CDP LUN, freezes for the bookmark, then destroys the files', (t) => {
  t.log(timing.join('\n'));
  for (const s of ['mdadm-create', 'mkfs', 'mount', 'copy', 'freeze', 'bookmarked', 'unfreeze', 'destroy', 'umount', 'mdadm-stop']) {
    t.is(sec('write', s).rc, 0, `${s}: ${sec('write', s).text}`);
  }
  t.deepEqual(parseSums(sec('write', 'sums-before').text), wanted(), 'what the guest wrote is the payload');
  t.is(sec('write', 'bookmarked').text.trim(), bookmarkTime, 'the guest unfroze after the bookmark the host took');
  t.true(Date.parse(bookmarkTime) >= frozenAt - 5000, 'the bookmark is an instant of this run');
  // The destruction really happened on the live volume.
  const after = parseSums(sec('write', 'sums-after').text);
  t.false(Object.keys(after).some((k) => k.startsWith('./dir/')), 'dir/ deleted');
  t.not(after['./big.bin'], want.get('./big.bin'), 'big.bin overwritten');
  t.is(after['./note.txt'], sha(Buffer.alloc(0)), 'note.txt truncated');
  t.truthy(after['./after.txt']);
});

test.serial('expose --bookmark: a second boot mounts the read-only LUN and finds the files identical', (t) => {
  t.truthy(exposed, 'expose printed {iqn, lun}');
  t.true(wpBit, 'MODE SENSE of the exposed LUN: WP set');
  t.deepEqual(writeSense, { key: 7, asc: 0x27, ascq: 0 }, 'a WRITE to the exposed LUN gets DATA PROTECT / WRITE PROTECTED');
  t.regex(sec('verify', 'lsscsi').text, /disk\s+\S+/, 'the exposed LUN is a disk in the guest');
  t.is(sec('verify', 'ro').text.trim(), '1', 'the guest sees a write-protected disk');
  t.is(sec('verify', 'fsck').rc, 0, `e2fsck -fn of the exposed LUN: ${sec('verify', 'fsck').text}`);
  t.is(sec('verify', 'mount').rc, 0, sec('verify', 'mount').text);
  t.deepEqual(parseSums(sec('verify', 'sums').text), wanted(), 'every file as it was at the bookmark, nothing after it');
  t.regex(sec('verify', 'write-refused').text, /dd-rc=[1-9]/, 'a write to the exposed LUN fails');
});

test.serial('restore --bookmark: the image passes e2fsck -fn on the host and holds the same files', async (t) => {
  t.true(existsSync(restored), 'restore wrote the image');
  t.is(statSync(restored).size, 64 * 2 ** 20);
  const fsck = await run('e2fsck', ['-fn', restored]);
  t.is(fsck.code, 0, `e2fsck -fn: ${fsck.stdout}${fsck.stderr}`);
  const dump = path.join(path.dirname(restored), 'rdump');
  rmSync(dump, { recursive: true, force: true });
  mkdirSync(dump);
  const d = await run('debugfs', ['-R', `rdump / ${dump}`, restored]);
  t.is(d.code, 0, d.stderr);
  const got = new Map<string, Buffer>();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (rel === '.' && e.name === 'lost+found') continue;
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}/${e.name}`);
      else got.set(`${rel}/${e.name}`, readFileSync(path.join(dir, e.name)));
    }
  };
  walk(dump, '.');
  t.deepEqual([...got.keys()].sort(), [...payload.keys()].sort(), 'the same file names');
  for (const [k, v] of payload) t.true(got.get(k)?.equals(v), `${k} byte-identical`);
  rmSync(dump, { recursive: true, force: true });
});
