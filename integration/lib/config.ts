// What the suites ask of a target, and how it becomes our YAML config.
// renderConfig() is the ONLY place that knows s3vtl's config schema: change it here when it moves.
import YAML from 'yaml';

export interface Chap { user: string; secret: string }
/** `cdp`: the disk is a CDP volume with these keys (`{}` for the defaults). */
export interface LunSpec { lun: number; type: 'disk' | 'tape' | 'changer'; size?: string; cdp?: Record<string, unknown> }
export interface TargetSpec {
  iqn: string;
  luns: LunSpec[];
  chap?: Chap; // one-way CHAP: the initiator must prove this user/secret
  mutualChap?: Chap; // mutual CHAP (needs chap): the target proves this user/secret to the initiator
  library?: LibrarySpec; // a tape library: LUN 0 the changer, LUNs 1..drives the drives (luns then holds disks only)
}

/** One batch of cartridges created at first start (VOLSER = prefix + number, then the media id). */
export interface CartridgeBatch { prefix: string; count: number; media: string; capacity?: string; pool?: string; first?: number }
export interface LibrarySpec {
  name: string;
  changer?: string; // stk-l700 (default), ibm-03584l32, generic-changer
  drive?: string; // ibm-ult3580-td6 (default), ...-td5/td8/td9, hp-ultrium-6, generic-tape
  drives?: number; // default 2
  slots?: number; // default 20
  mailslots?: number; // default 4
  cartridges?: CartridgeBatch[];
}

export const IQN_PREFIX = 'iqn.2026-11.org.s3vtl';

/** One disk target, as in config/default.yaml. */
export function diskTarget(name = 'disk', size = '1GiB', extra: Partial<TargetSpec> = {}): TargetSpec {
  return { iqn: `${IQN_PREFIX}:${name}`, luns: [{ lun: 0, type: 'disk', size }], ...extra };
}

/** A tape library target: LUN 0 = changer, LUNs 1..drives = drives. */
export function libraryTarget(name = 'library', lib: Partial<LibrarySpec> = {}, extra: Partial<TargetSpec> = {}): TargetSpec {
  return {
    iqn: `${IQN_PREFIX}:${name}`,
    luns: [],
    library: { name: 'lib0', changer: 'stk-l700', drive: 'ibm-ult3580-td6', drives: 2, slots: 20, mailslots: 4,
      cartridges: [{ prefix: 'S3V', count: 10, media: 'L6', capacity: '8GiB', pool: 'default' }], ...lib },
    ...extra,
  };
}

/** s3vtl YAML config for `serve` (the schema of src/config.ts). */
export function renderConfig(targets: TargetSpec[], listen: string, data: string, extra: Record<string, unknown> = {}): string {
  return YAML.stringify({
    listen,
    data,
    ...extra, // top-level keys such as store (file://DIR, s3://...) or tapes: { segmentSize }
    targets: targets.map((t, ti) => {
      const other = t.luns.find((l) => l.type !== 'disk');
      if (other) throw new Error(`${t.iqn} LUN ${other.lun}: s3vtl's config has no ${other.type} LUNs yet (integration/lib/config.ts)`);
      return {
        iqn: t.iqn,
        ...(t.chap ? { chap: { ...t.chap, ...(t.mutualChap ? { mutualUser: t.mutualChap.user, mutualSecret: t.mutualChap.secret } : {}) } } : {}),
        ...(t.library ? { library: t.library } : {}),
        // A disk name names its image file, so it must be unique across targets.
        disks: t.luns.map((l) => ({ lun: l.lun, name: `t${ti}-disk${l.lun}`, size: l.size ?? '1GiB', ...(l.cdp ? { cdp: l.cdp } : {}) })),
      };
    }),
  });
}

/** "1GiB", "256MiB", "64M" -> bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+)\s*([KMGT]?)(i?B)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  const exp = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Number(m[1]) * 1024 ** exp;
}
