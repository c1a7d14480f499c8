/**
 * `racelab publish` end to end on real NATS and RabbitMQ (spawns the built CLI: `npm run build` first). The consumer
 * services are written here, as a user's would be: a balance kept in Redis by a read-modify-write (lost updates under
 * a burst) or by INCR (none), and a ticket counter whose replies repeat numbers under a burst.
 */
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import { connect as natsConnect, headers as natsHeaders, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_LINES, exited, expectOneLineError, runCli as runCliWithin, startCli } from '../helpers/cli.js';
import { AMQP_URL, NATS_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

const runCli = (args: string[]) => runCliWithin(args, { timeoutMs: 60_000 });
const natsUp = await serviceAvailable('NATS', NATS_URL);
const rabbitUp = await serviceAvailable('RabbitMQ', AMQP_URL);
const redisUp = await serviceAvailable('Redis', REDIS_URL);
const run = `rltest${process.pid.toString(36)}${Date.now().toString(36)}`;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

interface Report {
  published: number;
  unroutable: number;
  before?: number;
  after?: number;
  replies: number;
  verdict: string;
  explanation: string;
  created: string[];
  leftBehind: string[];
  interrupted: boolean;
}

/** A consumer's effect: `racy` reads, waits, writes (a lost update when two overlap); otherwise INCR. */
function effect(redis: Redis, key: string, racy: boolean): () => Promise<number> {
  return racy
    ? async () => {
        const v = Number((await redis.get(key)) ?? 0);
        await tick();
        await redis.set(key, String(v + 1));
        return v + 1;
      }
    : () => redis.incr(key);
}

describe.skipIf(!natsUp || !redisUp)('racelab publish on NATS', { timeout: 120_000 }, () => {
  let nc: NatsConnection;
  const redis = new Redis(REDIS_URL);
  beforeAll(async () => {
    nc = await natsConnect({ servers: NATS_URL.replace(/\/\/[^@]*@/, '//') });
    // Two services: orders.racy and orders.safe keep a balance; tickets replies with a ticket number.
    for (const racy of [true, false]) {
      const apply = effect(redis, `${run}:${racy ? 'racy' : 'safe'}`, racy);
      nc.subscribe(`${run}.orders.${racy ? 'racy' : 'safe'}`, { callback: () => void apply() });
    }
    const ticket = effect(redis, `${run}:tickets`, true);
    nc.subscribe(`${run}.tickets`, {
      callback: (_e, m) =>
        void ticket().then((n) => {
          const h = natsHeaders();
          h.set('Racelab-Id', m.headers?.get('Racelab-Id') ?? '');
          if (m.reply) nc.publish(m.reply, JSON.stringify({ ticket: n }), { headers: h });
        }),
    });
    await nc.flush();
  });
  afterAll(async () => {
    await nc.close();
    await redis.del(`${run}:racy`, `${run}:safe`, `${run}:tickets`);
    redis.disconnect();
  });

  it('a burst at a read-modify-write consumer loses updates (exit 1); at INCR it holds (exit 0)', async () => {
    const [racy, safe] = await Promise.all(
      (['racy', 'safe'] as const).map((k) =>
        runCli(['publish', '--broker', NATS_URL, '--subject', `${run}.orders.${k}`, '--count', '60', '--store', REDIS_URL, '--read', `${run}:${k}`, '--settle', '2s', '--json']),
      ),
    );
    const r = JSON.parse(racy!.stdout) as Report;
    expect(racy!.code).toBe(1);
    expect(r.published).toBe(60);
    expect(r.verdict).toBe('violated');
    expect((r.after ?? 0) - (r.before ?? 0)).toBeLessThan(60);
    const s = JSON.parse(safe!.stdout) as Report;
    expect(safe!.code).toBe(0);
    expect(s.verdict).toBe('holds');
    expect((s.after ?? 0) - (s.before ?? 0)).toBe(60);
  });

  it('replies on the run\'s reply subject: repeated tickets break "every ticket is unique" (sync connections)', async () => {
    const out = await runCli(['publish', '--broker', NATS_URL, '--subject', `${run}.tickets`, '--count', '40', '--sync', 'connections', '--connections', '4', '--replies', '--invariant', 'replies.all(r, replies.filter(s, s.ticket == r.ticket).size() == 1)', '--json']);
    const r = JSON.parse(out.stdout) as Report;
    expect(out.code).toBe(1);
    expect(r.published).toBe(40);
    expect(r.replies).toBe(40);
    expect(r.verdict).toBe('violated');
  });

  it('bad input: one line, exit 2, nothing published', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--subject', 'has space'], /subject "has space": NATS publishes to dot-separated tokens/],
      [['--subject', `${run}.x`, '--jetstream'], /has no stream for subject/],
      [['--subject', `${run}.x`, '--broker', 'nats://127.0.0.1:1'], /NATS at nats:\/\/127\.0\.0\.1:1 is not reachable/],
      [['--subject', `${run}.x`, '--invariant', 'after > 0'], /--invariant: an invariant needs something to check/],
      [['--subject', `${run}.x`, '--store', REDIS_URL], /--read: say what to read/],
      [['--subject', `${run}.x`, '--store', REDIS_URL, '--read', `${run}:none`, '--invariant', 'aftr == 1'], /--invariant: "aftr" is not defined/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['publish', '--broker', NATS_URL, ...args])));
    runs.forEach((r, i) => expect(expectOneLineError(r)).toMatch(cases[i]![1]));
  });
});

