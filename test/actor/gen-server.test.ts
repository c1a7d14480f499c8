import { describe, expect, it } from 'vitest';
import { Agent, GenServer, NoReply, Stop, type From, type GenServerBehaviour } from '../../src/actor/index.js';
import { RacelabError } from '../../src/core/index.js';
import { actorSystems, rejection } from './helpers/systems.js';

const newSystem = actorSystems();

type CounterCall = 'get' | { readonly add: number };
type CounterCast = 'increment' | 'crash';

/** The seed's Counter, plus an async handler to prove awaiting inside a handler does not let messages interleave. */
function counter(observe: { inFlight: number; maxInFlight: number; infos: unknown[] }): GenServerBehaviour<number, number> {
  return {
    init: (start) => start,
    handleCall(request: CounterCall, _from: From, count: number) {
      if (request === 'get') return { reply: count, state: count };
      return { reply: count + request.add, state: count + request.add };
    },
    async handleCast(request: CounterCast, count: number) {
      if (request === 'crash') throw new Error('handler blew up');
      observe.inFlight++;
      observe.maxInFlight = Math.max(observe.maxInFlight, observe.inFlight);
      const read = count;
      await new Promise((r) => setImmediate(r)); // the seed's "before it can update the count..."
      observe.inFlight--;
      return read + 1;
    },
    handleInfo(message, count) {
      observe.infos.push(message);
      return count;
    },
  };
}

