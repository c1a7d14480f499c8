import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startCounterServer, type CounterServer, type GrpcDemoReport } from '../../src/scenarios/counter/index.js';
import { PG_URL, serviceAvailable } from '../helpers/services.js';
import { PROGRESS_LINES, exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

/** PIDs of processes whose command line contains `needle` (other than this test's own pgrep). */
function processesMatching(needle: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', needle], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Whether PostgreSQL answers (false: skipped, saying why); under CI=true an unreachable one is the test's error. */
const postgres = await serviceAvailable('PostgreSQL', PG_URL).catch((e: unknown) => e as Error);

const servers: CounterServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close(100);
});

describe('racelab demo grpc', () => {
  it('shows lost updates for vulnerable and none for mutex, as a JSON report', async () => {
    const run = await runCli(['demo', 'grpc', '--clients', '3', '--increments', '4', '--delay', '60ms', '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as GrpcDemoReport;
    expect(report.kind).toBe('grpc-demo');
    expect(report.settings).toEqual({ clients: 3, increments: 4, delayMs: 60, maxConcurrency: 10, store: 'memory' });
    const [vulnerable, mutex] = report.runs;
    expect(vulnerable?.variant).toBe('vulnerable');
    expect(vulnerable?.acknowledged).toBe(12);
    expect(vulnerable?.lostUpdates).toBeGreaterThan(0);
    expect(vulnerable?.finalValue).toBe(12 - (vulnerable?.lostUpdates ?? 0));
    expect(mutex?.variant).toBe('mutex');
    expect(mutex?.finalValue).toBe(12);
    expect(mutex?.lostUpdates).toBe(0);
    // The explanation quotes this run's numbers.
    expect(report.explanation.join(' ')).toContain(`the counter ended at ${vulnerable?.finalValue}`);
    expect(report.explanation.join(' ')).toContain(`${vulnerable?.lostUpdates} acknowledged updates`);
    // Clients started on one barrier: the vulnerable handlers overlapped, the mutex ones answered one by one.
    expect(vulnerable?.maxHandlersInFlight).toBeGreaterThan(1);
    expect(mutex?.completionWaveMedian).toBe(1);
  });

  it('prints the side-by-side table and the explanation as text', async () => {
    const run = await runCli(['demo', '--clients', '2', '--increments', '2', '--delay', '40ms'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/lost updates\s+\d+ \(\d+%\)\s+0 \(0%\)/);
    expect(run.stdout).toContain('The seed says a vulnerable server "returns responses one by one"');
  });

  it.skipIf(postgres === false)('--store postgres: the same race and its fixes on PostgreSQL, each variant on a namespace of its own, removed afterwards', async () => {
    if (postgres instanceof Error) throw postgres; // CI=true and no PostgreSQL: fail, do not skip
    const run = await runCli(['demo', 'grpc', '--store', 'postgres', '--variants', 'vulnerable,pg-for-update', '--clients', '3', '--increments', '4', '--delay', '40ms', '--json'], {
      timeoutMs: 60_000,
      env: { RACELAB_PG_URL: PG_URL },
    });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as GrpcDemoReport;
    expect(report.settings.store).toContain('postgres://postgres@127.0.0.1');
    const [vulnerable, forUpdate] = report.runs;
    expect(vulnerable?.lostUpdates).toBeGreaterThan(0);
    expect(forUpdate?.finalValue).toBe(12);
    expect(forUpdate?.lostUpdates).toBe(0);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const left = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM racelab_store WHERE namespace LIKE 'demo-grpc-%'");
      expect(left.rows[0]?.n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('Ctrl+C mid-run exits 130 and leaves no client process running', async () => {
    const { child, match } = await startCli(['demo', '--clients', '3', '--increments', '50', '--delay', '200ms'], /server on (localhost:\d+); starting/, 15_000, PROGRESS_LINES);
    const target = match[1]!;
    // Wait until the client processes exist, then interrupt.
    for (let i = 0; i < 50 && processesMatching(`client --target ${target}`).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMatching(`client --target ${target}`).length).toBe(3);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(130);
    for (let i = 0; i < 20 && processesMatching(`client --target ${target}`).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMatching(`client --target ${target}`)).toEqual([]);
  });
});

describe('racelab serve and client', () => {
  it('serves, counts the seed client\'s increments, and stops gracefully on SIGTERM', async () => {
    const { child, match } = await startCli(['serve', '--variant', 'mutex', '--port', '0', '--delay', '0ms'], /on (localhost:\d+)/);
    const target = match[1]!;
    const client = await runCli(['client', '--target', target, '--increments', '5']);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout.trim()).toBe('Current value: 5');
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    const again = await runCli(['client', '--target', target, '--increments', '1', '--connect-timeout', '300ms']);
    expectOneLineError(again);
  });

  it('Ctrl+C stops serve gracefully too', async () => {
    const { child, output } = await startCli(['serve', '--port', '0'], /on localhost:\d+/);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
    expect(output()).toContain('Server stopped.');
  });
});

describe('bad input: one line, exit 2, nothing left running', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown variant', ['serve', '--variant', 'optimistic'], /--variant: "optimistic" is not a counter variant; use one of vulnerable, mutex/],
    ['an address that is not this machine\'s', ['serve', '--host', '10.255.255.1', '--port', '0'], /^racelab: --host: 10\.255\.255\.1 is not an address of this machine; use 127\.0\.0\.1, or an address of one of its interfaces/],
    ['bad port', ['serve', '--port', '99999'], /--port: "99999" is not a TCP port/],
    ['port not a number', ['serve', '--port', 'http'], /--port: "http" is not a TCP port/],
    ['bad duration', ['serve', '--delay', '5 parsecs'], /--delay: "5 parsecs" is not a duration; write e\.g\. 500ms/],
    ['negative count', ['demo', '--clients', '-4'], /--clients: "-4" must be a whole number from 1 to 64/],
    ['absurd count', ['demo', '--increments', '1000000000'], /--increments: "1000000000" must be a whole number from 1 to 10000/],
    ['not a count', ['client', '--increments', 'ten'], /--increments: "ten" must be a whole number/],
    ['bad target', ['client', '--target', 'localhost'], /--target: "localhost" is not host:port/],
    ['unreachable target', ['client', '--target', '127.0.0.1:1', '--connect-timeout', '300ms'], /--target: nothing answers gRPC at 127\.0\.0\.1:1/],
    ['unknown demo variant', ['demo', '--variants', 'vulnerable,nope'], /--variant: "nope" is not a counter variant/],
    ['demo variant the store cannot run', ['demo', '--variants', 'vulnerable,pg-atomic'], /--variant: pg-atomic needs a PostgreSQL store, but --store is memory; use --store postgres/],
    ['demo store that is not one', ['demo', '--store', 'mysql://db'], /--store: "mysql:\/\/db" is not a store/],
    ['demo store where nothing answers', ['demo', '--store', 'postgres://postgres@127.0.0.1:1/test'], /^racelab: --store: nothing answers PostgreSQL at 127\.0\.0\.1:1 \(connection refused\); start the server or fix host and port in postgres:\/\/postgres@127\.0\.0\.1:1\/test$/],
    ['demo with two stores', ['demo', '--store', 'postgres,redis'], /--store: "postgres,redis" names 2 stores; give one/],
    ['unknown option', ['serve', '--colour'], /unknown option '--colour'/],
    ['unknown command', ['serv'], /unknown command 'serv'; did you mean serve\?/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const run = await runCli(args);
      expect(expectOneLineError(run)).toMatch(message);
      expect(run.stdout).toBe('');
    });
  }

  it('port in use', async () => {
    const busy = await startCounterServer({ variant: 'mutex', delayMs: 0 });
    servers.push(busy);
    const run = await runCli(['serve', '--port', String(busy.port)]);
    expect(expectOneLineError(run)).toMatch(new RegExp(`--port: localhost:${busy.port} is already in use; stop what listens there or pick another port`));
  });
});
