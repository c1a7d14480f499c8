/** `racelab demo brokers` end to end (spawns the built CLI: `npm run build` first). */
import { describe, expect, it } from 'vitest';
import { brokerNamespace } from '../../src/broker/names.js';
import type { NatsBroker } from '../../src/broker/nats.js';
import { openBroker } from '../../src/broker/open.js';
import type { RabbitBroker } from '../../src/broker/rabbitmq.js';
import { PROGRESS_LINES, exited, runCli as runCliWithin, startCli } from '../helpers/cli.js';
import { AMQP_URL, NATS_URL, serviceAvailable } from '../helpers/services.js';

/** Each CLI start costs seconds on a loaded machine: wide limits, asserting outcomes, not durations. */
const runCli = (args: string[]) => runCliWithin(args, { timeoutMs: 90_000 });

const natsUp = await serviceAvailable('NATS', NATS_URL);
const rabbitUp = await serviceAvailable('RabbitMQ', AMQP_URL);

/** What the CLI's run made that is still on the broker: streams by prefix (NATS), the variant's queue and exchange by name (RabbitMQ). */
async function leftBehind(kind: 'nats' | 'rabbitmq', namespace: string): Promise<string[]> {
  const checker = await openBroker(kind === 'nats' ? NATS_URL : AMQP_URL, { namespace: brokerNamespace('rltest-check') });
  try {
    if (kind === 'nats') return await (checker as NatsBroker).listStreams(namespace);
    return await (checker as RabbitBroker).leftBehind([`exchange ${namespace}-concurrent`, `queue ${namespace}-concurrent`]);
  } finally {
    await checker.close();
  }
}

describe('racelab demo brokers', { timeout: 180_000 }, () => {
  it('memory broker: naive and concurrent race, idempotent and per-key-ordering hold, from the numbers measured', async () => {
    const r = await runCli(['demo', 'brokers', '--seed', '3', '--messages', '20', '--crashes', '4', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { runs: Array<{ variant: string; verdict: string; tally: Record<string, number> }>; created: string[] };
    const by = Object.fromEntries(report.runs.map((x) => [x.variant, x]));
    expect(by.naive?.verdict).toBe('race');
    expect(by.naive?.tally.duplicates).toBe(4);
    expect(by.idempotent?.verdict).toBe('holds');
    expect(by.idempotent?.tally.effectsApplied).toBe(20);
    expect(by.concurrent?.verdict).toBe('race');
    expect(by.concurrent?.tally.lostUpdates).toBeGreaterThan(0);
    expect(by['per-key-ordering']?.verdict).toBe('holds');
  });

  it('explore --scenario consumer --variant naive: the crash-before-ack duplicate, shrunk, with a token that replays it', async () => {
    const found = await runCli(['explore', '--scenario', 'consumer', '--variant', 'naive', '--seed', '5']);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/RACE FOUND in run \d+ \(invariant\): naive: 1 effect applied twice \(m\d\)/);
    expect(found.stdout).toMatch(/crasher\s+crash c1 before ack m\d/);
    const token = /racelab replay (\S+)/.exec(found.stdout)?.[1] as string;
    const replayed = await runCli(['replay', token]);
    expect(replayed.stdout).toMatch(/FAILS \(invariant\): naive: 1 effect applied twice/);
    const proved = await runCli(['explore', '--scenario', 'consumer', '--variant', 'idempotent', '--strategy', 'dfs', '--runs', '100000']);
    expect(proved.code).toBe(0);
    expect(proved.stdout).toMatch(/NO FAILING SCHEDULE EXISTS/);
  });

  it.each([
    [['--broker', 'kafka://127.0.0.1:9092'], /is not one racelab knows/],
    [['--broker', 'nats://127.0.0.1:1'], /NATS at nats:\/\/127\.0\.0\.1:1 is not reachable/],
    [['--broker', 'amqp://guest:guest@127.0.0.1:1'], /RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 is not reachable/],
    [['--variants', 'naive,bogus'], /"bogus" is not a consumer variant/],
    [['--crashes', '9', '--messages', '3'], /--crashes: "9" must be/],
  ])('bad input %j: one line, exit 2', async (args, message) => {
    const r = await runCli(['demo', 'brokers', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it.skipIf(!rabbitUp)('RabbitMQ: wrong credentials and a reserved exchange name are one line, exit 2', async () => {
    const wrong = await runCli(['demo', 'brokers', '--broker', AMQP_URL.replace(/\/\/[^@]*@/, '//guest:wrong@')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toEqual([expect.stringMatching(/refused the credentials/)]);
    expect(wrong.stderr).not.toMatch(/wrong/);
    const reserved = await runCli(['demo', 'brokers', '--broker', 'rabbitmq', '--prefix', 'amq.rltest']);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr.trim().split('\n')).toEqual([expect.stringMatching(/RabbitMQ refused exchange "amq\.rltest-.*reserved prefix/)]);
  });

  it.skipIf(!natsUp)('NATS: a stream name JetStream refuses is one line, exit 2', async () => {
    const r = await runCli(['demo', 'brokers', '--broker', 'nats', '--prefix', 'rl.test']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/NATS JetStream refused stream "rl\.test-.*cannot contain '\.'/)]);
  });

  for (const [kind, up] of [
    ['nats', natsUp],
    ['rabbitmq', rabbitUp],
  ] as const) {
    it.skipIf(!up)(`${kind}: Ctrl+C mid-run deletes every stream, queue and exchange the run made, and prints the summary so far`, async () => {
      const { child, match, output } = await startCli(
        ['demo', 'brokers', '--broker', kind, '--variants', 'concurrent', '--messages', '1000', '--window', '20ms', '--prefix', 'rltest'],
        /under names that start with (\S+)/,
        90_000,
        PROGRESS_LINES,
      );
      const namespace = match[1] as string;
      expect(await leftBehind(kind, namespace)).not.toEqual([]); // the run's names exist while it runs
      child.kill('SIGINT');
      const { code } = await exited(child);
      expect(code).toBe(130);
      expect(output()).toMatch(/SIGINT: stopping/);
      expect(output()).toMatch(/interrupted: 1 variant measured/);
      expect(await leftBehind(kind, namespace)).toEqual([]);
    });
  }
});
