// cut-away.ts: segments an overwrite cut away leave the store with the last
// kept manifest naming them, and the prune deletes nothing but this
// cartridge's own segment keys and its oldest manifest.

import test from 'ava';
import { CutAwayLedger } from '../../tapes/cut-away.ts';
import { TapeKeys } from '../../tapes/keys.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

const keys = new TapeKeys('p');
const OWN = 'OWN001L6', OTHER = 'OTH001L6';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

test('the prune deletes the oldest kept manifest and the segments only it named; foreign keys are never taken in', async (t) => {
  const store = new MemoryObjectStore();
  const mine = [keys.segment(OWN, 0, 1), keys.segment(OWN, 0, 2)];
  const foreign = [keys.segment(OTHER, 0, 1), keys.manifest(OTHER, 1), keys.manifest(OWN, 9)];
  // Not a key a store takes, but a manifest could name it.
  const climbing = 'p/tapes/OWN001L6/seg/../../OTH001L6/seg/0000000000000000-00000001.seg';
  for (const k of [...mine, ...foreign, keys.manifest(OWN, 1), keys.manifest(OWN, 2)]) await store.put(k, Buffer.from('x'));
  const ledger = new CutAwayLedger({
    store, keys, barcode: OWN, keep: 2,
    initial: [{ key: mine[0]!, until: 1 }, ...[...foreign, climbing].map((key) => ({ key, until: 1 }))],
  });
  for (const key of [...foreign, climbing]) ledger.add(key, 1);
  ledger.add(mine[1]!, 2);
  t.log('only the cartridge\'s own segment keys are remembered');
  t.deepEqual(ledger.entries.map((e) => e.key), mine);
  t.log('manifest 3 carries what its prune (of version 1) does not delete');
  t.deepEqual(ledger.carriedBy(3).map((e) => e.key), [mine[1]]);
  ledger.prune(3, (e) => t.fail(String(e)));
  await settle();
  t.false(store.keys().includes(mine[0]!));
  t.false(store.keys().includes(keys.manifest(OWN, 1)));
  t.true(store.keys().includes(mine[1]!));
  for (const k of foreign) t.true(store.keys().includes(k), k);
  t.deepEqual(ledger.entries.map((e) => e.key), [mine[1]]);
});

test('keeping every manifest version, nothing is remembered or deleted', async (t) => {
  const store = new MemoryObjectStore();
  await store.put(keys.manifest(OWN, 1), Buffer.from('x'));
  const ledger = new CutAwayLedger({ store, keys, barcode: OWN, keep: 0 });
  ledger.add(keys.segment(OWN, 0, 1), 1);
  ledger.prune(100, (e) => t.fail(String(e)));
  await settle();
  t.deepEqual(ledger.entries, []);
  t.deepEqual(store.keys(), [keys.manifest(OWN, 1)]);
});
