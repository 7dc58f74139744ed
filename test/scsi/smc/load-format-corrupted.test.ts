// A cartridge whose description in the store fails its checks (its manifests
// forged or altered, or the newest one gone) does not load: MOVE MEDIUM to a
// drive and LOAD answer MEDIUM ERROR, MEDIUM FORMAT CORRUPTED (03/31/00).
import test from 'ava';
import { MemoryMediaSource, type MemoryMedium } from '../../helpers/memory-medium.ts';
import { cdb, clearUnitAttentions, run } from '../ssc/harness.ts';
import { library, smc } from './fixture.ts';

const SLOT0 = 1000, DRIVE0 = 500;
const MEDIUM_ERROR = 0x3;

/** Opens fail the way the tapes layer fails a cartridge whose manifests do not pass. */
class CorruptableMedia extends MemoryMediaSource {
  corrupt = new Set<string>();
  override async open(barcode: string): Promise<MemoryMedium> {
    if (this.corrupt.has(barcode)) throw Object.assign(new Error(`${barcode}: no manifest passes the checks`), { code: 'VTL_CARTRIDGE_FORMAT' });
    return super.open(barcode);
  }
}

test('MOVE MEDIUM to a drive of a cartridge whose manifests fail: 03/31/00, the cartridge stays in its slot', async (t) => {
  const media = new CorruptableMedia();
  const { changer, drives } = await library({ media });
  media.corrupt.add('A00001L6');
  const r = await run(changer, smc.moveMedium(SLOT0, DRIVE0));
  t.log('MEDIUM ERROR, MEDIUM FORMAT CORRUPTED');
  t.deepEqual([r.sense?.key, r.sense?.asc, r.sense?.ascq], [MEDIUM_ERROR, 0x31, 0x00]);
  t.is(drives[0]?.cartridge(), undefined);
  t.log('once it loads again, the same move succeeds');
  media.corrupt.clear();
  t.is((await run(changer, smc.moveMedium(SLOT0, DRIVE0))).status, 0);
});

test('LOAD of a held cartridge whose manifests fail: 03/31/00', async (t) => {
  const media = new CorruptableMedia();
  const { changer, drives } = await library({ media });
  t.is((await run(changer, smc.moveMedium(SLOT0, DRIVE0))).status, 0);
  const drive = drives[0]!;
  await clearUnitAttentions(drive);
  t.is((await run(drive, cdb.loadUnload({ load: false, hold: true }))).status, 0);
  media.corrupt.add('A00001L6');
  const r = await run(drive, cdb.loadUnload({ load: true }));
  t.deepEqual([r.sense?.key, r.sense?.asc, r.sense?.ascq], [MEDIUM_ERROR, 0x31, 0x00]);
});
