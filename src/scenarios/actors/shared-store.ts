import { pct } from '../../core/units.js';
import { GenServer, type GenServerBehaviour, type MessageTimeline, type Process } from '../../actor/index.js';
import { MemoryStore } from '../../store/memory.js';
import type { Store } from '../../store/store.js';
import { checkVariant, countOutcome, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

const KEY = 'visits';

/** A worker actor: serializes its OWN messages, and touches the shared store per `update`. */
function worker(update: (self: Process) => Promise<void>, handled: { count: number }): GenServerBehaviour<number, void> {
  return {
    init: () => 0,
    handleCall: (_request, _from, n) => ({ reply: n, state: n }), // sync: everything before it is done
    async handleCast(_request, n, self) {
      await update(self);
      handled.count++;
      return n + 1;
    },
  };
}

/** The owner: the only actor that touches the key; its one-message-at-a-time makes read-then-write safe. */
function owner(store: Store, tl: MessageTimeline | null): GenServerBehaviour<number, void> {
  return {
    init: () => 0,
    async handleCall(_request, _from, n, self) {
      tl?.read(self, KEY);
      const v = await store.get(KEY);
      tl?.write(self, KEY, v + 1);
      await store.set(KEY, v + 1);
      return { reply: v + 1, state: n + 1 };
    },
  };
}

const variants: Record<string, string> = {
  'read-then-write': 'each worker handles an increment with store.get, then store.set(value + 1): every worker is serialized, the two of them are not',
  'owner-actor': 'workers forward each increment to one owner actor, the only one that reads and writes the key',
  'atomic-store-op': 'each worker uses the store\'s atomic increment: one store operation, nothing between a read and a write',
};

/**
 * Two actors doing read-then-write on one shared store. Each actor handles its own messages one at a time, which
 * protects its own state and nothing else: the store is shared, and the two actors' handlers interleave at every
 * store operation (each is a scheduling point of the same scheduler, like a round trip to a database).
 */
export const sharedStorePattern: ActorPattern = {
  name: 'shared-store',
  title: 'two actors doing read-then-write on a shared Store',
  vulnerable: ['read-then-write'],
  fixed: ['owner-actor', 'atomic-store-op'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const workers = 2;
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 25 }, virtual: { senders: 2, messages: 1 } }, async (w) => {
      const { system, rng, scheduler } = w;
      const store = new MemoryStore(scheduler);
      const handled = { count: 0 };
      // Reads and writes are reported just before the store call: under the real scheduler the memory store reads
      // and writes within the call, so the recorded order is the store's (a controlled scheduler may defer the
      // operation, so nothing is reported there).
      const tl = w.virtualTime ? null : w.timeline;
      let update: (self: Process) => Promise<void>;
      if (variant === 'owner-actor') {
        const o = await GenServer.start(system, owner(store, tl), undefined, { name: 'owner' });
        update = async () => void (await o.call('increment', 60_000));
      } else if (variant === 'atomic-store-op') {
        update = async (self) => {
          const v = await store.increment(KEY);
          // One store operation: its read and its write are one step.
          tl?.read(self, KEY, v - 1);
          tl?.write(self, KEY, v);
        };
      } else {
        update = async (self) => {
          tl?.read(self, KEY);
          const v = await store.get(KEY);
          tl?.write(self, KEY, v + 1);
          await store.set(KEY, v + 1);
        };
      }
      const names = Array.from({ length: workers }, (_, i) => `worker-${String.fromCharCode(97 + i)}`);
      const refs = [];
      for (const name of names) refs.push(await GenServer.start(system, worker(update, handled), undefined, { name }));
      // Each increment goes to a worker picked at random (seeded), as a load balancer would.
      const routes = Array.from({ length: w.senders * w.messages }, () => rng.int(workers));
      const perWorker = names.map((_, i) => routes.filter((r) => r === i).length);
      const clients = spawnClients(system, w.senders, 'client', async (self, c) => {
        for (let i = 0; i < w.messages; i++) {
          const p = self.cast(names[routes[c * w.messages + i] ?? 0] as string, 'increment');
          if (p !== undefined) await p;
        }
      });
      await joinAll(system, clients);
      for (const ref of refs) await ref.call('sync', 60_000);
      return { observed: await store.get(KEY), perWorker, handled: handled.count };
    });
    const expected = senders * messages;
    return countOutcome({
      pattern: 'shared-store',
      unit: 'increments',
      variant,
      system,
      expected,
      observed: result.observed,
      details: { workers, incrementsHandled: result.handled, ...Object.fromEntries(result.perWorker.map((n, i) => [`toWorker${String.fromCharCode(65 + i)}`, n])) },
    });
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const head = `${o.variant}: ${d.workers} worker actors handled ${d.incrementsHandled} increments (${d.toWorkerA} and ${d.toWorkerB}); the stored count ended at ${o.observed} of ${o.expected}`;
    if (o.variant === 'read-then-write') {
      return o.lostEffects > 0
        ? `${head}: ${plural(o.lostEffects, 'update')} lost (${pct(o.lostEffects, Number(o.expected))}). Each worker handled its own messages one at a time, but the two workers' handlers interleaved at the store: both read the same value and both wrote value + 1.`
        : `${head}. No update lost in this run, but two actors still read and write one key with nothing between them.`;
    }
    if (o.variant === 'owner-actor') {
      return `${head}: ${o.lostEffects === 0 ? 'no update lost' : `${plural(o.lostEffects, 'update')} lost`}. Only the owner actor read and wrote the key, one increment at a time; the workers only forwarded.`;
    }
    return `${head}: ${o.lostEffects === 0 ? 'no update lost' : `${plural(o.lostEffects, 'update')} lost`}. Each increment was one atomic store operation: there was no read for another actor's write to make stale.`;
  },
};
