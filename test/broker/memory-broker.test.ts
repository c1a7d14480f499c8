import { describe, expect, it } from 'vitest';
import { ConsumerCrash, type BrokerMessage, type Delivery } from '../../src/broker/broker.js';
import { MemoryBroker } from '../../src/broker/memory.js';
import { explore, replay } from '../../src/explore/explore.js';
import { runExplore } from '../../src/workloads/run-explore.js';
import { consumerWorkload } from '../../src/scenarios/consumer/workload.js';
import { planMessages } from '../../src/scenarios/consumer/run.js';

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

describe('MemoryBroker on the real scheduler', () => {
  it('delivers each message to one consumer, and a consumer killed before its ack gets it again, marked redelivered', async () => {
    const broker = new MemoryBroker();
    await broker.declare({ name: 'q', keys: ['k1'] });
    const seen: Array<{ id: string; redelivered: boolean }> = [];
    let crashed = false;
    const c = await broker.consume(
      'q',
      'c1',
      async (d: Delivery) => {
        seen.push({ id: d.message.id, redelivered: d.redelivered });
        await d.ack();
      },
      { beforeAck: (m) => (m.id === 'm2' && !crashed ? ((crashed = true), 'crash') : undefined) },
    );
    for (const m of planMessages(3, ['k1'])) await broker.publish('q', m);
    await until(() => seen.length === 4);
    expect(seen).toEqual([
      { id: 'm1', redelivered: false },
      { id: 'm2', redelivered: false },
      { id: 'm2', redelivered: true },
      { id: 'm3', redelivered: false },
    ]);
    expect(c.stats).toEqual({ deliveries: 4, redeliveries: 1, crashes: 1 });
    expect(broker.queueStats('q')).toEqual({ published: 3, redeliveries: 1 });
    await broker.close();
  });

  it('per key: a key is never in flight twice, and its messages come in order', async () => {
    const broker = new MemoryBroker();
    await broker.declare({ name: 'q', keys: ['a', 'b'], perKey: true });
    const inFlight = new Set<string>();
    const order: string[] = [];
    let overlap = 0;
    const handler = async (d: Delivery): Promise<void> => {
      if (inFlight.has(d.message.key)) overlap++;
      inFlight.add(d.message.key);
      await new Promise((r) => setTimeout(r, 1));
      order.push(`${d.message.key}${d.message.seq}`);
      inFlight.delete(d.message.key);
      await d.ack();
    };
    await broker.consume('q', 'c1', handler);
    await broker.consume('q', 'c2', handler);
    for (const m of planMessages(8, ['a', 'b'])) await broker.publish('q', m);
    await until(() => order.length === 8);
    expect(overlap).toBe(0);
    expect(order.filter((x) => x.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(order.filter((x) => x.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4']);
    await broker.close();
  });

  it('an ack after the ack wait ran out is ignored: the message was handed back', async () => {
    const broker = new MemoryBroker();
    await broker.declare({ name: 'q', keys: ['k1'] });
    const ids: string[] = [];
    let paused = false;
    await broker.consume('q', 'c1', async (d) => {
      ids.push(d.message.id);
      await d.ack();
    }, { beforeAck: (m: BrokerMessage) => (paused ? undefined : ((paused = true), m.id === 'm1' ? 'pause' : undefined)) });
    await broker.publish('q', planMessages(1, ['k1'])[0] as BrokerMessage);
    await until(() => ids.length === 2);
    expect(ids).toEqual(['m1', 'm1']);
    await broker.close();
  });

  it('ConsumerCrash names the consumer and the message', () => {
    expect(new ConsumerCrash('c1', 'm7').message).toBe('consumer c1 crashed before acking m7');
  });
});

describe('consumer scenario under the explorer (memory broker, memory store)', { timeout: 120_000 }, () => {
  it('naive: finds the crash-before-ack duplicate, names the message, and the token replays it', async () => {
    const workload = consumerWorkload({ variant: 'naive' });
    const result = await explore(workload, { strategy: 'pct', runs: 2000, seed: 11 });
    const f = result.firstFailure;
    expect(f?.message).toMatch(/naive: 1 effect applied twice \(m\d\)/);
    expect(f?.shrunk.trace).toMatch(/crasher crash c1 before ack (m\d) \. c1 ack \1->never sent: c1 died first/);
    const again = await replay(consumerWorkload({ variant: 'naive' }), f?.replayToken as string);
    expect(again.status).toBe('failed');
    expect(again.failure?.message).toBe(f?.message);
  });

  it('naive without crashes holds: the duplicate needs the fault', async () => {
    const report = await runExplore({ scenario: 'consumer', variant: 'naive', crashes: 0, strategy: 'dfs', runs: 100_000 });
    expect(report.verdict).toBe('proved');
  });

  it('idempotent: dfs proves no schedule applies an effect twice or loses one, with up to two crashes', async () => {
    const report = await runExplore({ scenario: 'consumer', variant: 'idempotent', crashes: 2, strategy: 'dfs', runs: 100_000 });
    expect(report.verdict).toBe('proved');
    expect(report.schedulesExplored).toBeGreaterThan(100);
  });

  it('concurrent: two consumers of one key lose an update (or apply out of order); the token replays', async () => {
    const report = await runExplore({ scenario: 'consumer', variant: 'concurrent', strategy: 'dfs', runs: 100_000 });
    expect(report.verdict).toBe('race-found');
    expect(report.firstFailure?.message).toMatch(/concurrent: .*(lost|out of order)/);
    // The lost update itself (both read 0, both write 1): some seed's first failure shows it.
    let lost: Awaited<ReturnType<typeof runExplore>> | undefined;
    for (let seed = 1; seed <= 30 && !/update lost/.test(lost?.firstFailure?.message ?? ''); seed++) {
      lost = await runExplore({ scenario: 'consumer', variant: 'concurrent', strategy: 'random', runs: 500, seed });
    }
    expect(lost?.firstFailure?.message).toMatch(/1 update lost/);
    expect(lost?.firstFailure?.shrunk.trace).toMatch(/get balance:k1->0 .* get balance:k1->0 /);
    const token = lost?.firstFailure?.replayToken as string;
    const again = await replay(consumerWorkload({ variant: 'concurrent' }), token);
    expect(again.failure?.message).toBe(lost?.firstFailure?.message);
  });

  it('per-key-ordering: dfs proves no lost update and no out-of-order application (2 messages on 2 keys, 2 on 1 key)', async () => {
    for (const keys of [1, 2]) {
      const report = await runExplore({ scenario: 'consumer', variant: 'per-key-ordering', keys, strategy: 'dfs', runs: 100_000 });
      expect(report.verdict).toBe('proved');
    }
  });

  it('dual-write: a producer killed between its order and its publish loses the message; outbox: proved by dfs (1 order, 1 crash)', async () => {
    const lost = await runExplore({ scenario: 'consumer', variant: 'dual-write', strategy: 'dfs', runs: 100_000, messages: 1 });
    expect(lost.verdict).toBe('race-found');
    expect(lost.firstFailure?.message).toBe('dual-write: 1 recorded order never published, never applied (1 order recorded, 0 applied)');
    expect(lost.firstFailure?.shrunk.trace).toMatch(/crasher crash producer before publish m1 \. producer before publish m1->producer had died/);
    const again = await replay(consumerWorkload({ variant: 'dual-write', messages: 1 }), lost.firstFailure?.replayToken as string);
    expect(again.status).toBe('failed');
    const proved = await runExplore({ scenario: 'consumer', variant: 'outbox', strategy: 'dfs', runs: 100_000, messages: 1 });
    expect(proved.verdict).toBe('proved');
    expect(() => consumerWorkload({ variant: 'outbox', keys: 2 })).toThrow(/^keys: does not apply to variant outbox .*; it takes `messages` and `crashes`$/);
  });

  it('an option another scenario owns is one line naming the ones that apply', () => {
    expect(() => consumerWorkload({ variant: 'nope' })).toThrow(/not a consumer variant; use one of naive, idempotent, concurrent, per-key-ordering/);
    return expect(runExplore({ scenario: 'consumer', work: 3, strategy: 'pct', runs: 1 })).rejects.toThrow(/`work` does not apply to `scenario` consumer/);
  });
});
