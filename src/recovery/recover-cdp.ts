// Disaster recovery of CDP volumes: every volume under cdp/ in the store gets
// its local directory rebuilt (history stays in the store; the image is the
// newest instant there), so `serve` carries on writing after the last
// sequence number the store holds.
import { existsSync, readdirSync, renameSync } from 'node:fs';
import type { ObjectStore } from '../../tapes/object-store.ts';
import { listCdpVolumes, recoverVolume } from '../cdp/index.ts';
import { VtlError } from '../errors.ts';
import { CDP_PREFIX, cdpDir } from '../wiring/cdp.ts';

export interface RecoveredVolume {
  readonly volume: string;
  /** Newest instant in the store, now the local image (null: nothing was ever written). */
  readonly newest: string | null;
  readonly seq: string;
  /** Where an existing local directory was moved (--force). */
  readonly replaced: string | null;
}

const occupied = (dir: string): boolean => existsSync(dir) && readdirSync(dir).length > 0;

/** The volumes whose local directory already holds something (recover refuses them without --force). */
export async function cdpVolumesToRecover(store: ObjectStore, data: string): Promise<{ volumes: string[]; occupied: string[] }> {
  const volumes = await listCdpVolumes(store, CDP_PREFIX);
  return { volumes, occupied: volumes.filter((v) => occupied(cdpDir(data, v))) };
}

export async function recoverCdpVolumes(store: ObjectStore, data: string, volumes: readonly string[], force: boolean): Promise<RecoveredVolume[]> {
  const out: RecoveredVolume[] = [];
  for (const volume of volumes) {
    const dir = cdpDir(data, volume);
    let replaced: string | null = null;
    if (occupied(dir)) {
      if (!force) throw new VtlError('VTL_RECOVER_REFUSED', `${dir} holds volume ${volume}'s local state: refusing to overwrite it (use --force to replace it; it is kept aside)`);
      replaced = `${dir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dir, replaced);
    }
    const r = await recoverVolume(store, CDP_PREFIX, volume, dir);
    out.push({ volume, newest: r.newest?.toISOString() ?? null, seq: r.seq.toString(), replaced });
  }
  return out;
}
