import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';

// Bad input to the inventory and session scenarios: one line naming the fix, exit 2 (expectOneLineError checks both).
describe('racelab --scenario inventory|session: bad input', () => {
  it('a variant the scenario does not have, and one its store cannot run', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'inventory', '--variant', 'atomic']))).toMatch(/"atomic" is not a inventory variant; use one of vulnerable, mutex, cas, txn, pg-conditional, redis-lua/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'session', '--variant', 'redis-lua']))).toMatch(/"redis-lua" needs a real redis server, which the explorer cannot schedule; explore one of vulnerable, mutex, cas, txn/);
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'session', '--variant', 'pg-conditional']))).toMatch(/pg-conditional of session needs a PostgreSQL store, but --store is memory/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'inventory', '--clients', '4']))).toMatch(/--clients: "4" must be a whole number from 1 to 3 for --scenario inventory/);
  });
});
