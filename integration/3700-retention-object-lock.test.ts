// Retention against S3 Object Lock on a real Ceph RGW: a cartridge of a
// locked pool whose retention has expired is held while its objects are
// locked (the plan says until when, and the executor refuses on its own
// too, even when handed a plan that says delete), and deleted once the lock
// has ended. The lock is seconds long here (a config takes whole days; the
// lock policy below is the same code with a shorter span).
// S3VTL_IT_S3_ENDPOINT=http://127.0.0.1:PORT reuses a running RGW.

import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { Catalog } from '../src/catalog/catalog.ts';
import { applyRetention, type ApplyDeps } from '../src/retention/apply.ts';
import { gatherRetentionInput } from '../src/retention/gather.ts';
import { planRetention } from '../src/retention/plan.ts';
import type { RetentionPolicies } from '../src/retention/types.ts';
import { CatalogLibraryState, type Geometry } from '../src/wiring/library-state.ts';
import { provision } from '../src/wiring/provision.ts';
import type { LibraryConfig } from '../src/config.ts';
import { changerProfiles } from '../scsi/profiles/index.ts';
import { CartridgePool } from '../tapes/cartridge-pool.ts';
import { TapeKeys } from '../tapes/keys.ts';
import { listAll, type LockPolicy } from '../tapes/object-store.ts';
import { S3ObjectStore } from '../tapes/stores/s3-store.ts';

const { startRgw } = await import('./lib/rgw.ts');

const BUCKET = 's3vtl-it-3700-retention-lock';
const LOCK_SECONDS = 8;
const lock: LockPolicy = { mode: 'COMPLIANCE', days: LOCK_SECONDS / 86_400 };
const geometry: Geometry = { bases: changerProfiles.get('stk-l700')!.addressBases, slots: 4, mailslots: 0, drives: 1 };
const cfg = {
  name: 'lib0', changer: 'stk-l700', drive: 'ibm-ult3580-td6', drives: 1, slots: 4, mailslots: 0,
  cartridges: [{ prefix: 'LCK', first: 1, count: 1, media: 'L6', capacity: 2 ** 30, pool: 'locked' }],
} as unknown as LibraryConfig;
const policies: RetentionPolicies = { pools: { locked: { keepMs: 1000, from: 'last-write', then: 'delete' } }, volumes: {} };
const silent = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;

test('a locked cartridge is held (plan and executor say until when) and deleted once its lock has ended', async (t) => {
  t.timeout(300_000);
  const scratch = await mkdtemp(path.join(tmpdir(), 'retention-lock-it-'));
  const reuse = process.env.S3VTL_IT_S3_ENDPOINT;
  const rgw = reuse === undefined ? await startRgw('3700-retention-lock', { env: { RGW_OBJECTSTORE: 'memstore' } }) : undefined;
  t.teardown(async () => {
    await rm(scratch, { recursive: true, force: true });
    await rgw?.stop(true);
  });
  const env: Record<string, string | undefined> = rgw?.env ?? process.env;
  const store = new S3ObjectStore({
    endpoint: reuse ?? env.S3_ENDPOINT!, region: env.S3_REGION ?? 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    bucket: BUCKET, prefix: `it/${process.pid}`,
  });
  t.teardown(() => store.close());
  await store.client.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
  });

  const catalog = Catalog.open(':memory:');
  const state = new CatalogLibraryState(catalog, geometry);
  provision(catalog, cfg, geometry, silent);
  const pool = new CartridgePool({ store, prefix: '', stagingDir: path.join(scratch, 'staging'), directory: catalog, sink: catalog, lockPolicy: () => lock });
  const tape = await pool.open('LCK001L6');
  for (let i = 0; i < 4; i++) await tape.write(Buffer.alloc(16_384, i), 16_384);
  await tape.close();
  const keys = new TapeKeys('');
  const listed = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const o of listAll(store, keys.cartridgePrefix('LCK001L6'))) out.push(o.key);
    return out;
  };
  const before = await listed();
  t.true(before.length >= 2, 'a segment and manifests are in the bucket');

  const deps: ApplyDeps = {
    catalog, store, keys, stagingDir: path.join(scratch, 'staging'), shelf: undefined, clock: () => new Date(),
    libraries: {
      libraryOf: (b) => (catalog.elements.whereIs(b) === undefined ? null : 'lib0'),
      remove: async (b) => { const e = catalog.elements.whereIs(b); if (e !== undefined) catalog.elements.clear(e.address); },
      publish: async () => { await state.publish(); },
    },
    holds: () => undefined, lockPolicy: () => lock,
  };
  const plan = async () => planRetention(await gatherRetentionInput({ now: new Date(), policies, pools: { locked: { objectLock: { mode: lock.mode, days: lock.days } } }, catalog }));

  // Expired (keep 1 s) but locked: the plan holds it and says until when.
  await new Promise((r) => setTimeout(r, 1500));
  const held = await plan();
  const action = held.cartridges.find((c) => c.barcode === 'LCK001L6');
  t.is(action?.kind, 'hold');
  t.regex(action?.reason ?? '', /^held: object lock until /);
  // Handed a plan that says delete all the same, the executor refuses while the objects are locked.
  const forced = await applyRetention({ ...held, cartridges: [{ kind: 'delete', barcode: 'LCK001L6', pool: 'locked', bytes: 0, reason: 'forced' }] }, deps);
  t.regex(forced.skipped[0]?.reason ?? '', /^held: object lock \(COMPLIANCE\) until /);
  t.deepEqual(await listed(), before);
  t.truthy(catalog.cartridges.get('LCK001L6'));

  // Once the lock has ended: the plan deletes it, and the executor does.
  await new Promise((r) => setTimeout(r, LOCK_SECONDS * 1000 + 2000));
  const expired = await plan();
  t.is(expired.cartridges.find((c) => c.barcode === 'LCK001L6')?.kind, 'delete');
  const done = await applyRetention(expired, deps);
  t.deepEqual(done.errors, []);
  t.deepEqual(done.applied.map((a) => [a.kind, a.barcode]), [['delete', 'LCK001L6']]);
  t.deepEqual(await listed(), []);
  t.is(catalog.cartridges.get('LCK001L6'), undefined);
  // Every object that left the listing is in the audit log.
  const audited = catalog.audit.since().filter((e) => e.action === 'delete-object').map((e) => e.subject);
  t.true(before.every((k) => audited.includes(k)));
  // The versioned bucket keeps the old versions behind delete markers (their lock has ended: a lifecycle rule can expire them).
  const v = await store.client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: store.prefix + keys.cartridgePrefix('LCK001L6') }));
  t.true((v.DeleteMarkers ?? []).length >= before.length);
});
