import test from 'ava';
import { Catalog } from '../../src/catalog/catalog.ts';
import { applyRetention, applySummary } from '../../src/retention/apply.ts';
import { recoverCatalog } from '../../src/recovery/recover.ts';
import { act, deps, fixture, keysOf, libraryConfig, plan, wrapStore, writeTape } from './fixture.ts';

test('recycle: the cartridge reads as blank, keeps its barcode and slot, and every old object is deleted and audited', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 20);
  const before = await keysOf(f.store, 'tapes/RET001L6/');
  const slot = f.catalog.elements.whereIs('RET001L6')!.address;
  const r = await applyRetention(plan([act('recycle', 'RET001L6')]), deps(f));
  t.deepEqual(r.errors, []);
  t.is(r.applied.length, 1);

  // Only the blank manifest is left in the store, one version above the old ones.
  const after = await keysOf(f.store, 'tapes/RET001L6/');
  t.is(after.length, 1);
  t.false(before.includes(after[0]!));
  // The catalog row is an empty scratch tape in the same slot.
  const c = f.catalog.cartridges.require('RET001L6');
  t.like(c, { state: 'scratch', bytesWritten: 0, eodObjectId: 0, lastWrittenAt: null });
  t.is(f.catalog.elements.whereIs('RET001L6')!.address, slot);
  t.deepEqual(f.catalog.segments('RET001L6'), []);
  // Every object deleted is in the audit log, written by retention.
  const audit = f.catalog.audit.since();
  t.deepEqual(audit.filter((a) => a.action === 'delete-object').map((a) => a.subject).sort(), before.sort());
  t.true(audit.every((a) => a.actor === 'retention'));
  t.deepEqual(audit.filter((a) => a.action !== 'delete-object').map((a) => a.action), ['recycle', 'recycle-done']);
  // Loaded again, the first READ is end of data, like a new cartridge.
  const tape = await f.pool.open('RET001L6');
  t.deepEqual(await tape.read(), { kind: 'end-of-data' });
  // A new write starts a segment whose key no old segment had.
  await tape.write(Buffer.alloc(4096, 9), 4096);
  await tape.close();
  t.like(f.catalog.cartridges.require('RET001L6'), { state: 'in-use', eodObjectId: 1 });
  t.is((await keysOf(f.store, 'tapes/RET001L6/seg/')).filter((k) => before.includes(k)).length, 0);
  t.regex(applySummary(r), /1 recycled, 0 archived, 0 deleted/);
});

test('recover after a recycle finds an empty tape, not the old data', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 10);
  await applyRetention(plan([act('recycle', 'RET001L6')]), deps(f));
  const rebuilt = Catalog.open(':memory:');
  await recoverCatalog(rebuilt, f.store, [libraryConfig]);
  t.like(rebuilt.cartridges.require('RET001L6'), { bytesWritten: 0, eodObjectId: 0, state: 'scratch' });
});

test('delete: the cartridge leaves the catalog and its slot, and nothing of it stays in the store', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET003L6', 10);
  const before = await keysOf(f.store, 'tapes/RET003L6/');
  const r = await applyRetention(plan([act('delete', 'RET003L6')]), deps(f));
  t.deepEqual(r.errors, []);
  t.is(f.catalog.cartridges.get('RET003L6'), undefined);
  t.is(f.catalog.elements.whereIs('RET003L6'), undefined);
  t.deepEqual(await keysOf(f.store, 'tapes/RET003L6/'), []);
  // The audit names every object listed before plus the blank manifest written first and deleted last.
  const deleted = f.catalog.audit.since().filter((a) => a.action === 'delete-object').map((a) => a.subject);
  t.is(deleted.length, before.length + 1);
  t.true(before.every((k) => deleted.includes(k)));
});

test('archive: the cartridge leaves its slot for the shelf (directory store: nothing moves)', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET002L6', 5);
  const before = await keysOf(f.store, 'tapes/RET002L6/seg/');
  const r = await applyRetention(plan([act('archive', 'RET002L6')]), deps(f));
  t.deepEqual(r.errors, []);
  t.is(f.catalog.elements.whereIs('RET002L6'), undefined);
  t.is(f.shelf.row('RET002L6')?.library, 'lib0');
  t.is(f.catalog.cartridges.require('RET002L6').state, 'exported');
  t.deepEqual(await keysOf(f.store, 'tapes/RET002L6/seg/'), before);
  // Applying the same plan again does nothing more.
  const again = await applyRetention(plan([act('archive', 'RET002L6')]), deps(f));
  t.deepEqual(again.applied, []);
  t.deepEqual(again.skipped.map((s) => s.reason), ['already on the shelf']);
});

