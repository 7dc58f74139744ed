// The portal's port: one that something listens on is refused before any
// state is opened; one taken between that check and the listen reads the same.
import { createServer, type Server } from 'node:net';
import test from 'ava';
import { checkPortal, listenError } from '../../src/wiring/portal.ts';

function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

test('a port something listens on is refused with one sentence; a free one passes', async (t) => {
  const { server, port } = await occupy();
  await t.throwsAsync(checkPortal({ host: '127.0.0.1', port }), {
    code: 'VTL_LISTEN',
    message: `cannot listen on 127.0.0.1:${port}: the port is in use (another iSCSI target, or another s3vtl serve?); stop it or choose another port with --listen`,
  });
  t.log('0.0.0.0 is probed on the loopback address.');
  await t.throwsAsync(checkPortal({ host: '0.0.0.0', port }), { code: 'VTL_LISTEN' });
  await new Promise<void>((r) => server.close(() => r()));
  await t.notThrowsAsync(checkPortal({ host: '127.0.0.1', port }));
  await t.notThrowsAsync(checkPortal({ host: '127.0.0.1', port: 0 }));
});

test('listen errors in the operator\'s words; others pass through unchanged', (t) => {
  const p = { host: '10.9.9.9', port: 80 };
  const err = (code: string): Error => Object.assign(new Error(code), { code });
  t.is((listenError(err('EACCES'), p) as Error).message, 'cannot listen on 10.9.9.9:80: permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)');
  t.is((listenError(err('EADDRNOTAVAIL'), p) as Error).message, 'cannot listen on 10.9.9.9:80: 10.9.9.9 is not an address of this machine');
  const other = err('EMFILE');
  t.is(listenError(other, p), other);
});
