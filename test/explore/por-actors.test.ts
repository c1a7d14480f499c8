import { describe, expect, it } from 'vitest';
import { ActorSystem, GenServer, type ServerRef } from '../../src/actor/index.js';
import { explore, type Workload } from '../../src/explore/index.js';
import { sleep } from '../../src/sched/scheduler.js';

/*
 * Partial-order reduction over the actor runtime: the resumptions of a receive and of a call name the process
 * they touch, a sleep's end carries an object of its own, and a timeout its call's reply cancelled is dropped
 * without a step. That is what lets dfs prove the bank's actor fix and the session table's fixed End at three
 * clients. What could go wrong is a pruned interleaving that reached an outcome no other did: every outcome
 * plain dfs reaches must be reached with the reduction on.
 */

/**
 * Two counter servers started by a task of the run; a handler that works 2 ms, a call whose 2 ms timeout ties
 * with that work (the reply and the timeout race), a client that sleeps (a local sleep) before its second call,
 * and a read that races an add. The outcome is every reply (or `timeout`) and both servers' final states.
 */
function actorsWorkload(outcome: (text: string) => void): Workload {
  return {
    name: 'por-actors',
    setup(ctx) {
      const system = new ActorSystem({ scheduler: ctx.scheduler });
      const finals: Record<string, number> = { a: 0, b: 0 };
      const counter = (name: 'a' | 'b', workMs: number) =>
        GenServer.start(
          system,
          {
            init: () => 0,
            async handleCall(request: { add?: number }, _from: unknown, state: number) {
              if (request.add === undefined) return { reply: state, state };
              if (workMs > 0) await sleep(workMs, ctx.scheduler);
              finals[name] = state + request.add;
              return { reply: state + request.add, state: state + request.add };
            },
          },
          undefined,
          { name },
        );
      const results: string[] = [];
      const record = async (slot: number, call: () => Promise<number>): Promise<void> => {
        try {
          results[slot] = String(await call());
        } catch (e) {
          results[slot] = /timeout|timed out/i.test(String(e)) ? 'timeout' : `error ${String(e)}`;
        }
      };
      // Started by the first task; the clients wait for both.
      let serversUp: (refs: [ServerRef, ServerRef]) => void = () => undefined;
      const servers = new Promise<[ServerRef, ServerRef]>((resolve) => (serversUp = resolve));
      let finished = 0;
      let allDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (allDone = resolve));
      const client = (body: () => Promise<void>) => async () => {
        try {
          await body();
        } finally {
          if (++finished === 2) allDone();
        }
      };
      return {
        tasks: [
          [
            'c1',
            client(async () => {
              const [a, b] = await ctx.scheduler.waitFor(servers, 'servers');
              await record(0, () => a.call<number>({ add: 1 }));
              await record(1, () => b.call<number>({ add: 1 }));
            }),
          ],
          [
            'c2',
            client(async () => {
              const [a, b] = await ctx.scheduler.waitFor(servers, 'servers');
              // The handler works 2 ms: the reply and this timeout are due at the same virtual time.
              await record(2, () => a.call<number>({ add: 100 }, 2));
              await sleep(1, ctx.scheduler, { local: true }); // straight on to its call: nothing shared in between
              await record(3, () => b.call<number>({}));
            }),
          ],
          [
            'system',
            async () => {
              serversUp([await counter('a', 2), await counter('b', 0)]);
              await ctx.scheduler.waitFor(done, 'every client done');
              await system.shutdown();
            },
          ],
        ],
        invariant: () => {
          outcome(`${results.join(' ')} | a=${finals.a} b=${finals.b}`);
          return true;
        },
      };
    },
  };
}

async function outcomes(por: boolean): Promise<{ outcomes: string[]; runs: number; exhausted: boolean }> {
  const seen = new Set<string>();
  let last = '';
  const r = await explore(actorsWorkload((text) => (last = text)), {
    strategy: 'dfs',
    seed: 1,
    por,
    runs: 2_000_000,
    stopOnFailure: false,
    shrink: false,
    onRun: (_run, record) => {
      if (record.status === 'abandoned') return;
      seen.add(`${record.status} ${last}`);
      last = '';
    },
  });
  return { outcomes: [...seen].sort(), runs: r.runs, exhausted: r.dfs?.exhausted === true };
}

describe('partial-order reduction over actors, sleeps and timeouts', () => {
  it('reaches every outcome plain dfs reaches, in fewer schedules', async () => {
    const reduced = await outcomes(true);
    const plain = await outcomes(false);
    expect(plain.exhausted && reduced.exhausted).toBe(true);
    // The timeout races the reply: both are outcomes, and so are the orders of the adds on each server.
    expect(plain.outcomes.some((o) => o.includes('timeout'))).toBe(true);
    expect(plain.outcomes.length).toBeGreaterThan(2);
    expect(reduced.outcomes).toEqual(plain.outcomes);
    expect(reduced.runs).toBeLessThan(plain.runs / 5);
  }, 600_000);
});
