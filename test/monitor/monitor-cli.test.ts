import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { GrpcDemoReport } from '../../src/index.js';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

const taken: Server[] = [];
afterAll(() => {
  for (const s of taken) s.close();
});

/** A loopback port something already listens on. */
async function busyPort(): Promise<number> {
  const s = createServer();
  taken.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as { port: number }).port;
}

describe('racelab demo grpc --monitor', () => {
  it('the monitor flags the vulnerable server, as many as the demo measured lost, and nothing on mutex', async () => {
    const run = await runCli(['demo', 'grpc', '--monitor', '--clients', '3', '--increments', '4', '--delay', '60ms', '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as GrpcDemoReport;
    const [vulnerable, mutex] = report.runs;
    expect(vulnerable!.lostUpdates).toBeGreaterThan(0);
    expect(Math.abs(vulnerable!.monitor!.suspectedLostUpdates - vulnerable!.lostUpdates)).toBeLessThanOrEqual(vulnerable!.unknown);
    expect(mutex!.monitor).toMatchObject({ suspectedLostUpdates: 0, versionRegressions: 0 });
    expect(mutex!.monitor!.requests).toBeGreaterThanOrEqual(12);
    // One pino line per suspect on stderr, naming both requests.
    const suspects = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { monitor: string; lost: number; first: { request: string }; second: { request: string } });
    expect(suspects.every((s) => s.monitor === 'demo grpc vulnerable' && s.first.request !== s.second.request)).toBe(true);
    expect(suspects.reduce((n, s) => n + s.lost, 0)).toBe(vulnerable!.monitor!.suspectedLostUpdates);
  }, 90_000);
});

describe('racelab serve --metrics', () => {
  it('serves /metrics on loopback while the counter runs, and stops on Ctrl+C', async () => {
    const { child, match } = await startCli(['serve', '--variant', 'mutex', '--port', '0', '--delay', '0ms', '--metrics', ':0'], /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    try {
      const res = await fetch(match[1]!);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE racelab_monitor_suspected_lost_updates_total counter');
    } finally {
      child.kill('SIGINT');
    }
    expect((await exited(child)).code).toBe(0);
  }, 30_000);

  it('a metrics port in use is one line and exit code 2, before the gRPC server starts', async () => {
    const port = await busyPort();
    const run = await runCli(['serve', '--port', '0', '--metrics', `127.0.0.1:${port}`]);
    expect(expectOneLineError(run)).toMatch(new RegExp(`--metrics: 127\\.0\\.0\\.1:${port} is already in use`));
    expect(run.stdout).not.toContain('Starting');
  });

  it('a metrics address that is not this machine\'s is one line and exit code 2, like the gRPC server\'s', async () => {
    const run = await runCli(['serve', '--port', '0', '--metrics', '10.255.255.1:0']);
    expect(expectOneLineError(run)).toMatch(/^racelab: --metrics: 10\.255\.255\.1 is not an address of this machine; use 127\.0\.0\.1/);
    expect(run.stdout).not.toContain('Starting');
  });

  it('watches an impact scenario too: the vulnerable bank under an attack is flagged, and the closing line counts it', async () => {
    const { child, match } = await startCli(
      ['serve', '--scenario', 'bank', '--variant', 'vulnerable', '--port', '0', '--delay', '40ms', '--metrics', ':0'],
      /on (localhost:\d+)[^]*metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/,
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const attack = await runCli(['attack', '--target', match[1]!, '--scenario', 'bank', '--count', '6', '--rounds', '2'], { timeoutMs: 60_000 });
      expect(attack.code, attack.stderr).toBe(1);
      const metrics = await (await fetch(match[2]!)).text();
      const suspects = Number(/^racelab_monitor_suspected_lost_updates_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]);
      expect(suspects).toBeGreaterThan(0);
    } finally {
      child.kill('SIGINT');
    }
    expect((await exited(child)).code).toBe(0);
    expect(stdout).toMatch(/Race monitor: \d+ requests, [1-9]\d* suspected lost updates?, from \d+ reads and writes of the Store\./);
  }, 90_000);

  it('--metrics with --replicas on a scenario is refused in one line', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bank', '--replicas', '2', '--store', 'memory', '--metrics', ':0']))).toMatch(/--metrics: watches one server process/);
  });

  it('a malformed address is one line and exit code 2', async () => {
    expect(expectOneLineError(await runCli(['serve', '--metrics', 'nine']))).toMatch(/--metrics: "nine" is not a listen address; use :9464/);
  });
});
