import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';

// A directory that does not exist: the page cannot be written there, and the run must not start.
const NOWHERE = '/nonexistent-racelab-dir/report.html';

describe('--html to a path that cannot be written', () => {
  it.each([
    ['demo grpc', ['demo', 'grpc', '--clients', '1', '--increments', '1']],
    ['demo actors', ['demo', 'actors', '--pattern', 'counter-cast']],
    ['explore', ['explore', '--runs', '10']],
    ['attack', ['attack', '--target', '127.0.0.1:1', '--scenario', 'counter']],
    ['demo impacts', ['demo', 'impacts', '--scenario', 'bank', '--monitor']],
  ])('%s: one line, exit 2, before the run starts', async (_name, args) => {
    const run = await runCli([...args, '--html', NOWHERE]);
    expect(expectOneLineError(run)).toMatch(/^racelab: --html: cannot write \/nonexistent-racelab-dir\/report\.html \(.*\); give a writable file path$/);
    // Nothing ran: no progress lines, no report.
    expect(run.stdout).toBe('');
    expect(existsSync(NOWHERE)).toBe(false);
  });
});
