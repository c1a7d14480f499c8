import { pct } from '../../core/units.js';
import { Agent, GenServer, type GenServerBehaviour, type MessageTimeline, type Pid, type Process } from '../../actor/index.js';
import { checkVariant, countOutcome, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

/** Handler concurrency seen from inside: how many increments were between their read and their write at once. */
interface Probe {
  inFlight: number;
  maxInFlight: number;
}

function enter(p: Probe): void {
  p.inFlight++;
  if (p.inFlight > p.maxInFlight) p.maxInFlight = p.inFlight;
}

/** The seed's Counter (and, character for character, its SafeCounter): handle_cast(:increment) returns count + 1. */
function seedCounter(probe: Probe, tl: MessageTimeline | null): GenServerBehaviour<number, number> {
  return {
    init: (count) => count,
    handleCall: (request, _from, count) => ({ reply: count, state: count }), // :get_count
    handleCast(request, count, self) {
      enter(probe);
      probe.inFlight--;
      const next = request === 'decrement' ? count - 1 : count + 1;
      tl?.read(self, 'count', count);
      tl?.write(self, 'count', next);
      return next;
    },
    // No handleInfo, as in the seed: a raw `send(:counter, :increment)` is an unexpected message, dropped.
  };
}

/** Counter whose handle_cast awaits between reading the count and returning count + 1, like a handler doing I/O. */
function awaitingCounter(probe: Probe, windowMs: number, tl: MessageTimeline | null): GenServerBehaviour<number, number> {
  return {
    init: (count) => count,
    handleCall: (_request, _from, count) => ({ reply: count, state: count }),
    async handleCast(_request, count, self) {
      enter(probe);
      const read = count;
      tl?.read(self, 'count', read);
      await self.sleep(windowMs);
      probe.inFlight--;
      tl?.write(self, 'count', read + 1);
      return read + 1;
    },
  };
}

/**
 * What the seed's steps 1-5 need: handlers running concurrently over one mutable count. A GenServer never does
 * that, so this server breaks its rule on purpose: handle_cast starts a task per :increment and returns at once,
 * and each task reads the shared count, awaits, and writes read+1.
 */
function taskPerMessageCounter(probe: Probe, windowMs: number, cell: { count: number }, tasks: Pid[], tl: MessageTimeline | null): GenServerBehaviour<number, number> {
  return {
    init: (count) => ((cell.count = count), count),
    handleCall: (_request, _from, n) => ({ reply: n, state: n }),
    handleCast(_request, n, self) {
      const started = tl?.now() ?? 0;
      tasks.push(
        self.spawn(async (task) => {
          tl?.beginTask(task, `${self.display} tasks`, 'increment task', started);
          enter(probe);
          const read = cell.count;
          tl?.read(task, 'count', read);
          await task.sleep(windowMs);
          cell.count = read + 1;
          tl?.write(task, 'count', read + 1);
          probe.inFlight--;
          tl?.endTask(task);
        }),
      );
      return n;
    },
  };
}

const variants: Record<string, string> = {
  'seed-send':
    "the seed's client code as written: send(:counter, :increment), a raw message, not a cast; it reaches handle_info, which Counter does not define, so it is dropped",
  'task-per-message':
    'the interleaving the seed describes, which needs a server that breaks the GenServer rule: handle_cast starts a task per :increment, each reads the shared count, awaits, writes read+1',
  counter: "the seed's Counter: GenServer.cast(:counter, :increment); handle_cast returns count + 1",
  'safe-counter': "the seed's SafeCounter, the seed's fix: the very same code as Counter",
  'counter-await': "Counter whose handle_cast awaits between reading the count and returning count + 1",
  agent: 'an Agent holding the count: Agent.update(fn count -> count + 1 end)',
};

/**
 * The seed's Counter example, tested. The seed says two concurrent `handle_cast(:increment)` can interleave and
 * lose an update. They cannot: a GenServer takes the next message only after the handler for the previous one has
 * returned (even when it awaits), so `count + 1` is never computed from a stale count. The seed's fix
 * (SafeCounter) is therefore the same code as its bug. What does lose increments: the seed's own client code
 * (a raw `send` is not a cast) and a server that runs handlers concurrently.
 */
export const counterCastPattern: ActorPattern = {
  name: 'counter-cast',
  title: "the seed's Counter and SafeCounter: does handle_cast(:increment) lose updates?",
  vulnerable: ['seed-send', 'task-per-message'],
  fixed: ['counter', 'safe-counter', 'counter-await', 'agent'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 25 }, virtual: { senders: 2, messages: 2 } }, async (w) => {
      const { system } = w;
      const probe: Probe = { inFlight: 0, maxInFlight: 0 };
      const windowMs = 1;
      const cell = { count: 0 };
      const tasks: Pid[] = [];
      let read: () => Promise<number>;
      let increment: (self: Process) => void | Promise<void>;
      if (variant === 'agent') {
        const agent = await Agent.start<number>(system, () => 0, { name: 'counter' });
        read = () => agent.get((n) => n);
        const tl = w.timeline;
        // The function runs inside the agent, one message at a time: its read and its write are one message's.
        increment = () =>
          agent.cast((n) => {
            enter(probe);
            probe.inFlight--;
            tl?.read(agent.pid, 'count', n);
            tl?.write(agent.pid, 'count', n + 1);
            return n + 1;
          });
      } else {
        const behaviour =
          variant === 'counter-await'
            ? awaitingCounter(probe, windowMs, w.timeline)
            : variant === 'task-per-message'
              ? taskPerMessageCounter(probe, windowMs, cell, tasks, w.timeline)
              : seedCounter(probe, w.timeline);
        const name = variant === 'safe-counter' ? 'safe_counter' : 'counter';
        const server = await GenServer.start(system, behaviour, 0, { name });
        increment = variant === 'seed-send' ? (self) => self.send(name, 'increment') : (self) => self.cast(name, 'increment');
        read = async () => {
          const n = await server.call<number>('get_count');
          if (variant !== 'task-per-message') return n;
          // The tasks outlive their messages: wait for all of them, then read the shared count they wrote.
          await joinAll(system, tasks);
          return cell.count;
        };
      }
      const clients = spawnClients(system, w.senders, 'sender', async (self) => {
        for (let i = 0; i < w.messages; i++) {
          const p = increment(self);
          if (p !== undefined) await p;
        }
      });
      await joinAll(system, clients);
      const observed = await read();
      return { observed, probe, unexpected: system.stats.unexpectedMessages };
    });
    const expectedCount = senders * messages;
    return countOutcome({
      pattern: 'counter-cast',
      unit: 'increments',
      variant,
      system,
      expected: expectedCount,
      observed: result.observed,
      details: {
        maxHandlersInFlight: result.probe.maxInFlight,
        unexpectedMessages: result.unexpected,
      },
    });
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const lost = o.lostEffects;
    const head = `${o.variant}: ${o.expected} increments sent, the count ended at ${o.observed}`;
    switch (o.variant) {
      case 'seed-send':
        return `${head}. All ${d.unexpectedMessages} raw :increment messages went to handle_info, which the seed's Counter does not define, so each was dropped as unexpected: ${pct(lost, Number(o.expected))} lost, and not by any race. GenServer.cast(:counter, :increment) is what reaches handle_cast.`;
      case 'task-per-message':
        return `${head}: ${plural(lost, 'update')} lost (${pct(lost, Number(o.expected))}). Up to ${d.maxHandlersInFlight} increments were between their read and their write at once; each wrote read+1 over the others. This is the interleaving the seed describes, and it needs handlers running concurrently on shared state, which a GenServer never does.`;
      default:
        return `${head}: ${lost === 0 ? 'no update lost' : `${plural(lost, 'update')} lost`}. At most ${d.maxHandlersInFlight} increment was ever being handled at a time: the ${o.variant === 'agent' ? 'Agent' : 'GenServer'} takes the next message only after the handler for the last one returned${o.variant === 'counter-await' ? ', even though this handler awaited between its read and its write' : ''}. The seed's claim that two handle_cast(:increment) interleave is wrong${o.variant === 'safe-counter' ? ", and its SafeCounter fix is the same code as its Counter" : ''}.`;
    }
  },
};
