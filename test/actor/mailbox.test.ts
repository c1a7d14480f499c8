import { describe, expect, it } from 'vitest';
import { ActorSystem, GenServer, Mailbox, type Pid } from '../../src/actor/index.js';
import { RacelabError } from '../../src/core/index.js';
import { actorSystems } from './helpers/systems.js';

const newSystem = actorSystems();

/** A process that takes nothing until it gets `go` (selectively), then records everything else in order. */
function gatedSink(system: ActorSystem, total: number, capacity: number, overflow: 'reject' | 'drop-newest' | 'drop-oldest' | 'block') {
  const got: unknown[] = [];
  const pid = system.spawn(
    async (self) => {
      await self.receive((m) => m === 'go');
      for (let i = 0; i < total; i++) got.push(await self.receive());
    },
    { mailbox: { capacity, overflow } },
  );
  return { pid, got };
}

describe('bounded mailboxes', () => {
  it('reject: a send to a full mailbox throws MAILBOX_FULL and the mailbox never holds more than its capacity', async () => {
    const system = newSystem();
    const { pid } = gatedSink(system, 0, 3, 'reject');
    for (let i = 0; i < 3; i++) await system.send(pid, i);
    let error: unknown;
    try {
      await system.send(pid, 'one too many');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RacelabError);
    expect((error as RacelabError).code).toBe('MAILBOX_FULL');
    expect((error as RacelabError).message).toMatch(/mailbox full \(3 waiting, capacity 3, overflow reject\)/);
    expect(pid.process.mailbox.highWater).toBe(3);
    expect(system.stats.overflowRejected).toBe(1);
  });

  it('drop-newest keeps the first messages; drop-oldest keeps the last; both count what they dropped', async () => {
    const system = newSystem();
    const newest = gatedSink(system, 3, 3, 'drop-newest');
    const oldest = gatedSink(system, 2, 3, 'drop-oldest');
    // 'go' is itself a message: with capacity 3 it must be sent first so it is not the one dropped.
    for (const s of [newest, oldest]) {
      for (let i = 0; i < 6; i++) await system.send(s.pid, i);
    }
    expect(newest.pid.process.mailbox.dropped).toBe(3);
    expect(oldest.pid.process.mailbox.dropped).toBe(3);
    await system.send(newest.pid, 'go'); // dropped too: the mailbox is full
    expect(newest.pid.process.mailbox.dropped).toBe(4);
    await system.send(oldest.pid, 'go'); // evicts 3
    await system.join(oldest.pid);
    expect(oldest.got).toEqual([4, 5]); // 'go' was consumed by the selective receive; ends at mailbox empty
  });

  it('block: senders wait for room (backpressure), every message arrives, in per-sender order', async () => {
    const system = newSystem();
    const senders = 4;
    const each = 25;
    const got: unknown[] = [];
    let open = false;
    const pid = system.spawn(
      async (self) => {
        while (!open) await self.sleep(5);
        for (let i = 0; i < senders * each + 1; i++) got.push(await self.receive());
      },
      { mailbox: { capacity: 2, overflow: 'block' } },
    );
    const sent: Pid[] = [];
    for (let s = 0; s < senders; s++) {
      sent.push(
        system.spawn(async (self) => {
          for (let i = 0; i < each; i++) await self.send(pid, { s, i });
        }),
      );
    }
    await new Promise((r) => setImmediate(r));
    // Senders are parked, not failing: the mailbox is at its bound and the rest wait in line.
    expect(pid.process.mailbox.size).toBe(2);
    expect(pid.process.mailbox.blocked).toBeGreaterThan(0);
    const external = system.send(pid, 'last'); // an external sender waits its turn too
    expect(external).toBeInstanceOf(Promise);
    open = true;
    await external;
    await system.join(pid);
    expect(got).toHaveLength(senders * each + 1);
    expect(got.filter((m) => m === 'last')).toHaveLength(1);
    expect(pid.process.mailbox.highWater).toBe(2);
    for (let s = 0; s < senders; s++) {
      expect(got.filter((m) => (m as { s: number }).s === s).map((m) => (m as { i: number }).i)).toEqual([...Array(each).keys()]);
    }
  });

  it('a call to a full reject mailbox fails at once with MAILBOX_FULL instead of timing out', async () => {
    const system = newSystem();
    const server = await GenServer.start(
      system,
      {
        init: () => 0,
        async handleCall(_r, _f, n: number) {
          await new Promise((r) => setTimeout(r, 30));
          return { reply: n, state: n };
        },
      },
      undefined,
      { mailbox: { capacity: 1, overflow: 'reject' } },
    );
    const first = server.call('a'); // being handled
    await new Promise((r) => setImmediate(r));
    const second = server.call('b'); // waiting in the mailbox
    await expect(server.call('c')).rejects.toMatchObject({ code: 'MAILBOX_FULL' });
    expect(await Promise.all([first, second])).toEqual([0, 0]);
  });

  it('rejects a bad capacity or policy with a clear error', () => {
    expect(() => new Mailbox({ capacity: 0 })).toThrow(/mailbox capacity: 0 is not a whole number of at least 1/);
    expect(() => new Mailbox({ capacity: 2, overflow: 'explode' as never })).toThrow(/"explode" is not a policy; use one of reject, drop-newest, drop-oldest, block/);
  });
});

