// Start a tape library for the guest suites (2000/2100/2200/2500): ours from a LibrarySpec
// (integration/lib/config.ts libraryTarget), or, with S3VTL_IT_TARGET=tgt, Debian's tgt through
// ../shared/guest/tgt-vtl (changer + drives, barcodes VTL001L5..) for contrast runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { libraryTarget, type LibrarySpec } from '../lib/config.ts';
import { startTarget, targetKind, type TargetKind } from '../lib/target.ts';
import { freePort, run, SHARED, sleep, workDir } from '../lib/util.ts';

export const GUEST_DIR = path.dirname(new URL(import.meta.url).pathname);

export interface Library {
  kind: TargetKind;
  lib: Required<Omit<LibrarySpec, 'cartridges'>> & Pick<LibrarySpec, 'cartridges'>;
  /** Barcodes in slot order (slot 1 first) as created at first start. */
  barcodes: string[];
  /** --lun list for guestRun: changer, tape0, tape1, ... */
  luns: [string, string][];
  script(name: string): string;
  logs(): string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILL the target process and start it again on the same data. */
  killRestart(): Promise<void>;
}

function barcodesOf(lib: LibrarySpec): string[] {
  const out: string[] = [];
  for (const b of lib.cartridges ?? []) {
    for (let i = 0; i < b.count; i++) {
      const n = String((b.first ?? 1) + i);
      out.push(b.prefix + n.padStart(6 - b.prefix.length, '0') + b.media);
    }
  }
  return out;
}

/** `config`: extra top-level keys for our target's config (e.g. log: { level: 'debug' }); tgt ignores it. */
export async function startLibrary(name: string, spec: Partial<LibrarySpec> = {}, config?: Record<string, unknown>): Promise<Library> {
  const t = libraryTarget('library', spec);
  const lib = t.library! as Library['lib'];
  const script = (n: string) => readFileSync(path.join(GUEST_DIR, n), 'utf8');
  if (targetKind() === 'tgt') {
    const dir = workDir(`${name}-tgt`); // never the work dir of a run against ours
    const port = await freePort();
    const count = (lib.cartridges ?? []).reduce((a, b) => a + b.count, 0);
    const args = ['--dir', dir, '--port', String(port), '--drives', String(lib.drives), '--slots', String(lib.slots),
      '--tapes', String(count), '--mailslots', String(lib.mailslots), '--tape-size', '256'];
    const start = async () => {
      const r = await run(path.join(SHARED, 'guest/tgt-vtl'), ['start', ...args]);
      if (r.code !== 0) throw new Error(`tgt-vtl start: ${r.stderr}${r.stdout}`);
      return Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]));
    };
    const stop = async () => { await run(path.join(SHARED, 'guest/tgt-vtl'), ['stop', '--dir', dir, '--port', String(port)]); };
    const env = await start();
    const luns: [string, string][] = [['changer', env.VTL_CHANGER_URL!]];
    for (let i = 0; i < lib.drives; i++) luns.push([`tape${i}`, env[`VTL_TAPE${i}_URL`]!]);
    return {
      kind: 'tgt', lib, luns, script,
      barcodes: Array.from({ length: count }, (_, i) => `VTL${String(i + 1).padStart(3, '0')}L5`),
      logs: () => readFileSync(path.join(dir, 'tgtd.log'), 'utf8'),
      stop,
      restart: async () => { await stop(); await start(); },
      killRestart: async () => {
        const pid = Number(readFileSync(path.join(dir, 'tgtd.pid'), 'utf8'));
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await sleep(500);
        await start();
      },
    };
  }
  const tg = await startTarget(name, [t], config ? { config } : {});
  const luns: [string, string][] = [['changer', tg.url(t.iqn, 0)]];
  for (let i = 0; i < lib.drives; i++) luns.push([`tape${i}`, tg.url(t.iqn, i + 1)]);
  return {
    kind: 'ours', lib, luns, script, barcodes: barcodesOf(lib),
    logs: tg.logs, stop: tg.stop, restart: tg.restart,
    killRestart: async () => {
      const pid = tg.pid();
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 50; i++) { try { process.kill(pid!, 0); } catch { break; } await sleep(100); }
      await tg.restart(); // the child has exited: restart only starts it again
    },
  };
}

/** Splits guest output into sections "=== NAME rc=N" ... up to the next "=== ". */
export function sections(out: string): Map<string, { rc: number; text: string }> {
  const m = new Map<string, { rc: number; text: string }>();
  let cur: { rc: number; text: string } | undefined;
  for (const line of out.split('\n')) {
    const h = /^=== (\S+) rc=(-?\d+)/.exec(line);
    if (h) { cur = { rc: Number(h[2]), text: '' }; m.set(h[1]!, cur); continue; }
    if (cur) cur.text += line + '\n';
  }
  return m;
}

export interface MtxStatus {
  drives: Map<number, { full: boolean; from?: number; tag?: string; serial?: string }>;
  slots: Map<number, { full: boolean; ie: boolean; tag?: string }>;
}

/** Parses `mtx status`. */
export function parseMtxStatus(text: string): MtxStatus {
  const st: MtxStatus = { drives: new Map(), slots: new Map() };
  for (const line of text.split('\n')) {
    const d = /^Data Transfer Element (\d+):(Full|Empty)(?: \(Storage Element (\d+) Loaded\))?(?::VolumeTag\s*=\s*(\S*))?/.exec(line);
    if (d) {
      const serial = /Serial\D*([A-Za-z0-9]+)/i.exec(line)?.[1];
      st.drives.set(Number(d[1]), { full: d[2] === 'Full', ...(d[3] ? { from: Number(d[3]) } : {}), ...(d[4] ? { tag: d[4] } : {}), ...(serial ? { serial } : {}) });
    }
    const s = /^\s+Storage Element (\d+)( IMPORT\/EXPORT)?:(Full|Empty)\s*(?::VolumeTag\s*=\s*(\S*))?/.exec(line);
    if (s) st.slots.set(Number(s[1]), { full: s[3] === 'Full', ie: !!s[2], ...(s[4] ? { tag: s[4] } : {}) });
  }
  return st;
}

/** "slot:tag" / "dN:tag" summary of a status, for equality checks. */
export function mtxSummary(st: MtxStatus): string {
  const parts: string[] = [];
  for (const [n, d] of st.drives) parts.push(`d${n}:${d.full ? d.tag ?? '?' : '-'}${d.from ? `<${d.from}` : ''}`);
  for (const [n, s] of st.slots) if (s.full) parts.push(`${n}:${s.tag ?? '?'}`);
  return parts.join(' ');
}