describe('GenServer', () => {
  it('init, call, cast and info; an async handler still runs one message at a time and loses nothing', async () => {
    const system = newSystem();
    const observe = { inFlight: 0, maxInFlight: 0, infos: [] as unknown[] };
    const server = await GenServer.start(system, counter(observe), 10, { name: 'counter' });
    const clients = 5;
    const each = 40;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < each; i++) await system.cast('counter', 'increment');
      }),
    );
    await system.send('counter', 'a raw message');
    expect(await server.call('get')).toBe(10 + clients * each);
    expect(await server.call({ add: 5 })).toBe(15 + clients * each);
    expect(observe.maxInFlight).toBe(1);
    expect(observe.infos).toEqual(['a raw message']);
  });

  it('call to an unknown name and to a dead server: NO_PROCESS, at once', async () => {
    const system = newSystem();
    expect((await rejection(system.call('ghost', 'get'))).code).toBe('NO_PROCESS');
    const server = await GenServer.start(system, counter({ inFlight: 0, maxInFlight: 0, infos: [] }), 0);
    await server.stop();
    const e = await rejection(server.call('get'));
    expect(e.code).toBe('NO_PROCESS');
    expect(e.message).toMatch(/no such process; it exited \(normal\)/);
  });

  it('call timeout: TIMEOUT after the timeout; the late reply is discarded, not left in a mailbox', async () => {
    const system = newSystem();
    let handled = false;
    const slow: GenServerBehaviour<number, void> = {
      init: () => 0,
      async handleCall(_request, _from, n) {
        await new Promise((r) => setTimeout(r, 80));
        handled = true;
        return { reply: 'late', state: n + 1 };
      },
    };
    const server = await GenServer.start(system, slow, undefined);
    const t0 = performance.now();
    const e = await rejection(server.call('slow', 20));
    const waited = performance.now() - t0;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/timed out after 20ms/);
    expect(waited).toBeGreaterThanOrEqual(15);
    // The caller gave up before the handler finished (order, not a duration a loaded machine could stretch).
    expect(handled).toBe(false);
    // The request was still handled (a timeout does not mean it did not happen): the next call sees n = 1.
    expect(await server.call('again', 1000)).toBe('late');
    expect(system.stats.callTimeouts).toBe(1);
    expect(system.stats.lateReplies).toBe(1);
  });

  it('many timeouts share one timer per duration: each call times out at its own deadline, replies in time are not failed', async () => {
    const system = newSystem();
    const server = await GenServer.start(
      system,
      {
        init: () => 0,
        async handleCall(request: number, _from, n: number) {
          if (request > 0) await new Promise((r) => setTimeout(r, request));
          return { reply: request, state: n };
        },
      },
      undefined,
    );
    const t0 = performance.now();
    const settledAt = (p: Promise<unknown>) =>
      p.then(
        (v) => ({ ok: v, at: performance.now() - t0 }),
        (e: RacelabError) => ({ err: e.code, at: performance.now() - t0 }),
      );
    // Fast calls first (they settle and leave the shared queue), then one slow call that holds the server,
    // then calls queued behind it with a 25 ms and a 40 ms timeout.
    const fast = await Promise.all([0, 0, 0].map((r) => settledAt(server.call(r, 25))));
    const slow = settledAt(server.call(80, 1000));
    const a = settledAt(server.call(0, 25));
    const b = settledAt(server.call(0, 40));
    const c = settledAt(server.call(0, 25));
    const [ra, rb, rc, rs] = await Promise.all([a, b, c, slow]);
    expect(fast.map((f) => 'ok' in f)).toEqual([true, true, true]);
    expect(rs).toMatchObject({ ok: 80 });
    expect(ra).toMatchObject({ err: 'TIMEOUT' });
    expect(rc).toMatchObject({ err: 'TIMEOUT' });
    expect(rb).toMatchObject({ err: 'TIMEOUT' });
    expect(ra.at).toBeGreaterThanOrEqual(20);
    expect(rb.at).toBeGreaterThanOrEqual(35);
    expect(ra.at).toBeLessThan(rs.at);
    expect(system.stats.callTimeouts).toBe(3);
  });

  it('a handler that throws: the server exits with the error, callers hear PROCESS_EXITED, other processes are untouched', async () => {
    const system = newSystem();
    const observe = { inFlight: 0, maxInFlight: 0, infos: [] as unknown[] };
    const victim = await GenServer.start(system, counter(observe), 0);
    const bystander = await GenServer.start(system, counter(observe), 100);
    await victim.cast('increment');
    await victim.cast('crash');
    // Queued behind the crash: never handled, and the caller is told so instead of waiting for a timeout.
    const queued = rejection(victim.call('get', 60_000));
    const reason = await system.join(victim.pid);
    expect(reason).toEqual({ error: expect.objectContaining({ message: 'handler blew up' }) });
    const e = await queued;
    expect(e.code).toBe('PROCESS_EXITED');
    expect(e.message).toMatch(/exited \(error: handler blew up\) before handling it/);
    expect(await bystander.call('get')).toBe(100);
    expect(system.stats.crashes).toBe(1);
  });

  it('the caller of the call being handled when the server crashes gets PROCESS_EXITED "while handling it"', async () => {
    const system = newSystem();
    const server = await GenServer.start(
      system,
      {
        init: () => 0,
        handleCall() {
          throw new Error('bad request');
        },
      },
      undefined,
    );
    const e = await rejection(server.call('x'));
    expect(e.code).toBe('PROCESS_EXITED');
    expect(e.message).toMatch(/while handling it/);
  });

  it('returns new state: a handler that mutates the state in place crashes (state is frozen)', async () => {
    const system = newSystem();
    const mutating: GenServerBehaviour<{ n: number }, void> = {
      init: () => ({ n: 0 }),
      handleCall(request, _from, state) {
        if (request === 'good') return { reply: state.n + 1, state: { n: state.n + 1 } };
        (state as { n: number }).n++; // in place: forbidden
        return { reply: state.n, state };
      },
    };
    const server = await GenServer.start(system, mutating, undefined);
    expect(await server.call('good')).toBe(1);
    expect((await rejection(server.call('bad'))).code).toBe('PROCESS_EXITED');
    expect(system.exitReasonOf(server.pid)).toEqual({ error: expect.any(TypeError) });
  });

  it('deferred replies with NoReply + GenServer.reply, and Stop with a reply', async () => {
    const system = newSystem();
    const waiting: From[] = [];
    const server = await GenServer.start(
      system,
      {
        init: () => 0,
        handleCall(request, from, n) {
          if (request === 'wait') {
            waiting.push(from);
            return new NoReply(n);
          }
          if (request === 'release') {
            for (const f of waiting.splice(0)) void GenServer.reply(system, f, `released ${n}`);
            return { reply: 'ok', state: n + 1 };
          }
          return new Stop('normal', n, { value: 'bye' });
        },
      } satisfies GenServerBehaviour<number, void>,
      undefined,
    );
    const a = server.call('wait');
    const b = server.call('wait');
    expect(await server.call('release')).toBe('ok');
    expect(await Promise.all([a, b])).toEqual(['released 0', 'released 0']);
    expect(await server.call('stop')).toBe('bye');
    expect(await system.join(server.pid)).toBe('normal');
  });

  it('stop runs terminate after the queued messages; init failure is an error of start', async () => {
    const system = newSystem();
    const log: string[] = [];
    const server = await GenServer.start(
      system,
      {
        init: () => 0,
        handleCast: (_r, n: number) => (log.push(`cast ${n}`), n + 1),
        terminate: (reason, n) => void log.push(`terminate ${String(reason)} at ${n}`),
      },
      undefined,
    );
    await server.cast('a');
    await server.cast('b');
    await server.stop('shutdown');
    expect(log).toEqual(['cast 0', 'cast 1', 'terminate shutdown at 2']);
    const e = await rejection(
      GenServer.start(
        system,
        {
          init: () => {
            throw new Error('no config');
          },
        },
        undefined,
        { name: 'broken' },
      ),
    );
    expect(e.code).toBe('PROCESS_EXITED');
    expect(e.message).toBe('broken failed to start: error: no config');
    expect(system.whereis('broken')).toBeUndefined();
  });
});

describe('Agent', () => {
  it('get, update, getAndUpdate and cast run inside the agent one at a time', async () => {
    const system = newSystem();
    const agent = await Agent.start(system, () => ({ hits: 0, log: [] as readonly string[] }));
    await Promise.all(Array.from({ length: 50 }, () => agent.update((s) => ({ ...s, hits: s.hits + 1 }))));
    expect(await agent.get((s) => s.hits)).toBe(50);
    const before = await agent.getAndUpdate((s) => [s.hits, { hits: 0, log: [...s.log, 'reset'] }] as const);
    expect(before).toBe(50);
    await agent.cast((s) => ({ ...s, hits: s.hits + 7 }));
    expect(await agent.get((s) => s)).toEqual({ hits: 7, log: ['reset'] });
    // Async functions are awaited inside the agent before the next operation starts.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        agent.update(async (s) => {
          const hits = s.hits;
          await new Promise((r) => setImmediate(r));
          return { ...s, hits: hits + 1 };
        }),
      ),
    );
    expect(await agent.get((s) => s.hits)).toBe(17);
    await agent.stop();
    expect(system.isAlive(agent.pid)).toBe(false);
  });
});