describe('mailbox entry times (for a MessageTimeline)', () => {
  it('each taken message reports when it entered, through shift, selective removal, drop-oldest and compaction', () => {
    let now = 0;
    const box = new Mailbox({ capacity: 3, overflow: 'drop-oldest' });
    box.recordTimes(() => now);
    for (const m of ['a', 'b', 'c']) {
      now += 10;
      box.push(m);
    }
    expect(box.removeAt(1)).toBe('b');
    expect(box.lastTakenAt).toBe(20);
    // drop-oldest as the system does it when the box is full: the oldest is shifted out, the new one pushed.
    box.push('x');
    now = 50;
    expect(box.shift()).toBe('a');
    box.push('d');
    expect(box.shift()).toBe('c');
    expect(box.lastTakenAt).toBe(30);
    expect(box.shift()).toBe('x');
    expect(box.lastTakenAt).toBe(30);
    expect(box.shift()).toBe('d');
    expect(box.lastTakenAt).toBe(50);
    const big = new Mailbox();
    big.recordTimes(() => now);
    for (let i = 0; i < 3000; i++) {
      now = 1000 + i;
      big.push(i);
    }
    for (let i = 0; i < 2500; i++) {
      expect(big.shift()).toBe(i);
      expect(big.lastTakenAt).toBe(1000 + i);
    }
  });

  it('each taken message reports who sent it, through selective removal, compaction, a blocked send and a drain', () => {
    const box = new Mailbox({ capacity: 2, overflow: 'block' });
    box.push('before', { display: 'early' }); // before recording: no sender kept
    box.recordTimes(() => 0);
    box.push('a', { display: 'client-1' });
    box.block({ message: 'b', sender: { display: 'client-2' }, wake: () => {}, accepted: false });
    expect(box.shift()).toBe('before');
    expect(box.lastTakenFrom).toBeUndefined();
    // Taking 'before' made room: the blocked send is admitted with its sender.
    expect(box.waitingSenders()).toEqual(['client-1', 'client-2']);
    expect(box.removeAt(1)).toBe('b');
    expect(box.lastTakenFrom).toBe('client-2');
    box.push('c', null);
    expect(box.shift()).toBe('a');
    expect(box.lastTakenFrom).toBe('client-1');
    expect(box.shift()).toBe('c');
    expect(box.lastTakenFrom).toBeUndefined();
    const big = new Mailbox();
    big.recordTimes(() => 0);
    for (let i = 0; i < 3000; i++) big.push(i, { display: `p${i}` });
    for (let i = 0; i < 2500; i++) {
      expect(big.shift()).toBe(i);
      expect(big.lastTakenFrom).toBe(`p${i}`);
    }
    expect(big.waitingSenders()).toHaveLength(500);
    expect(big.waitingSenders()![0]).toBe('p2500');
    big.drain();
    expect(big.waitingSenders()).toEqual([]);
  });

  it('a GenServer records each handled message: enqueued, handler start and end on the system clock, capped', async () => {
    const { MessageTimeline } = await import('../../src/actor/index.js');
    const timeline = new MessageTimeline({ cap: 3 });
    const system = new ActorSystem({ timeline });
    const server = await GenServer.start(system, { init: () => 0, handleCast: (_r: unknown, n: number) => n + 1, handleCall: (_r: unknown, _f: unknown, n: number) => ({ reply: n, state: n }) }, undefined, { name: 'c' });
    for (let i = 0; i < 4; i++) await server.cast('inc');
    expect(await server.call('get')).toBe(4);
    await system.shutdown();
    const record = timeline.finish();
    expect(record.messages.map((m) => `${m.lane} ${m.what} ${m.outcome}`)).toEqual(['c cast inc handled', 'c cast inc handled', 'c cast inc handled']);
    expect(record.notKept).toBe(2);
    for (const m of record.messages) expect(m.enqueuedMs <= m.startMs && m.startMs <= m.endMs!).toBe(true);
    // The casts came from the test's code, outside every process: no sender is named.
    for (const m of record.messages) expect(m.from).toBeUndefined();
    // Nothing is recorded on a system created without a timeline.
    expect(new ActorSystem().timeline).toBeNull();
  });
});
