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

describe('--json: a command line commander refuses is JSON on stdout too', () => {
  // One per kind of refusal: the code a script switches on, and the message commander gave, as the stderr line.
  const cases: ReadonlyArray<{ args: string[]; code: string; message: RegExp }> = [
    { args: ['check', '--json', '--model', 'counter', '--bogus', 'h.jsonl'], code: 'UNKNOWN_OPTION', message: /^unknown option '--bogus'/ },
    { args: ['check', '--json', '--model', 'counter'], code: 'MISSING_ARGUMENT', message: /^missing required argument 'history'$/ },
    { args: ['check', '--json', 'h.jsonl'], code: 'MISSING_OPTION', message: /^required option '--model <name>' not specified$/ },
    { args: ['check', 'h.jsonl', '--json', '--model'], code: 'MISSING_OPTION_VALUE', message: /^option '--model <name>' argument missing$/ },
    { args: ['publish', '--json', '--sync', 'sideways'], code: 'BAD_CHOICE', message: /^option '--sync <mode>' argument 'sideways' is invalid\. Allowed choices are parallel, connections\.$/ },
    { args: ['check', 'a.jsonl', 'b.jsonl', '--json', '--model', 'counter'], code: 'EXCESS_ARGUMENTS', message: /^too many arguments for 'check'/ },
    { args: ['explorr', '--json'], code: 'UNKNOWN_COMMAND', message: /^unknown command 'explorr'; did you mean explore\?$/ },
  ];
  for (const c of cases) {
    it(`${c.code}: racelab ${c.args.join(' ')}`, async () => {
      const run = await runCli(c.args);
      expect(run.code).toBe(2);
      const out = JSON.parse(run.stdout) as { schemaVersion: number; error: { code: string; message: string } };
      expect(Object.keys(out)).toEqual(['schemaVersion', 'error']);
      expect(out.schemaVersion).toBe(1);
      expect(out.error.code).toBe(c.code);
      expect(out.error.message).toMatch(c.message);
      expect(run.stderr).toBe(`racelab: ${out.error.message}\n`);
    });
  }

  it('without --json, the same refusals are one line on stderr and nothing on stdout', async () => {
    const run = await runCli(['check', '--model', 'counter', '--bogus', 'h.jsonl']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("racelab: unknown option '--bogus'\n");
  });
});
