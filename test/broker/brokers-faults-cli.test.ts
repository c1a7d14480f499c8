/**
 * `racelab demo brokers --restarts` and `--pauses` end to end (spawns the built CLI: `npm run build` first). The
 * restarts run on a private nats-server the CLI starts and kills itself; the shared NATS at :4222 serves --pauses.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tcpAnswers } from '../../src/core/tcp.js';
import { PROGRESS_LINES, exited, runCli as runCliWithin, startCli } from '../helpers/cli.js';
import { NATS_URL, serviceAvailable } from '../helpers/services.js';

const runCli = (args: string[]) => runCliWithin(args, { timeoutMs: 60_000 });
const natsServer = existsSync('/usr/sbin/nats-server');
if (!natsServer) {
  if (process.env.CI === 'true') throw new Error('/usr/sbin/nats-server is missing (CI=true: tests that need it fail rather than skip)');
  console.warn('skipping broker restart CLI tests: /usr/sbin/nats-server is missing');
}
const natsUp = await serviceAvailable('NATS', NATS_URL);

interface Report {
  settings: { restarts: number; pauses: number; brokerDescription: string };
  runs: Array<{ variant: string; verdict: string; consumers: number; acksLost: number; tally: Record<string, number> }>;
}
const byVariant = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as Report).runs.map((x) => [x.variant, x]));

describe('racelab demo brokers: broker restarts and paused consumers', { timeout: 60_000 }, () => {
  it.skipIf(!natsServer)('--restarts 3: a private nats-server SIGKILLed mid-run; naive applies messages again, idempotent exactly once', async () => {
    const r = await runCli(['demo', 'brokers', '--broker', 'nats', '--variants', 'naive,idempotent', '--messages', '12', '--crashes', '0', '--restarts', '3', '--seed', '4', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Report).settings.brokerDescription).toMatch(/^a private nats-server \(nats:\/\/127\.0\.0\.1:\d+/);
    const by = byVariant(r.stdout);
    for (const v of ['naive', 'idempotent']) {
      expect(by[v]?.verdict).not.toBe('inconclusive');
      expect(by[v]?.tally.brokerRestarts).toBe(3);
      expect(by[v]?.tally.lostEffects).toBe(0);
    }
    expect(by.naive?.tally.duplicates).toBe((by.naive?.tally.effectsApplied ?? 0) - 12);
    expect(by.idempotent?.verdict).toBe('holds');
    expect(by.idempotent?.tally.effectsApplied).toBe(12);
    expect(by.idempotent?.tally.duplicates).toBe(0);
  });

  it.skipIf(!natsUp)('--pauses 3: an ack held past the ack wait lets the other consumer take the message; naive applies it twice, idempotent once', async () => {
    const r = await runCli(['demo', 'brokers', '--broker', 'nats', '--variants', 'naive,idempotent', '--messages', '12', '--crashes', '0', '--pauses', '3', '--ack-wait', '500ms', '--seed', '4', '--json']);
    expect(r.code).toBe(0);
    const by = byVariant(r.stdout);
    for (const v of ['naive', 'idempotent']) {
      expect(by[v]?.consumers).toBe(2);
      expect(by[v]?.tally.pauses).toBe(3);
      expect(by[v]?.tally.redeliveries).toBeGreaterThanOrEqual(1);
    }
    expect(by.naive?.verdict).toBe('race');
    expect(by.naive?.tally.duplicates).toBeGreaterThanOrEqual(1);
    expect(by.naive?.tally.duplicates).toBeLessThanOrEqual(3);
    expect(by.idempotent?.verdict).toBe('holds');
    expect(by.idempotent?.tally.effectsApplied).toBe(12);
  });

  it.concurrent.each([
    [['--broker', 'rabbitmq', '--restarts', '2'], /^racelab: --restarts: restarting the broker is implemented for NATS only/],
    [['--broker', 'memory', '--restarts', '1'], /^racelab: --restarts: restarting the broker is implemented for NATS only/],
    [['--broker', 'rabbitmq', '--pauses', '2'], /^racelab: --pauses: RabbitMQ 3\.10 has no per-queue consumer timeout/],
    [['--broker', 'nats', '--restarts', '1', '--kill-processes', '--store', 'postgres'], /--restarts and --kill-processes: use one at a time/],
  ])('refused before anything starts %j: one line, exit 2', async (args, message) => {
    const r = await runCli(['demo', 'brokers', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  it.skipIf(!natsServer)('Ctrl+C during a run with restarts: the private nats-server is gone and its store directory removed', async () => {
    const { child, match } = await startCli(
      ['demo', 'brokers', '--broker', 'nats', '--variants', 'concurrent', '--messages', '400', '--window', '20ms', '--restarts', '2', '--prefix', 'rltest'],
      /to NATS JetStream at nats:\/\/127\.0\.0\.1:(\d+),.*\(store (\S+)\)/,
      30_000,
      PROGRESS_LINES,
    );
    const port = Number(match[1]);
    const storeDir = match[2] as string;
    expect(await tcpAnswers('127.0.0.1', port)).toBe(true);
    expect(existsSync(storeDir)).toBe(true);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(130);
    expect(await tcpAnswers('127.0.0.1', port)).toBe(false);
    expect(existsSync(storeDir)).toBe(false);
  });
});
