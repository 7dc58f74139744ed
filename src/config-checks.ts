// Checks across config keys that the schema's per-key rules cannot make: a cartridge's capacity
// against its media, cartridges against slots, the library against its changer personality, a
// disk's size against its block size. Whatever `serve` would refuse later is refused here, with
// the key's path, so that no configuration gets as far as a stack trace.
import type { RefinementCtx } from 'zod';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { LTO_MEDIA } from '../tapes/barcode.ts';
import { formatKeep } from './retention-config.ts';

/** Below this a segment is mostly per-object overhead; the segment pipeline does not go lower. */
export const MIN_SEGMENT_BYTES = 64 << 10;
/** A cartridge's capacity override may not be smaller (tapes/barcode.ts effectiveCapacity). */
export const MIN_CAPACITY_BYTES = 1 << 20;

interface Batch { readonly prefix: string; readonly first: number; readonly count: number; readonly media: string; readonly capacity?: number | undefined }
interface CheckedPool {
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number } | undefined;
  readonly retention?: { readonly keepMs: number; readonly from: 'last-write' | 'export'; readonly then: 'recycle' | 'archive' | 'delete' } | undefined;
}
interface Checked {
  readonly pools: Readonly<Record<string, CheckedPool>>;
  readonly tapes: { readonly segmentSize?: number | undefined };
  readonly targets: readonly {
    readonly disks: readonly { readonly size: number; readonly blockSize: number }[];
    readonly library?: { readonly changer: string; readonly drives: number; readonly slots: number; readonly mailslots: number; readonly cartridges: readonly Batch[] } | undefined;
  }[];
}

type Path = (string | number)[];

export function crossCheckConfig(c: Checked, ctx: RefinementCtx): void {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const seg = c.tapes.segmentSize;
  if (seg !== undefined && seg < MIN_SEGMENT_BYTES) issue(['tapes', 'segmentSize'], `${seg} bytes is below the minimum segment size of 64KiB`);
  c.targets.forEach((t, i) => {
    t.disks.forEach((d, j) => {
      if (d.size % d.blockSize !== 0) issue(['targets', i, 'disks', j, 'size'], `${d.size} bytes is not a whole number of ${d.blockSize}-byte blocks`);
    });
    if (t.library !== undefined) checkLibrary(t.library, ['targets', i, 'library'], issue);
  });
  for (const [name, p] of Object.entries(c.pools)) checkRetention(name, p, issue);
}

const DAY_MS = 86_400_000;

/**
 * Retention that can never act as written is refused: `from: export` with
 * `then: archive` (the clock starts when the cartridge is already on the
 * shelf), and a keep shorter than a COMPLIANCE Object Lock before an erase
 * (nobody can delete a locked object before its lock ends). A GOVERNANCE lock
 * longer than keep only postpones; src/retention/policies.ts warns about it.
 */
function checkRetention(name: string, p: CheckedPool, issue: (path: Path, message: string) => void): void {
  const r = p.retention;
  if (r === undefined) return;
  const at: Path = ['pools', name, 'retention'];
  if (r.from === 'export' && r.then === 'archive') {
    issue([...at, 'then'], 'archive with from: export never acts (the clock starts when the cartridge is already on the shelf); use then: delete, or from: last-write');
  }
  const lock = p.objectLock;
  if (lock?.mode === 'COMPLIANCE' && r.then !== 'archive' && lock.days * DAY_MS > r.keepMs) {
    issue([...at, 'keep'], `${formatKeep(r.keepMs)} is shorter than the pool's COMPLIANCE Object Lock of ${lock.days} days: nothing can ${r.then} its cartridges before the lock ends; set keep to at least ${lock.days}d or shorten objectLock.days`);
  }
}

function checkLibrary(l: NonNullable<Checked['targets'][number]['library']>, at: Path, issue: (path: Path, message: string) => void): void {
  const p = changerProfiles.get(l.changer);
  if (p !== undefined) {
    // The personality's real product bounds (SMC-3 element counts it can report).
    if (l.slots > p.limits.storage) issue([...at, 'slots'], `${l.slots} slots: the ${l.changer} changer has at most ${p.limits.storage}`);
    if (l.mailslots > p.limits.importExport) issue([...at, 'mailslots'], `${l.mailslots} mail slots: the ${l.changer} changer has at most ${p.limits.importExport}`);
    if (l.drives > p.limits.dataTransfer) issue([...at, 'drives'], `${l.drives} drives: the ${l.changer} changer has at most ${p.limits.dataTransfer}`);
    // Within those bounds the element address ranges neither overlap nor pass 65535
    // (test/scsi/smc/profile-address-ranges.test.ts checks every personality).
  }
  const total = l.cartridges.reduce((a, b) => a + b.count, 0);
  if (total > l.slots) issue([...at, 'cartridges'], `${total} cartridges do not fit in ${l.slots} slots`);
  const seen = new Map<string, number>();
  l.cartridges.forEach((b, j) => {
    const media = LTO_MEDIA.get(b.media);
    if (media !== undefined && b.capacity !== undefined) {
      if (b.capacity < MIN_CAPACITY_BYTES) issue([...at, 'cartridges', j, 'capacity'], `${b.capacity} bytes is below the minimum capacity of 1MiB`);
      else if (b.capacity > media.nativeCapacityBytes) {
        issue([...at, 'cartridges', j, 'capacity'], `${b.capacity} bytes exceeds the native ${media.nativeCapacityBytes} bytes of ${media.mediaType} (${b.media})`);
      }
    }
    // Two batches naming the same barcode would make one cartridge out of two.
    for (let n = b.first; n < b.first + b.count; n++) {
      const barcode = b.prefix + String(n).padStart(6 - b.prefix.length, '0') + b.media;
      const other = seen.get(barcode);
      if (other !== undefined) {
        issue([...at, 'cartridges', j], `barcode ${barcode} is also in cartridges.${other}`);
        return;
      }
      seen.set(barcode, j);
    }
  });
}
