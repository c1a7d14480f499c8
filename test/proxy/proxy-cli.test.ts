import * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { callUnary } from '../../src/grpc/index.js';
import type { ProxyStats } from '../../src/proxy/index.js';
import { counterClient, startCounterServer, type CounterServer } from '../../src/scenarios/counter/index.js';
import { exited, exitedWithin, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

// The CLI runs from dist/: `npm test` builds first.
let server: CounterServer | undefined;
const holders: net.Server[] = [];
afterAll(async () => {
  await server?.close(100);
  for (const h of holders) await new Promise<void>((r) => h.close(() => r()));
});

async function counterTarget(): Promise<string> {
  server ??= await startCounterServer({ variant: 'atomic', port: 0, delayMs: 0 });
  return `127.0.0.1:${server.port}`;
}

async function incrementThrough(port: number, times: number): Promise<number> {
  const client = counterClient(`127.0.0.1:${port}`);
  try {
    for (let i = 0; i < times; i++) expect((await callUnary(client, 'Increment', {}, { deadlineMs: 10_000 })).error).toBeUndefined();
    const r = await callUnary<object, { value: string | number }>(client, 'GetValue', {}, { deadlineMs: 10_000 });
    return Number(r.response?.value);
  } finally {
    client.close();
  }
}

const READY = /Proxying 127\.0\.0\.1:(\d+) →/;

describe('racelab proxy', () => {
  it('starts, carries gRPC calls, and on SIGTERM closes everything, prints its stats and exits 0', async () => {
    const target = await counterTarget();
    const before = await incrementThrough(server!.port, 0);
    const { child, match, output } = await startCli(['proxy', '--listen', ':0', '--target', target, '--delay', '5ms', '--jitter', '2ms', '--seed', '7'], READY);
    expect(await incrementThrough(Number(match[1]), 3)).toBe(before + 3);
    child.kill('SIGTERM');
    expect((await exitedWithin(child, 20_000, output)).code).toBe(0);
    const text = output();
    expect(text).toContain(`→ ${target}: delay 5ms + jitter up to 2ms per segment, MSS 1460 bytes, seed 7`);
    expect(text).toMatch(/connections: 1 accepted, 0 open, 0 failed to reach the target/);
    const row = /client → target\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)ms/.exec(text);
    expect(row, text).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThan(0);
    expect(Number(row![3])).toBeLessThanOrEqual(1460);
    expect(Number(row![4])).toBeGreaterThanOrEqual(5); // the smallest measured added delay is at least --delay
  });

  it('--json prints the stats as one JSON object on stdout', async () => {
    const target = await counterTarget();
    const { child, match } = await startCli(['proxy', '--listen', '127.0.0.1:0', '--target', target, '--delay', '3ms', '--jitter', '0', '--mss', '200', '--json'], READY);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await incrementThrough(Number(match[1]), 2);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
    const stats = JSON.parse(stdout) as ProxyStats;
    expect(stats.mss).toBe(200);
    expect(stats.delayMs).toBe(3);
    expect(typeof stats.seed).toBe('number');
    expect(stats.connections.accepted).toBe(1);
    expect(stats.connections.open).toBe(0);
    expect(stats.clientToTarget.largestSegmentBytes).toBeLessThanOrEqual(200);
    expect(stats.targetToClient.segments).toBeGreaterThan(0);
    expect(stats.targetToClient.addedDelayMs.min).toBeGreaterThanOrEqual(3);
  });

  it('warns at start when nothing answers at the target, and still runs', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { child, output } = await startCli(['proxy', '--listen', ':0', '--target', `127.0.0.1:${port}`], /warning: nothing answers at [^\n]+\n/);
    expect(output()).toContain(`warning: nothing answers at 127.0.0.1:${port} yet`);
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
  });

  it('every bad input is one line on stderr and exit 2', async () => {
    const holder = net.createServer();
    holders.push(holder);
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const taken = (holder.address() as net.AddressInfo).port;
    const good = ['--listen', ':0', '--target', '127.0.0.1:1'];
    const cases: Array<[string[], RegExp]> = [
      [['--listen', 'nope', '--target', '127.0.0.1:1'], /--listen: "nope" is not host:port/],
      [['--listen', ':99999', '--target', '127.0.0.1:1'], /--listen: port 99999 is out of range/],
      [['--listen', '10.255.255.1:0', '--target', '127.0.0.1:1'], /--listen: 10\.255\.255\.1 is not an address of this machine/],
      [['--listen', `127.0.0.1:${taken}`, '--target', '127.0.0.1:1'], new RegExp(`--listen: 127\\.0\\.0\\.1:${taken} is already in use`)],
      [['--listen', ':0', '--target', 'nohost'], /--target: "nohost" is not host:port/],
      [['--listen', ':0', '--target', 'host:0'], /--target: port 0 is out of range/],
      [['--listen', ':0'], /required option '--target/],
      [[...good, '--delay', '5parsecs'], /--delay: "5parsecs" is not a duration/],
      [[...good, '--delay', '2h'], /--delay: 2h is too long/],
      [[...good, '--jitter', '-5ms'], /--jitter: "-5ms" is negative/],
      [[...good, '--jitter=-1'], /--jitter: "-1" is negative/],
      [[...good, '--mss', '0'], /--mss: "0" must be a whole number from 1 to 65535/],
      [[...good, '--mss', '65536'], /--mss: "65536" must be a whole number from 1 to 65535/],
      [[...good, '--mss', '1.5'], /--mss/],
      [[...good, '--seed', 'abc'], /--seed: "abc" must be a whole number/],
      [[...good, '--mss', '1460', '--max-queued', '1000'], /--max-queued: "1000" must be a whole number from 1460 to/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['proxy', ...args], { timeoutMs: 20_000 })));
    runs.forEach((run, i) => {
      const line = expectOneLineError(run);
      expect(line, cases[i]![0].join(' ')).toMatch(cases[i]![1]);
      expect(run.stdout).toBe('');
    });
  });
});
