import { pct } from '../../core/units.js';
import { Agent, GenServer, type GenServerBehaviour, type MessageTimeline, type Process } from '../../actor/index.js';
import { checkVariant, countOutcome, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

interface Count {
  readonly value: number;
  /** Bumped by every write: what compare-and-set checks. */
  readonly version: number;
}

type CounterCall = 'get' | 'read' | 'increment' | { readonly cas: number; readonly value: number };
type CounterCast = 'increment' | { readonly set: number };

/**
 * A counter GenServer offering both the racy protocol (get, then set) and the safe ones (increment, CAS). With a
 * timeline, the safe ones report their reads and writes from inside the handler, in the order the server applies
 * them: an increment reads and writes in its own message (a window nothing can enter); a `read` and a successful
 * `cas` are reported on the span its caller began for the update (`messageOfCaller`). The racy protocol reports
 * nothing here: get-then-set reports its read and write from the client, around the two messages.
 */
export function versionedCounter(tl: MessageTimeline | null): GenServerBehaviour<Count, void> {
  return {
    init: () => ({ value: 0, version: 0 }),
    handleCall(request: CounterCall, from, s: Count, self) {
      if (request === 'get') return { reply: s.value, state: s };
      if (request === 'read') {
        tl?.readOn(tl.messageOfCaller(from), 'count', s.value);
        return { reply: s, state: s };
      }
      if (request === 'increment') {
        const next = { value: s.value + 1, version: s.version + 1 };
        tl?.read(self, 'count', s.value);
        tl?.write(self, 'count', next.value);
        return { reply: next.value, state: next };
      }
      if (request.cas !== s.version) {
        // Drawn on the counter's own message, so the page shows each attempt the version check turned away.
        tl?.remark(self, `REFUSED: the caller read version ${request.cas}, the count is at version ${s.version}; it retries from a new read`);
        return { reply: false, state: s };
      }
      // Only a cas that found the version its caller read writes, and is reported as that caller's write.
      tl?.writeOn(tl.messageOfCaller(from), 'count', request.value);
      return { reply: true, state: { value: request.value, version: s.version + 1 } };
    },
    handleCast(request: CounterCast, s: Count, self) {
      if (request === 'increment') {
        tl?.read(self, 'count', s.value);
        tl?.write(self, 'count', s.value + 1);
        return { value: s.value + 1, version: s.version + 1 };
      }
      return { value: request.set, version: s.version + 1 };
    },
  };
}

const variants: Record<string, string> = {
  'get-then-set': 'each client calls get, works 0-1 ms, then casts {set, n + 1}: two messages, and the count can move between them',
  'agent-get-then-update': 'the same with an Agent: Agent.get, work, then Agent.update(fn _ -> n + 1 end)',
  'atomic-increment': 'each client works, then casts increment: the read and the write happen in one handler, one message',
  'cas-version': 'each client reads {value, version}, works, then calls {cas, version, value + 1}, and retries when the version moved',
  'agent-update': 'Agent.update(&(&1 + 1)): the function runs inside the agent, read and write in one step',
};

/**
 * Stale state across messages. Every message is handled atomically, but a client's decision spans two messages:
 * `get` returns n, and by the time `{set, n + 1}` arrives other clients' sets may have been applied; the set
 * overwrites them. Serialization inside the server cannot help, because the read-modify-write is not inside it.
 */
export const checkThenActPattern: ActorPattern = {
  name: 'check-then-act',
  title: 'stale state across messages: get, then cast {set, n + 1}',
  vulnerable: ['get-then-set', 'agent-get-then-update'],
  fixed: ['atomic-increment', 'cas-version', 'agent-update'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 25 }, virtual: { senders: 2, messages: 1 } }, async (w) => {
      const { system, rng } = w;
      let conflicts = 0;
      let read: () => Promise<number>;
      // A client works a seeded 0-1 ms on what it read before it writes (its decision takes time, as real ones do).
      let round: (self: Process, thinkMs: number) => Promise<void>;
      const think = async (self: Process, ms: number): Promise<void> => {
        if (ms > 0) await self.sleep(ms);
      };
      // The racy variants report from the client (see get-then-set), under the real scheduler only. The fixes report
      // from inside the counter's (or agent's) handler, which runs in the order the server applies them under any
      // scheduler: `serverTl` is that timeline. None of these reports is a scheduling point.
      const tl = w.virtualTime ? null : w.timeline;
      const serverTl = w.timeline;
      if (variant.startsWith('agent')) {
        const agent = await Agent.start<number>(system, () => 0, { name: 'counter' });
        read = () => agent.get((n) => n);
        round =
          variant === 'agent-update'
            ? async (self, ms) => {
                await think(self, ms);
                // The function runs inside the agent: its read and its write are one message of the agent's.
                await agent.update((n) => {
                  serverTl?.read(agent.pid, 'count', n);
                  serverTl?.write(agent.pid, 'count', n + 1);
                  return n + 1;
                });
              }
            : async (self, ms) => {
                // Reported as get-then-set's are (real scheduler only): the get and the update's call enter the
                // agent's mailbox when they are made.
                tl?.beginTask(self, self.display, 'Agent.get, then Agent.update(fn _ -> n + 1 end)', tl.now());
                tl?.read(self, 'count');
                const n = await agent.get((v) => v);
                tl?.readValue(self, n);
                await think(self, ms);
                tl?.write(self, 'count', n + 1);
                await agent.update(() => n + 1);
                tl?.endTask(self);
              };
      } else {
        const counter = await GenServer.start(system, versionedCounter(serverTl), undefined, { name: 'counter' });
        read = () => counter.call<number>('get');
        if (variant === 'get-then-set') {
          // Recorded under the real scheduler only, where a call or a cast enters the mailbox when it is made (a
          // controlled scheduler may defer it). The read is reported as the get is sent (its value when the answer
          // comes) and the write as the set is: one mailbox, handled in order, so the order of the reports is the
          // order the counter applied them, and every write that went over an unseen update is marked. (Reported when
          // the answer came, a set the counter took between the get and the answer would come before the read.)
          round = async (self, ms) => {
            tl?.beginTask(self, self.display, 'get, then cast {set, n + 1}', tl.now());
            tl?.read(self, 'count');
            const n = await self.call<number>('counter', 'get');
            tl?.readValue(self, n);
            await think(self, ms);
            tl?.write(self, 'count', n + 1);
            const p = self.cast('counter', { set: n + 1 });
            if (p !== undefined) await p;
            tl?.endTask(self);
          };
        } else if (variant === 'atomic-increment') {
          round = async (self, ms) => {
            await think(self, ms);
            const p = self.cast('counter', 'increment');
            if (p !== undefined) await p;
          };
        } else {
          // One span per update, begun before its first read and ended after its cas succeeded. The counter's
          // handler reports each attempt's read on it (a retry's read replaces the last one: the work is redone from
          // it) and, only for the cas that succeeded, the write. Why no mark can fall on a correct run: every read
          // and write of this variant is reported by the counter's handler, one message at a time, so their order
          // (seq) is the order the counter applied them; every write bumps the version; a cas succeeds only if the
          // version is the one its attempt read. So no write was applied, nor reported, between an update's last
          // read and its write, which is what finish() would mark. Were the cas not to check the version, the
          // writes that came in between would be reported there, and marked.
          round = async (self, ms) => {
            serverTl?.beginTask(self, self.display, 'read {value, version}, work, cas (retried until it succeeds)', serverTl.now());
            for (;;) {
              const { value, version } = await self.call<Count>('counter', 'read');
              await think(self, ms);
              if (await self.call<boolean>('counter', { cas: version, value: value + 1 })) break;
              conflicts++;
            }
            serverTl?.endTask(self);
          };
        }
      }
      const thinkMs = Array.from({ length: w.senders }, () => Array.from({ length: w.messages }, () => rng.int(2)));
      const clients = spawnClients(system, w.senders, 'client', async (self, c) => {
        for (let i = 0; i < w.messages; i++) await round(self, thinkMs[c]?.[i] ?? 0);
      });
      await joinAll(system, clients);
      return { observed: await read(), conflicts };
    });
    const expected = senders * messages;
    return countOutcome({
      pattern: 'check-then-act',
      unit: 'increments',
      variant,
      system,
      expected,
      observed: result.observed,
      details: { clients: senders, roundsPerClient: messages, casConflicts: result.conflicts },
    });
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const head = `${o.variant}: ${d.clients} clients x ${d.roundsPerClient} rounds = ${o.expected} increments intended, the count ended at ${o.observed}`;
    if (o.variant === 'get-then-set' || o.variant === 'agent-get-then-update') {
      return o.lostEffects > 0
        ? `${head}: ${plural(o.lostEffects, 'update')} lost (${pct(o.lostEffects, Number(o.expected))}). Each message was handled atomically, but a client's read and its write were two messages: between a client's get and its set, other clients' sets landed, and the set wrote n + 1 over them.`
        : `${head}: no update lost in this run, yet the protocol is still racy (a get and the set that follows are two messages); rerun with more clients or another seed.`;
    }
    if (o.variant === 'cas-version') {
      return `${head}: ${o.lostEffects === 0 ? 'no update lost' : `${plural(o.lostEffects, 'update')} lost`}. ${plural(Number(d.casConflicts), 'compare-and-set')} found the version moved since the client's read and retried instead of overwriting: the race still happens, and is detected.`;
    }
    return `${head}: ${o.lostEffects === 0 ? 'no update lost' : `${plural(o.lostEffects, 'update')} lost`}. The read and the write happen in one handler run, so nothing can come between them.`;
  },
};
