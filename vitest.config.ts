import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Race tests measure real concurrency: two cores, so keep parallel files few.
    maxWorkers: 2,
    // grpc-js logs expected failures (a port in use) on its own; the CLI silences it the same way.
    env: { GRPC_VERBOSITY: process.env.GRPC_VERBOSITY ?? 'NONE' },
  },
});
