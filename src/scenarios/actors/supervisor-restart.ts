import { genServerChild, ProcessExitedError, Supervisor, type GenServerBehaviour, type MessageTimeline, type Process } from '../../actor/index.js';
import { isRacelabError } from '../../core/errors.js';
import { MemoryStore } from '../../store/memory.js';
import type { Store } from '../../store/store.js';
import { checkVariant, countOutcome, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

const KEY = 'ledger';

interface Probe {
  staleWriteCrashes: number;
  poisonCrashes: number;
}

/**
 * A ledger whose count is persisted in the store, so a restarted ledger resumes from the last write. It asserts
 * that a write never goes backwards and crashes when one would ("let it crash"); a poison message crashes it too.
 */
function ledger(store: Store, probe: Probe, tl: MessageTimeline | null): GenServerBehaviour<number, void> {
  return {
    init: () => store.get(KEY),
    async handleCall(request, _from, value, self) {
      if (request === 'get') return { reply: value, state: value };
      const next = value + 1; // 'increment'
      // Read and written in this one message: the ledger takes no other message until it returns.
      tl?.read(self, KEY, value);
      await store.set(KEY, next);
      tl?.write(self, KEY, next);
      return { reply: next, state: next };
    },
    async handleCast(request, value, self) {
      if (request === 'poison') {
        probe.poisonCrashes++;
        throw new Error('poison message');
      }
      const { set } = request as { set: number };
      if (set <= value) {
        probe.staleWriteCrashes++;
        // Its increment is lost: the client believes it done, the ledger refuses it and crashes.
        tl?.markLost(tl.messageOf(self), undefined, `LOST INCREMENT: set ${set} was computed from a stale get (the ledger was at ${value}); the ledger refused it and crashed`);
        throw new Error(`stale write: set ${set} over ${value}`);
      }
      await store.set(KEY, set);
      return set;
    },
  };
}

interface Tally {
  retries: number;
  unknown: number;
  gaveUp: number;
}

/**
 * Runs `op` until the ledger is there to take it: NO_PROCESS (it is restarting) and PROCESS_EXITED before it was
 * handled are safe to retry; PROCESS_EXITED while it was handled has an unknown outcome and is not retried.
 */
async function retrying<T>(self: Process, tally: Tally, op: () => Promise<T> | T | void): Promise<T | undefined> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      return (await op()) as T;
    } catch (e) {
      if (e instanceof ProcessExitedError && e.handled) {
        tally.unknown++;
        return undefined;
      }
      if (e instanceof ProcessExitedError || (isRacelabError(e) && e.code === 'NO_PROCESS')) {
        tally.retries++;
        await self.sleep(1);
        continue;
      }
      throw e;
    }
  }
  tally.gaveUp++;
  return undefined;
}

const variants: Record<string, string> = {
  'restart-stale-write':
    'clients get the count, then cast {set, n + 1}; the ledger crashes on a write that goes backwards (and on poison messages); the supervisor restarts it from the store',
  'restart-atomic': 'clients call increment (retrying while the ledger restarts); the same poison crashes and restarts',
};

/**
 * Supervision recovers a crashed process; it does not remove the race that crashed it. The ledger asserts its
 * invariant and crashes when a stale write arrives; the supervisor restarts it within microseconds from the
 * persisted count, and clients carry on. The lost updates stay lost (and the messages queued in the crashed
 * ledger's mailbox die with it). With an atomic increment the same crashes and restarts lose nothing.
 */
