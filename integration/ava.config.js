// ava config for the black-box integration suites (npm run test:integration).
// Serial: the suites start targets, QEMU guests and RGW, which compete for 2 cores and ports.
export default {
  files: ['integration/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false, // with worker threads ava cannot load .ts files through tsx
  serial: true,
  concurrency: 1,
  timeout: '30m', // ava's timeout is an inactivity timeout per test file (2200 boots three guests in one hook)
};