test('a held cartridge (loaded since the plan) is skipped with the reason, and nothing of it is deleted', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 3);
  const before = await keysOf(f.store);
  const r = await applyRetention(plan([act('recycle', 'RET001L6'), act('delete', 'RET002L6')]), deps(f, {
    holds: (b) => (b === 'RET001L6' ? 'held: loaded in drive 0 of lib0' : b === 'RET002L6' ? 'held: restore in progress' : undefined),
  }));
  t.deepEqual(r.skipped.map((s) => s.reason), ['held: loaded in drive 0 of lib0', 'held: restore in progress']);
  t.deepEqual(await keysOf(f.store), before);
  t.deepEqual(f.catalog.audit.since(), []);
});

test('objects still under Object Lock are not touched: the action is skipped saying until when', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 3);
  const before = await keysOf(f.store);
  const r = await applyRetention(plan([act('delete', 'RET001L6')]), deps(f, { lockPolicy: () => ({ mode: 'COMPLIANCE', days: 1 }) }));
  t.regex(r.skipped[0]?.reason ?? '', /^held: object lock \(COMPLIANCE\) until 20\d\d-/);
  t.deepEqual(await keysOf(f.store), before);
  // A day later (the clock moved on), it goes (the directory store cannot lock: this one takes the lock and drops it).
  const locking = wrapStore(f.store, { put: (k, b, o) => f.store.put(k, b, { ...o, lock: undefined }) });
  const later = await applyRetention(plan([act('delete', 'RET001L6')]), deps(f, {
    store: locking, lockPolicy: () => ({ mode: 'COMPLIANCE', days: 1 }), clock: () => new Date(Date.now() + 86_400_000 + 60_000),
  }));
  t.is(later.applied.length, 1);
  t.deepEqual(await keysOf(f.store, 'tapes/RET001L6/'), []);
});

test('a pass that fails half-way leaves its task; the next pass finishes it with no audit entry twice', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 10);
  const failing = wrapStore(f.store, { delete: () => Promise.reject(new Error('store unreachable')) });
  const r1 = await applyRetention(plan([act('recycle', 'RET001L6')]), deps(f, { store: failing }));
  t.is(r1.errors[0]?.message, 'store unreachable');
  t.is(f.catalog.retentionTasks.list().length, 1);
  // Already blank for the catalog (the blank manifest was written before any delete).
  t.is(f.catalog.cartridges.require('RET001L6').state, 'scratch');
  const audited = f.catalog.audit.since().length;
  // The next pass, whose plan no longer names the cartridge, finishes it.
  const r2 = await applyRetention(plan([]), deps(f));
  t.deepEqual(r2.applied.map((a) => [a.barcode, a.resumed]), [['RET001L6', true]]);
  t.deepEqual(f.catalog.retentionTasks.list(), []);
  t.is(f.catalog.audit.since().length, audited + 1);
  t.is((await keysOf(f.store, 'tapes/RET001L6/')).length, 1);
});

test('the same plan applied twice: the second pass does nothing', async (t) => {
  const f = await fixture();
  await writeTape(f, 'RET001L6', 4);
  const p = plan([act('recycle', 'RET001L6'), act('delete', 'RET004L6')]);
  await applyRetention(p, deps(f));
  const audited = f.catalog.audit.since().length;
  const keys = await keysOf(f.store, 'tapes/');
  const r = await applyRetention(p, deps(f));
  t.deepEqual(r.applied, []);
  t.deepEqual(r.skipped.map((s) => s.reason), ['already blank scratch', 'already deleted']);
  t.is(f.catalog.audit.since().length, audited);
  t.deepEqual(await keysOf(f.store, 'tapes/'), keys);
});

test('volumes: each plan with deletions goes to the CDP thinning executor, its audit entries recorded as retention', async (t) => {
  const f = await fixture();
  const volume = {
    volume: 'vol1', held: [], bytesFreed: 4096,
    plan: { volume: 'vol1', now: new Date(), windowStart: new Date(), keep: [], basesNeeded: [], basesKept: [], delete: [{ key: 'cdp/vol1/jnl/01', kind: 'journal' as const, reason: 'thinned' }] },
  };
  const quiet = { volume: 'vol2', held: [], bytesFreed: 0, plan: { ...volume.plan, volume: 'vol2', delete: [] } };
  const seen: string[] = [];
  const r = await applyRetention({ ...plan([]), volumes: [volume, quiet] }, deps(f, {
    thinVolume: async (a, audit) => {
      seen.push(a.volume);
      audit({ actor: 'someone', action: 'delete-object', subject: a.plan.delete[0]!.key });
      return { deleted: [a.plan.delete[0]!.key], built: [] };
    },
  }));
  // Only the volume with something to delete is thinned.
  t.deepEqual(seen, ['vol1']);
  t.deepEqual(r.volumes, [{ volume: 'vol1', deleted: 1, built: 0 }]);
  t.is(r.bytesFreed, 4096);
  t.like(f.catalog.audit.since()[0], { actor: 'retention', action: 'delete-object', subject: 'cdp/vol1/jnl/01' });
});