describe.skipIf(!rabbitUp || !redisUp)('racelab publish on RabbitMQ', { timeout: 120_000 }, () => {
  const redis = new Redis(REDIS_URL);
  const queue = `${run}-orders`;
  let model: Awaited<ReturnType<typeof amqpConnect>>;
  beforeAll(async () => {
    model = await amqpConnect(AMQP_URL);
    const ch = await model.createChannel();
    await ch.assertQueue(queue, { durable: false, autoDelete: false, arguments: { 'x-expires': 600_000 } });
    await ch.prefetch(100);
    // The service: a racy balance, and a reply with the balance it wrote to whoever asked.
    const apply = effect(redis, `${run}:rabbit`, true);
    await ch.consume(queue, (m) => {
      if (!m) return;
      void apply().then((n) => {
        if (m.properties.replyTo) ch.sendToQueue(m.properties.replyTo as string, Buffer.from(JSON.stringify({ balance: n })), { correlationId: m.properties.correlationId as string });
        ch.ack(m);
      });
    });
  });
  afterAll(async () => {
    const ch = await model.createChannel();
    await ch.deleteQueue(queue);
    await model.close();
    await redis.del(`${run}:rabbit`);
    redis.disconnect();
  });

  async function queueExists(name: string): Promise<boolean> {
    const m = await amqpConnect(AMQP_URL);
    const ch = await m.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(name);
      return true;
    } catch {
      return false;
    } finally {
      await m.close().catch(() => undefined);
    }
  }

  it('a burst over connections loses updates, counted from the store and the replies; the reply queue is deleted', async () => {
    const out = await runCli(['publish', '--broker', AMQP_URL, '--subject', queue, '--count', '50', '--sync', 'connections', '--connections', '5', '--store', REDIS_URL, '--read', `${run}:rabbit`, '--replies', '--settle', '2s', '--prefix', run, '--json']);
    const r = JSON.parse(out.stdout) as Report;
    expect(out.code).toBe(1);
    expect(r.published).toBe(50);
    expect(r.replies).toBe(50);
    expect((r.after ?? 0) - (r.before ?? 0)).toBeLessThan(50);
    expect(r.created).toEqual([expect.stringMatching(/^queue rltest\S+-replies$/)]);
    expect(r.leftBehind).toEqual([]);
    expect(await queueExists((r.created[0] as string).slice('queue '.length))).toBe(false);
  });

  it('a routing key no queue takes: every message unroutable, inconclusive (never a vacuous "holds")', async () => {
    const out = await runCli(['publish', '--broker', AMQP_URL, '--subject', `${run}-nobody`, '--count', '5', '--replies', '--json']);
    const r = JSON.parse(out.stdout) as Report;
    expect(r.unroutable).toBe(5);
    expect(r.verdict).toBe('inconclusive');
  });

  it('Ctrl+C during a flood: the summary so far, exit 130, the reply queue deleted', async () => {
    const { child, output } = await startCli(['publish', '--broker', AMQP_URL, '--subject', queue, '--flood', '--rate', '200', '--duration', '60s', '--replies', '--prefix', `${run}f`], /flooding/, 30_000, PROGRESS_LINES);
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const { code } = await exited(child);
    expect(code).toBe(130);
    expect(output()).toMatch(/verdict\s+interrupted/);
    const name = /replies\s+\d+ on (\S+)/.exec(output())?.[1] as string;
    expect(name).toMatch(new RegExp(`^${run}f-`));
    expect(await queueExists(name)).toBe(false);
  });

  it('bad input: a missing exchange, wrong credentials: one line, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--subject', queue, '--exchange', `${run}-nope`], /has no exchange "rltest\S+-nope"/],
      [['--subject', queue, '--broker', AMQP_URL.replace(/\/\/[^@]*@/, '//guest:wrong@')], /refused the credentials/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['publish', '--broker', AMQP_URL, ...args])));
    runs.forEach((r, i) => expect(expectOneLineError(r)).toMatch(cases[i]![1]));
    expect(runs[1]!.stderr).not.toMatch(/wrong/);
  });
});
