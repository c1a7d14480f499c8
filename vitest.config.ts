import { defineConfig } from 'vitest/config';
import racelab from './src/instrument/vite.js';

export default defineConfig({
  // The user-shaped code the explorer is tested on (issue 12) is instrumented as a user's would be: as written,
  // not one line of it imports racelab. So is async-mutex, the lock its fixes use, named as a user names a
  // dependency to instrument (the plugin makes Vitest inline it): uninstrumented, its acquire resumes without a
  // point while a task waits on it, which makes the run inconclusive. Nothing else is: racelab's own code and
  // tests run untransformed.
  // The task functions of the tests that explore user-shaped code with ambient awaits run code after their last
  // await (they count what was paid out), so their files are instrumented too, as the README tells a user.
  plugins: [racelab({ include: ['test/fixtures/user-code/**', 'test/helpers/wallet-workload.ts', '**/node_modules/async-mutex/**'] })],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Generous: many tests start several CLI processes at once, and CI shares two cores with the servers they
    // start. A limit here only says how long a hung test may take to fail; no test asserts a duration.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Race tests measure real concurrency: two cores, so keep parallel files few. Three, not two: much of a file's
    // time is spent waiting (check-then-write windows, ack waits, processes starting), which a third file fills.
    maxWorkers: 3,
    // grpc-js logs expected failures (a port in use) on its own; the CLI silences it the same way.
    env: { GRPC_VERBOSITY: process.env.GRPC_VERBOSITY ?? 'NONE' },
  },
});
