import { describe, expect, it } from 'vitest';
import { ActorSystem, DownMessage, ExitMessage, type Pid, type Process } from '../../src/actor/index.js';
import { RacelabError } from '../../src/core/index.js';
import { actorSystems, rejection } from './helpers/systems.js';

const newSystem = actorSystems();

/** Resolves when `cond` holds, polling the event loop (bounded). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('processes: spawn, send, receive', () => {
  it('delivers messages to a spawned process in order and the process exits normally', async () => {
    const system = newSystem();
    const got: unknown[] = [];
    const pid = system.spawn(async (self) => {
      for (let i = 0; i < 3; i++) got.push(await self.receive());
    });
    expect(system.isAlive(pid)).toBe(true);
    await system.send(pid, 'a');
    await system.send(pid, { n: 2 });
    await system.send(pid, ['c']);
    expect(await system.join(pid)).toBe('normal');
    expect(got).toEqual(['a', { n: 2 }, ['c']]);
    expect(system.isAlive(pid)).toBe(false);
    expect(system.stats.messagesSent).toBe(3);
    expect(system.stats.messagesDelivered).toBe(3);
  });

  it('keeps per-sender order with many interleaved senders', async () => {
    const system = newSystem();
    const senders = 8;
    const perSender = 200;
    const received: Array<{ from: number; seq: number }> = [];
    const sink = system.spawn(async (self) => {
      for (let i = 0; i < senders * perSender; i++) received.push(await self.receive());
    });
    // Each sender yields between sends in a different rhythm, so the streams interleave in the sink's mailbox.
    for (let s = 0; s < senders; s++) {
      system.spawn(async (self) => {
        for (let seq = 0; seq < perSender; seq++) {
          await self.send(sink, { from: s, seq });
          if (seq % (s + 1) === 0) await new Promise((r) => setImmediate(r));
        }
      });
    }
    await system.join(sink);
    expect(received).toHaveLength(senders * perSender);
    const lastSeq = new Map<number, number>();
    let switches = 0;
    for (let i = 0; i < received.length; i++) {
      const { from, seq } = received[i]!;
      expect(seq).toBe((lastSeq.get(from) ?? -1) + 1);
      lastSeq.set(from, seq);
      if (i > 0 && received[i - 1]!.from !== from) switches++;
    }
    // The streams really were interleaved, so the order property was tested, not trivially true.
    expect(switches).toBeGreaterThan(senders * 10);
  });

  it('selective receive takes the oldest matching message and leaves the others in order', async () => {
    const system = newSystem();
    const log: unknown[] = [];
    const pid = system.spawn(async (self) => {
      await self.receive((m) => m === 'go');
      log.push(await self.receive((m) => typeof m === 'number' && m > 10));
      log.push(await self.receive((m) => typeof m === 'number'));
      log.push(await self.receive());
      log.push(await self.receive());
    });
    for (const m of ['x', 5, 20, 30, 'y']) await system.send(pid, m);
    expect(pid.process.mailbox.size).toBe(5);
    await system.send(pid, 'go');
    await system.join(pid);
    // 20 first (oldest > 10), then 5 (oldest number), then the rest in arrival order.
    expect(log).toEqual([20, 5, 'x', 30]);
    expect(pid.process.mailbox.size).toBe(0);
  });

  it('a receive waiting with a pattern is not woken by messages that do not match', async () => {
    const system = newSystem();
    let result: unknown;
    const pid = system.spawn(async (self) => {
      result = await self.receive((m) => m === 'wanted');
    });
    await system.send(pid, 'noise');
    await system.send(pid, 'more noise');
    await new Promise((r) => setImmediate(r));
    expect(system.isAlive(pid)).toBe(true);
    await system.send(pid, 'wanted');
    await system.join(pid);
    expect(result).toBe('wanted');
  });

  it('receive times out with TIMEOUT; tryReceive returns undefined; matching messages stay for later', async () => {
    const system = newSystem();
    const outcome: unknown[] = [];
    const pid = system.spawn(async (self) => {
      const t0 = performance.now();
      try {
        await self.receive((m) => m === 'never', 30);
      } catch (e) {
        outcome.push((e as RacelabError).code, performance.now() - t0 >= 25);
      }
      outcome.push(await self.tryReceive((m) => m === 'never'));
      outcome.push(await self.tryReceive());
    });
    await system.send(pid, 'kept');
    await system.join(pid);
    expect(outcome).toEqual(['TIMEOUT', true, undefined, 'kept']);
  });

  it('refuses a second receive while one is waiting (one message at a time), instead of losing a wake-up', async () => {
    const system = newSystem();
    const outcome: string[] = [];
    const pid = system.spawn(async (self) => {
      const first = self.receive();
      await self.receive().catch((e: RacelabError) => outcome.push(e.message));
      outcome.push(String(await first));
    });
    await system.send(pid, 'one');
    await system.join(pid);
    expect(outcome).toEqual(['<0.1.0>: a second receive while one is waiting; a process takes one message at a time (await each receive)', 'one']);
  });

  it('a send to an exited process is dropped and counted; sends to unknown names fail with NO_PROCESS', async () => {
    const system = newSystem();
    const pid = system.spawn(() => undefined);
    await system.join(pid);
    await system.send(pid, 'late');
    expect(system.stats.deadLetters).toBe(1);
    const e = await rejection(Promise.resolve().then(() => system.send('nobody', 'hi')));
    expect(e.code).toBe('NO_PROCESS');
    expect(e.message).toContain('"nobody"');
  });
});

describe('names', () => {
  it('registers, resolves, refuses a taken name, and releases the name at exit', async () => {
    const system = newSystem();
    const got: unknown[] = [];
    const a = system.spawn(async (self) => void got.push(await self.receive()), { name: 'worker' });
    expect(system.whereis('worker')).toBe(a);
    expect(() => system.spawn(() => undefined, { name: 'worker' })).toThrow(/the name is taken by <0\.1\.0>/);
    await system.send('worker', 'by name');
    await system.join(a);
    expect(got).toEqual(['by name']);
    expect(system.whereis('worker')).toBeUndefined();
    const b = system.spawn(async (self) => void (await self.receive()));
    system.register('worker', b);
    expect(system.whereis('worker')).toBe(b);
  });
});

describe('links, monitors and exit reasons', () => {
  it('a crash takes linked processes down with the same reason', async () => {
    const system = newSystem();
    const boom = new Error('boom');
    const victim = system.spawn(async (self) => {
      await self.receive();
    });
    const crasher = system.spawn(async (self) => {
      self.link(victim);
      await self.receive((m) => m === 'crash');
      throw boom;
    });
    await system.send(crasher, 'crash');
    expect(await system.join(crasher)).toEqual({ error: boom });
    expect(await system.join(victim)).toEqual({ error: boom });
    expect(system.stats.crashes).toBe(1);
  });

  it('a process that traps exits gets an ExitMessage and keeps running; a normal exit does not kill links', async () => {
    const system = newSystem();
    const seen: ExitMessage[] = [];
    const watcher = system.spawn(
      async (self) => {
        for (let i = 0; i < 2; i++) seen.push(await self.receive((m) => m instanceof ExitMessage));
        await self.receive((m) => m === 'stop');
      },
      { trapExits: true },
    );
    const normal = system.spawn(async (self) => void (await self.receive()), { link: watcher });
    const crashing = system.spawn(
      async (self) => {
        await self.receive();
        self.exit('custom reason');
      },
      { link: watcher },
    );
    // A plain process linked to one that exits normally survives it.
    const bystander = system.spawn(async (self) => void (await self.receive()), { link: normal });
    await system.send(normal, 'done');
    await system.send(crashing, 'go');
    await until(() => seen.length === 2, 'two exit messages');
    expect(seen.map((m) => [String(m.from), m.reason])).toEqual([
      [String(normal), 'normal'],
      [String(crashing), 'custom reason'],
    ]);
    expect(system.isAlive(watcher)).toBe(true);
    expect(system.isAlive(bystander)).toBe(true);
    await system.send(watcher, 'stop');
    await system.send(bystander, 'bye');
    expect(await system.join(watcher)).toBe('normal');
  });

  it('kill cannot be trapped; other exit signals to a trapping process become messages', async () => {
    const system = newSystem();
    let got: unknown;
    const trapper = system.spawn(
      async (self) => {
        got = await self.receive();
        await self.receive();
      },
      { trapExits: true },
    );
    await system.sendExit(trapper, 'please stop');
    await until(() => got !== undefined, 'exit message');
    expect(got).toBeInstanceOf(ExitMessage);
    expect((got as ExitMessage).reason).toBe('please stop');
    await system.sendExit(trapper, 'kill');
    expect(await system.join(trapper)).toBe('killed');
  });

  it('monitors get DOWN with the reason, and noproc for a process that is already gone', async () => {
    const system = newSystem();
    const downs: DownMessage[] = [];
    const target = system.spawn(async (self) => {
      await self.receive();
      throw new Error('target failed');
    });
    const dead = system.spawn(() => undefined);
    await system.join(dead);
    let refs: number[] = [];
    const watcher = system.spawn(async (self) => {
      refs = [self.monitor(target), self.monitor(dead)];
      await self.send(target, 'go');
      for (let i = 0; i < 2; i++) downs.push(await self.receive((m) => m instanceof DownMessage));
    });
    await system.join(watcher);
    expect(downs.map((d) => d.ref).sort()).toEqual([...refs].sort());
    const byRef = new Map(downs.map((d) => [d.ref, d]));
    expect(byRef.get(refs[1]!)?.reason).toBe('noproc');
    const r = byRef.get(refs[0]!)?.reason as { error: Error };
    expect(r.error.message).toBe('target failed');
    // A monitor is one-way: the watcher was not taken down by the crash.
    expect(await system.join(watcher)).toBe('normal');
  });

  it('unlink and demonitor stop the signals; sendAfter delivers later unless cancelled', async () => {
    const system = newSystem();
    const got: unknown[] = [];
    const target = system.spawn(async (self) => {
      await self.receive((m) => m === 'crash');
      throw new Error('target crashed');
    });
    const watcher = system.spawn(async (self) => {
      self.link(target);
      const ref = self.monitor(target);
      self.unlink(target);
      self.demonitor(ref);
      self.sendAfter(self.pid, 'timer fired', 20);
      self.sendAfter(self.pid, 'cancelled timer', 10).cancel();
      await self.send(target, 'crash');
      got.push(await self.receive(null, 1000));
      got.push(await self.tryReceive(null, 30));
    });
    expect(await system.join(watcher)).toBe('normal');
    expect(system.exitReasonOf(target)).toEqual({ error: expect.objectContaining({ message: 'target crashed' }) });
    // No DOWN, no EXIT (the watcher would have died with the crash): only the one timer that was not cancelled.
    expect(got).toEqual(['timer fired', undefined]);
  });

  it('an exit signal interrupts a process blocked in receive and in call', async () => {
    const system = newSystem();
    const hang = system.spawn(async (self) => void (await self.receive((m) => m === 'never')));
    const server = system.spawn(async (self) => void (await self.receive((m) => m === 'never')));
    const caller = system.spawn(async (self: Process) => void (await self.call(server, 'question', 60_000)));
    await new Promise((r) => setImmediate(r));
    await system.sendExit(hang, 'stop now');
    await system.sendExit(caller, 'stop too');
    expect(await system.join(hang)).toBe('stop now');
    expect(await system.join(caller)).toBe('stop too');
    expect(system.isAlive(server)).toBe(true);
  });
});

describe('shutdown', () => {
  it('stops every process, including ones blocked forever, and leaves no timer running', async () => {
    const system = new ActorSystem();
    const pids: Pid[] = [];
    for (let i = 0; i < 5; i++) pids.push(system.spawn(async (self) => void (await self.receive(null, 600_000))));
    system.sendAfter(pids[0]!, 'much later', 600_000);
    pids.push(system.spawn(async (self) => self.sleep(600_000)));
    const t0 = performance.now();
    await system.shutdown();
    // It did not wait for the 600 s receive, sleep or delayed send: a bound far below them, safe on a loaded machine.
    expect(performance.now() - t0).toBeLessThan(30_000);
    for (const p of pids) expect(system.exitReasonOf(p)).toBe('shutdown');
    expect(system.processes()).toEqual([]);
    expect(() => system.spawn(() => undefined)).toThrow(expect.objectContaining({ code: 'SYSTEM_STOPPED' }));
    // vitest would report a leaked handle as a hang; also check directly that no timer of ours is pending.
    const active = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
    expect(active.filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(1);
  });

  it('gives up on a body that awaits something outside the runtime after the grace period, and says so', async () => {
    const system = new ActorSystem();
    let release: () => void = () => undefined;
    const stuck = system.spawn(() => new Promise<void>((resolve) => (release = resolve)));
    const fine = system.spawn(async (self) => void (await self.receive()));
    const t0 = performance.now();
    await system.shutdown({ graceMs: 50 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
    expect(system.exitReasonOf(fine)).toBe('shutdown');
    expect(system.isAlive(stuck)).toBe(true);
    expect(system.stats.stuckAtShutdown).toBe(1);
    release();
    expect(await system.join(stuck)).toBe('shutdown');
  });
});
