import { describe, expect, it } from 'vitest';
import { ActorSystem, Agent, GenServer, MessageTimeline, type From, type Process, type TimelineMessage } from '../../src/actor/index.js';

/** A stand-in for a process: the timeline only keys on it and reads its name. */
const proc = (display: string): Process => ({ display }) as unknown as Process;

describe('MessageTimeline: duplicated effects and losses a workload marks', () => {
  it('an effect applied once per key: the second and later applications are duplicated, pointing at the first', () => {
    const tl = new MessageTimeline();
    const p = proc('payments');
    for (const key of ['a', 'b', 'a', 'a']) {
      tl.handlerStart(p, 'charge', undefined);
      tl.effect(p, key);
      tl.handlerEnd(p);
    }
    const { messages } = tl.finish();
    expect(messages.map((m) => [m.effect?.key, m.mark, m.markedBy])).toEqual([
      ['a', undefined, undefined],
      ['b', undefined, undefined],
      ['a', 'duplicated', 1],
      ['a', 'duplicated', 1],
    ]);
  });

  it('an effect with a limit: only the applications beyond it are duplicated, pointing at the last one within it', () => {
    const tl = new MessageTimeline();
    const p = proc('coupon');
    for (let i = 0; i < 5; i++) {
      tl.handlerStart(p, 'redeem', undefined);
      tl.effect(p, 'use', 3);
      tl.handlerEnd(p);
    }
    const { messages } = tl.finish();
    expect(messages.map((m) => m.mark ?? '-')).toEqual(['-', '-', '-', 'duplicated', 'duplicated']);
    expect(messages.slice(3).map((m) => m.markedBy)).toEqual([3, 3]);
    expect(messages[0]!.effect!.limit).toBe(3);
  });

  it("a key whose losses the workload marks: finish() leaves its windows alone, markLost's marks stay", () => {
    const tl = new MessageTimeline();
    const a = proc('a');
    const b = proc('b');
    // Two overlapping read-then-writes of 'x' (the second wrote over the first) and of 'y'.
    const ofB: Array<ReturnType<MessageTimeline['messageOf']>> = [];
    for (const key of ['x', 'y']) {
      tl.handlerStart(a, 'm', undefined);
      const ma = tl.messageOf(a);
      tl.handlerStart(b, 'm', undefined);
      ofB.push(tl.messageOf(b));
      tl.readOn(ma, key);
      tl.read(b, key);
      tl.write(b, key);
      tl.writeOn(ma, key);
      tl.handlerEnd(a);
      tl.handlerEnd(b);
    }
    tl.marksOwnLosses('x');
    tl.markLost(ofB[0], undefined, 'LOST: the end state lacks it');
    const { messages } = tl.finish();
    expect(messages.map((m) => m.mark ?? '-')).toEqual(['-', 'lost', 'lost', 'overwritten']);
    expect(messages[1]!.note).toBe('LOST: the end state lacks it');
    expect(messages[2]!.markedBy).toBe(4);
    expect(messages[2]!.note).toBeUndefined();
  });
});

describe('MessageTimeline: reports a server makes for the message or task that asked for them', () => {
  // A register with the two calls of an optimistic update (read, then write), each reported by the server's handler
  // on its caller's span. `write` here is blind (it checks no version): the failure a cas exists to prevent.
  const register = (tl: MessageTimeline) => ({
    init: () => 0,
    handleCall(request: 'read' | { readonly write: number }, from: From, s: number) {
      if (request === 'read') {
        tl.readOn(tl.messageOfCaller(from), 'x', s);
        return { reply: s, state: s };
      }
      tl.writeOn(tl.messageOfCaller(from), 'x', request.write);
      return { reply: true, state: request.write };
    },
  });

  it("messageOfCaller: the caller's task span, so a write over an unseen one reported from the server is marked", async () => {
    const tl = new MessageTimeline();
    const system = new ActorSystem({ timeline: tl });
    try {
      await GenServer.start(system, register(tl), undefined, { name: 'register' });
      // a reads, then waits while b reads and writes; then a writes n + 1 over b's write, which it never read.
      const a = system.spawn(
        async (self) => {
          tl.beginTask(self, 'a', 'read, then write', tl.now());
          const n = await self.call<number>('register', 'read');
          await self.send('b', 'go');
          await self.receive((m) => m === 'done');
          await self.call('register', { write: n + 1 });
          tl.endTask(self);
        },
        { name: 'a' },
      );
      const b = system.spawn(
        async (self) => {
          await self.receive((m) => m === 'go');
          tl.beginTask(self, 'b', 'read, then write', tl.now());
          const n = await self.call<number>('register', 'read');
          await self.call('register', { write: n + 1 });
          tl.endTask(self);
          await self.send('a', 'done');
        },
        { name: 'b' },
      );
      for (const pid of [a, b]) await system.join(pid);
      // A call from outside any process has no caller span: nothing is reported, nothing breaks.
      await system.call('register', 'read');
    } finally {
      await system.shutdown();
    }
    const { messages } = tl.finish();
    const spans = messages.filter((m) => m.lane === 'a' || m.lane === 'b');
    expect(spans.map((m) => [m.lane, m.read?.value, m.write?.value, m.mark])).toEqual([
      ['a', 0, 1, 'lost'],
      ['b', 0, 1, 'overwritten'],
    ]);
    expect(messages.filter((m) => m.lane === 'register').every((m) => m.read === undefined && m.write === undefined)).toBe(true);
  });

  it("a pid stands for its process: an Agent's function reports its read and write on the agent's message", async () => {
    const tl = new MessageTimeline();
    const system = new ActorSystem({ timeline: tl });
    try {
      const agent = await Agent.start<number>(system, () => 0, { name: 'agent' });
      await agent.update((n) => {
        tl.read(agent.pid, 'n', n);
        tl.write(agent.pid, 'n', n + 1);
        return n + 1;
      });
    } finally {
      await system.shutdown();
    }
    const [update] = tl.finish().messages.filter((m) => m.read !== undefined);
    expect([update?.lane, update?.what, update?.read?.value, update?.write?.value]).toEqual(['agent', 'call update', 0, 1]);
  });

  it("effectOn: an effect reported on an earlier message's span, in the order applied; a repeat is duplicated", () => {
    const tl = new MessageTimeline();
    const p = proc('receiver');
    const spans: Array<TimelineMessage | undefined> = [];
    for (let i = 0; i < 3; i++) {
      tl.handlerStart(p, `op ${i}`, undefined);
      spans.push(tl.messageOf(p));
      tl.handlerEnd(p);
    }
    tl.effectOn(spans[1], 'op 1');
    tl.effectOn(spans[0], 'op 0');
    tl.effectOn(spans[2], 'op 1');
    tl.effectOn(undefined, 'op 2');
    const { messages } = tl.finish();
    expect(messages.map((m) => [m.effect?.key, m.mark, m.markedBy])).toEqual([
      ['op 0', undefined, undefined],
      ['op 1', undefined, undefined],
      ['op 1', 'duplicated', 2],
    ]);
  });
});
