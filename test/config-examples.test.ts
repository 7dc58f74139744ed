// config/examples/gateway-*.yaml load as `s3vtl serve --config` loads them, say what their
// comments promise (pools, Object Lock, CHAP, the library), and their store URLs parse as the
// S3 store reads them. (amanda.conf is run by integration/4100-amanda-cycle; open-iscsi.md's
// commands by integration/0100-discovery-login.)
import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { parseS3Url, validateS3Options } from '../tapes/stores/s3-config.ts';

const EXAMPLES = fileURLToPath(new URL('../config/examples/', import.meta.url));
const load = (name: string) => loadConfig(path.join(EXAMPLES, name), {}, '/srv');

test('gateway-aws.yaml: AWS S3, Glacier archive, an Object Lock pool, mutual CHAP', (t) => {
  const c = loadConfig(path.join(EXAMPLES, 'gateway-aws.yaml'));
  const s3 = parseS3Url(c.store, {});
  validateS3Options(s3);
  t.like(s3, { bucket: 'vtl-tapes-eu', prefix: 'lib0', region: 'eu-west-1' });
  t.is(s3.endpoint, undefined, 'AWS itself: no endpoint');
  t.like(c.pools.daily, { storageClass: 'STANDARD_IA', archiveClass: 'GLACIER' });
  t.like(c.pools.vault, { archiveClass: 'DEEP_ARCHIVE', objectLock: { mode: 'COMPLIANCE', days: 365 } });
  t.truthy(c.pools.vault?.encryption);
  t.is(c.tapes.syncTo, 'store');
  const tg = c.targets[0]!;
  t.truthy(tg.chap?.mutualSecret);
  t.deepEqual(tg.library?.cartridges.map((b) => [b.prefix, b.pool]), [['DLY', 'daily'], ['VLT', 'vault']]);
});

test('gateway-rgw.yaml: an S3-compatible endpoint from the environment, path style, CHAP, a library', (t) => {
  const c = load('gateway-rgw.yaml');
  t.is(c.data, '/var/lib/s3vtl');
  const s3 = parseS3Url(c.store, { AWS_ENDPOINT_URL_S3: 'http://rgw.example.lan:7480', S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1' });
  validateS3Options(s3);
  t.like(s3, { bucket: 'vtl-tapes', prefix: 'lib0', endpoint: 'http://rgw.example.lan:7480', forcePathStyle: true });
  const tg = c.targets[0]!;
  t.is(tg.chap?.user, 'backup');
  t.like(tg.library, { changer: 'stk-l700', drives: 2, slots: 40 });
  t.like(c.pools.daily, { compression: 'none', archiveClass: 'GLACIER' });
});

test('the store URL form the RGW example mentions in its comments parses too', (t) => {
  const s3 = parseS3Url('s3://vtl-tapes/lib0?endpoint=http://rgw.example.lan:7480&pathStyle=true', {});
  t.like(s3, { endpoint: 'http://rgw.example.lan:7480', forcePathStyle: true });
});