export const supervisorRestartPattern: ActorPattern = {
  name: 'supervisor-restart',
  title: 'a supervisor restart recovers a crashed process, yet the race remains',
  vulnerable: ['restart-stale-write'],
  fixed: ['restart-atomic'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 25 }, virtual: { senders: 2, messages: 1 } }, async (w) => {
      const { system, rng, scheduler } = w;
      const store = new MemoryStore(scheduler);
      const probe: Probe = { staleWriteCrashes: 0, poisonCrashes: 0 };
      const tally: Tally = { retries: 0, unknown: 0, gaveUp: 0 };
      const total = w.senders * w.messages;
      const sup = await Supervisor.start(system, [genServerChild('ledger', ledger(store, probe, w.timeline), undefined, { name: 'ledger' })], {
        maxRestarts: 10 * total + 10,
        withinMs: 60_000,
      });
      let acknowledged = 0;
      // Each client works a seeded 0-1 ms on what it read before writing, as in check-then-act.
      const thinkMs = Array.from({ length: total }, () => rng.int(2));
      const clients = spawnClients(system, w.senders, 'client', async (self, c) => {
        for (let i = 0; i < w.messages; i++) {
          const think = thinkMs[c * w.messages + i] ?? 0;
          if (variant === 'restart-atomic') {
            if (think > 0) await self.sleep(think);
            if ((await retrying(self, tally, () => self.call<number>('ledger', 'increment'))) !== undefined) acknowledged++;
            continue;
          }
          const n = await retrying(self, tally, () => self.call<number>('ledger', 'get'));
          if (n === undefined) continue;
          if (think > 0) await self.sleep(think);
          await retrying(self, tally, () => self.cast('ledger', { set: n + 1 }));
          acknowledged++; // a cast is never acknowledged: the client believes it done
        }
      });
      // A poison message every few milliseconds (seeded) while the clients run.
      const poisons = Math.max(1, Math.floor(total / 25));
      const chaos = system.spawn(
        async (self) => {
          for (let i = 0; i < poisons; i++) {
            await self.sleep(1 + rng.int(3));
            await retrying(self, tally, () => self.cast('ledger', 'poison'));
          }
        },
        { name: 'chaos' },
      );
      await joinAll(system, [...clients, chaos]);
      // A last call, queued behind every cast still in the ledger's mailbox, so the store is final when it returns.
      const reader = system.spawn(async (self) => void (await retrying(self, tally, () => self.call<number>('ledger', 'get'))));
      await joinAll(system, [reader]);
      return {
        observed: await store.get(KEY),
        acknowledged,
        probe,
        tally,
        restarts: sup.restarts,
        crashes: system.stats.crashes,
        lostWithMailbox: system.stats.lostAtExit,
      };
    });
    const expected = senders * messages;
    return countOutcome({
      pattern: 'supervisor-restart',
      unit: 'increments',
      variant,
      system,
      expected,
      observed: result.observed,
      details: {
        crashes: result.crashes,
        staleWriteCrashes: result.probe.staleWriteCrashes,
        poisonCrashes: result.probe.poisonCrashes,
        restarts: result.restarts,
        messagesLostWithCrashedMailbox: result.lostWithMailbox,
        clientRetries: result.tally.retries,
        unknownOutcomes: result.tally.unknown,
      },
    });
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const recovery = `The ledger crashed ${plural(Number(d.crashes), 'time')} (${plural(Number(d.staleWriteCrashes), 'stale write')}, ${plural(Number(d.poisonCrashes), 'poison message')}) and the supervisor restarted it ${plural(Number(d.restarts), 'time')}, each time from the count persisted in the store; clients retried ${plural(Number(d.clientRetries), 'call')} that hit the restart window.`;
    if (o.variant === 'restart-stale-write') {
      return `${o.variant}: ${o.expected} increments intended, the ledger ended at ${o.observed}: ${plural(o.lostEffects, 'update')} lost. ${recovery} Recovery worked; the race did not go away: sets computed from a stale get were still written or crashed the ledger, and ${plural(Number(d.messagesLostWithCrashedMailbox), 'message')} queued in a crashed ledger's mailbox died with it.`;
    }
    return `${o.variant}: ${o.expected} increments intended, the ledger ended at ${o.observed}${o.lostEffects === 0 && o.duplicatedEffects === 0 ? ', none lost' : ''}. ${recovery} Each increment was one message handled atomically and acknowledged after it was persisted; a call that found the ledger gone had not been handled, so retrying it was safe.`;
  },
};

