import { describe, expect, it } from 'vitest';
import { ActorSystem, DownMessage, genServerChild, MAX_RESTART_INTENSITY, Stop, Supervisor, type GenServerBehaviour, type SupervisorEvent } from '../../src/actor/index.js';
import { actorSystems } from './helpers/systems.js';

const newSystem = actorSystems();

/** A counter that crashes on `crash` and exits normally on `quit`. */
const crashable: GenServerBehaviour<number, number> = {
  init: (start) => start,
  handleCall: (request, _from, n) => ({ reply: n, state: n }),
  handleCast(request, n) {
    if (request === 'crash') throw new Error('crashed on purpose');
    if (request === 'quit') return stopNormal(n);
    return n + 1;
  },
};

function stopNormal(n: number): Stop<number> {
  return new Stop('normal', n);
}

async function untilEvents(events: readonly SupervisorEvent[], n: number): Promise<void> {
  for (let i = 0; i < 500 && events.length < n; i++) await new Promise((r) => setTimeout(r, 2));
  if (events.length < n) throw new Error(`expected ${n} supervisor events, saw ${events.length}`);
}

describe('Supervisor (one-for-one)', () => {
  it('restarts only the crashed child, with fresh state, under the same name; siblings keep their state', async () => {
    const system = newSystem();
    const sup = await Supervisor.start(system, [genServerChild('a', crashable, 0, { name: 'a' }), genServerChild('b', crashable, 0, { name: 'b' })], {
      maxRestarts: 3,
      withinMs: 5000,
    });
    for (let i = 0; i < 3; i++) {
      await system.cast('a', 'inc');
      await system.cast('b', 'inc');
    }
    expect(await system.call('a', 'get')).toBe(3);
    const [aBefore, bBefore] = await sup.whichChildren();
    await system.cast('a', 'crash');
    await untilEvents(sup.events, 2);
    expect(sup.events.map((e) => [e.kind, e.childId])).toEqual([
      ['child-exited', 'a'],
      ['child-restarted', 'a'],
    ]);
    expect(sup.events[0]?.reason).toBe('error: crashed on purpose');
    const [aAfter, bAfter] = await sup.whichChildren();
    expect(aAfter?.pid).not.toBe(aBefore?.pid);
    expect(aAfter?.restarts).toBe(1);
    expect(bAfter?.pid).toBe(bBefore?.pid);
    expect(await system.call('a', 'get')).toBe(0); // init again: the crashed state is gone
    expect(await system.call('b', 'get')).toBe(3); // untouched
    expect(sup.restarts).toBe(1);
  });

  it('restart intensity: one restart too many within the window and the supervisor gives up, stopping its children', async () => {
    const system = newSystem();
    const sup = await Supervisor.start(system, [genServerChild('a', crashable, 0, { name: 'a' }), genServerChild('b', crashable, 0, { name: 'b' })], {
      maxRestarts: 2,
      withinMs: 60_000,
    });
    const b = system.whereis('b')!;
    for (let i = 0; i < 3; i++) {
      await untilName(system, 'a');
      await system.cast('a', 'crash');
      await untilEvents(sup.events, 2 * i + 2);
    }
    expect(await system.join(sup.pid)).toBe(MAX_RESTART_INTENSITY);
    expect(sup.events.map((e) => e.kind)).toEqual(['child-exited', 'child-restarted', 'child-exited', 'child-restarted', 'child-exited', 'gave-up']);
    expect(await system.join(b)).toBe('shutdown');
    expect(system.processes()).toEqual([]);
  });

  it('transient children are restarted only after an abnormal exit; temporary ones never', async () => {
    const system = newSystem();
    const sup = await Supervisor.start(system, [
      genServerChild('t', crashable, 0, { name: 't' }, 'transient'),
      genServerChild('tmp', crashable, 0, { name: 'tmp' }, 'temporary'),
    ]);
    await system.cast('t', 'quit');
    await untilEvents(sup.events, 1);
    await system.cast('tmp', 'crash');
    await untilEvents(sup.events, 2);
    expect(sup.events.map((e) => [e.kind, e.childId])).toEqual([
      ['child-exited', 't'],
      ['child-exited', 'tmp'],
    ]);
    expect((await sup.whichChildren()).map((c) => c.pid)).toEqual([undefined, undefined]);
  });

  it('stop shuts the children down (last started first) and the supervisor exits normally', async () => {
    const system = newSystem();
    const sup = await Supervisor.start(system, [genServerChild('a', crashable, 0, { name: 'a' }), genServerChild('b', crashable, 0, { name: 'b' })]);
    const a = system.whereis('a')!;
    const b = system.whereis('b')!;
    const order: string[] = [];
    const watcher = system.spawn(async (self) => {
      self.monitor(a);
      self.monitor(b);
      for (let i = 0; i < 2; i++) {
        const d = await self.receive<DownMessage>((m) => m instanceof DownMessage);
        order.push(d.pid === a ? 'a' : 'b');
      }
    });
    await sup.stop();
    await system.join(watcher);
    expect(order).toEqual(['b', 'a']);
    expect(system.exitReasonOf(a)).toBe('shutdown');
    expect(system.exitReasonOf(sup.pid)).toBe('normal');
  });

  it('rejects bad options', async () => {
    const system = newSystem();
    await expect(Supervisor.start(system, [], { maxRestarts: -1 })).rejects.toThrow(/maxRestarts: -1/);
    await expect(Supervisor.start(system, [genServerChild('x', crashable, 0), genServerChild('x', crashable, 0)])).rejects.toThrow(/two children have the id "x"/);
  });
});

async function untilName(system: ActorSystem, name: string): Promise<void> {
  for (let i = 0; i < 500 && system.whereis(name) === undefined; i++) await new Promise((r) => setTimeout(r, 2));
}
