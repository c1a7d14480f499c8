import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('--json: errors are JSON on stdout too', () => {
  it('a bad input under --json prints {"error":{code,message}} on stdout, and the one line on stderr', async () => {
    const run = await runCli(['check', '/nonexistent/racelab-history.jsonl', '--model', 'counter', '--json']);
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout) as { schemaVersion: number; error: { code: string; message: string } };
    expect(out.schemaVersion).toBe(1);
    expect(out.error.code).toBe('BAD_HISTORY');
    expect(run.stderr.trim()).toBe(`racelab: ${out.error.message}`);
    const client = await runCli(['client', '--target', '127.0.0.1:1', '--deadline', '0ms', '--json']);
    expect((JSON.parse(client.stdout) as { error: { code: string } }).error.code).toBe('BAD_DURATION');
  });
});
