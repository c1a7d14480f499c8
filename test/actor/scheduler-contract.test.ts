import { describe, expect, it } from 'vitest';
import { ActorSystem, GenServer, Supervisor, genServerChild, type GenServerBehaviour } from '../../src/actor/index.js';
import { realScheduler, type Operation, type Scheduler } from '../../src/sched/index.js';
import { ControlledScheduler } from './helpers/controlled-scheduler.js';

/** The real scheduler, with every call through the port recorded. */
function recording(): Scheduler & { points: Operation[]; spawned: string[]; waits: string[] } {
  const points: Operation[] = [];
  const spawned: string[] = [];
  const waits: string[] = [];
  return {
    clock: realScheduler.clock,
    points,
    spawned,
    waits,
    point: (op) => void points.push(op),
    spawn: (name, body) => (spawned.push(name), body()),
    waitFor: (p, label) => (waits.push(label), p),
  };
}

const counter: GenServerBehaviour<number, void> = {
  init: () => 0,
  handleCall: (request, _from, n) => ({ reply: n, state: n }),
  handleCast: (_request, n: number) => n + 1,
};

describe('the scheduler contract', () => {
  it('starts every process with spawn, precedes every delivery with a deliver point on the receiver, and waits with waitFor', async () => {
    const s = recording();
    const system = new ActorSystem({ scheduler: s });
    const server = await GenServer.start(system, counter, undefined, { name: 'counter' });
    const client = system.spawn(
      async (self) => {
        for (let i = 0; i < 3; i++) await self.cast('counter', 'increment');
        await self.send(self.pid, 'note to self');
        await self.receive();
        await self.call('counter', 'get');
      },
      { name: 'client' },
    );
    await system.join(client);
    expect(await server.call('get')).toBe(3);
    await system.shutdown();

    expect(s.spawned).toEqual(['counter', 'client']);
    const delivers = s.points.filter((p) => p.kind === 'deliver');
    // One deliver point per message taken out of a mailbox, plus one per reply taken by its caller.
    expect(delivers).toHaveLength(system.stats.messagesDelivered);
    const toServer = delivers.filter((p) => p.object === server.pid.toString());
    expect(toServer.map((p) => p.label)).toEqual([
      'deliver cast increment to counter',
      'deliver cast increment to counter',
      'deliver cast increment to counter',
      'deliver call get to counter',
      'deliver call get to counter',
    ]);
    expect(delivers.filter((p) => p.object === client.toString()).map((p) => p.label)).toEqual([
      'deliver note to self to client',
      'deliver reply to client from counter',
    ]);
    // Every send (casts, calls, replies) is a send point on its receiver.
    const sends = s.points.filter((p) => p.kind === 'send');
    expect(sends.filter((p) => p.object === server.pid.toString())).toHaveLength(5);
    expect(s.waits.some((w) => w.startsWith('receive in counter'))).toBe(true);
    expect(s.waits).toContain('client calls get on counter');
  });

  it('under a controlled scheduler: completes, is deterministic per seed, and explores different interleavings across seeds', async () => {
    async function run(seed: number): Promise<{ value: number; trace: string[] }> {
      const sched = new ControlledScheduler(seed);
      const value = await sched.drive(() => {
        const system = new ActorSystem({ scheduler: sched });
        let value = -1;
        return sched
          .spawn('driver', async () => {
            const server = await GenServer.start(system, counter, undefined, { name: 'counter' });
            const clients = [0, 1, 2].map((c) =>
              system.spawn(async (self) => {
                for (let i = 0; i < 3; i++) await self.cast('counter', `inc from ${c}`);
              }),
            );
            for (const c of clients) await system.join(c);
            value = await server.call<number>('get');
            await system.shutdown();
          })
          .then(() => value);
      });
      expect(sched.unfinished().filter((t) => !t.startsWith('timer'))).toEqual([]);
      // Every cast is a send point and a deliver point, each a choice of the scheduler.
      expect(sched.points.filter((p) => p.kind === 'deliver').length).toBeGreaterThanOrEqual(10);
      return { value, trace: sched.trace };
    }
    const a = await run(1);
    const again = await run(1);
    const b = await run(2);
    expect(a.value).toBe(9);
    expect(b.value).toBe(9);
    expect(again.trace).toEqual(a.trace);
    expect(b.trace).not.toEqual(a.trace);
  });

  it('timeouts use the scheduler clock: a 10 s receive timeout and a 5 s call timeout cost no real time under virtual time', async () => {
    const sched = new ControlledScheduler(7);
    const t0 = performance.now();
    const outcome = await sched.drive(async () => {
      const system = new ActorSystem({ scheduler: sched });
      const seen: string[] = [];
      await sched.spawn('driver', async () => {
        const silent = system.spawn(async (self) => void (await self.receive((m) => m === 'never')));
        const waiter = system.spawn(async (self) => {
          const t = self.scheduler.clock.now();
          seen.push(String(await self.tryReceive(null, 10_000)));
          seen.push(`waited ${self.scheduler.clock.now() - t}`);
          try {
            await self.call(silent, 'anyone?', 5000);
          } catch (e) {
            seen.push((e as { code: string }).code);
          }
        });
        await system.join(waiter);
        await system.shutdown();
      });
      return seen;
    });
    expect(outcome).toEqual(['undefined', 'waited 10000', 'TIMEOUT']);
    // The 10 s waited were virtual: less real time than that passed (the product's promise; safe when loaded).
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('a supervisor restart runs entirely under the controlled scheduler', async () => {
    const crashing: GenServerBehaviour<number, void> = {
      init: () => 0,
      handleCall: (_r, _f, n) => ({ reply: n, state: n }),
      handleCast(request, n: number) {
        if (request === 'crash') throw new Error('boom');
        return n + 1;
      },
    };
    for (const seed of [1, 2, 3]) {
      const sched = new ControlledScheduler(seed);
      const result = await sched.drive(async () => {
        const system = new ActorSystem({ scheduler: sched });
        let out: unknown;
        await sched.spawn('driver', async () => {
          const sup = await Supervisor.start(system, [genServerChild('c', crashing, undefined, { name: 'c' })]);
          await system.cast('c', 'inc');
          await system.cast('c', 'crash');
          // Wait (on virtual time) for the restart, then use the new process.
          for (let i = 0; i < 100 && sup.restarts === 0; i++) await sched.clock.sleep(1);
          out = [sup.restarts, await system.call('c', 'get')];
          await system.shutdown();
        });
        return out;
      });
      expect(result).toEqual([1, 0]);
    }
  });
});
