import { GenServer, type GenServerBehaviour, type MessageTimeline, type Process } from '../../actor/index.js';
import { isRacelabError } from '../../core/errors.js';
import { checkVariant, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

interface Charge {
  readonly key: string;
  readonly amount: number;
  /** How long the (simulated) payment provider takes for this request, ms. */
  readonly providerMs: number;
}

interface Payments {
  /** Times each key was charged. */
  readonly charged: ReadonlyMap<string, number>;
  readonly total: number;
  readonly receipts: number;
}

interface Counters {
  duplicatesSuppressed: number;
}

/**
 * A payments server. Every charge takes the provider's time. Without a key check it charges every request it
 * handles; with one, a request whose key it has already charged gets the first receipt back and charges nothing.
 */
function payments(idempotent: boolean, counters: Counters, tl: MessageTimeline | null): GenServerBehaviour<Payments, void> {
  const charge = async (c: Charge, s: Payments, self: Process): Promise<{ receipt: string; state: Payments }> => {
    if (idempotent && s.charged.has(c.key)) {
      counters.duplicatesSuppressed++;
      return { receipt: `receipt for ${c.key}`, state: s };
    }
    if (c.providerMs > 0) await self.sleep(c.providerMs);
    // The charge is made here, in the handler of the message being handled: a second one of a key is a duplicate.
    tl?.effect(self, c.key);
    const charged = new Map(s.charged);
    charged.set(c.key, (charged.get(c.key) ?? 0) + 1);
    return { receipt: `receipt for ${c.key}`, state: { charged, total: s.total + c.amount, receipts: s.receipts + 1 } };
  };
  return {
    init: () => ({ charged: new Map(), total: 0, receipts: 0 }),
    async handleCall(request, _from, s, self) {
      if (request === 'totals') return { reply: s, state: s };
      const r = await charge(request as Charge, s, self);
      return { reply: r.receipt, state: r.state };
    },
    // The at-least-once relay's extra copies arrive as casts.
    async handleCast(request, s, self) {
      return (await charge(request as Charge, s, self)).state;
    },
  };
}

const variants: Record<string, string> = {
  'retry-without-key': 'clients retry a charge that timed out (the provider had a hiccup), and a relay delivers some requests twice; the server charges every request it handles',
  'idempotency-key': 'the same retries and duplicates, each charge carrying a key; the server charges a key once and answers repeats with the first receipt',
};

const TIMEOUT_MS = 3;
const SLOW_MS = 8;

/**
 * Idempotent operations. A call that times out may still be handled (it is in the server's mailbox), so a client
 * that retries it asks for the effect twice; an at-least-once relay does the same. Without an idempotency key the
 * server applies every copy; with one, a duplicated or retried message takes effect once.
 */
export const idempotencyKeyPattern: ActorPattern = {
  name: 'idempotency-key',
  title: 'idempotency keys: a duplicated or retried message takes effect once',
  vulnerable: ['retry-without-key'],
  fixed: ['idempotency-key'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 10 }, virtual: { senders: 2, messages: 1 } }, async (w) => {
      const { system, rng } = w;
      const counters: Counters = { duplicatesSuppressed: 0 };
      const server = await GenServer.start(system, payments(variant === 'idempotency-key', counters, w.timeline), undefined, { name: 'payments' });
      // Seeded per charge: its amount, whether the provider has a hiccup on the first attempt (slower than the
      // client's timeout), whether the relay delivers it twice. The very first charge always hiccups, so every run
      // has at least one timeout to retry.
      const plan = Array.from({ length: w.senders * w.messages }, (_, i) => ({
        amount: 1 + rng.int(99),
        slow: i === 0 || rng.next() < 0.2,
        duplicate: rng.next() < 0.1,
      }));
      const tally = { retries: 0, duplicatesSent: 0, failed: 0, acknowledged: 0 };
      const clients = spawnClients(system, w.senders, 'client', async (self, c) => {
        for (let i = 0; i < w.messages; i++) {
          const p = plan[c * w.messages + i] ?? { amount: 1, slow: false, duplicate: false };
          const charge: Charge = { key: `order-${c + 1}-${i + 1}`, amount: p.amount, providerMs: 0 };
          if (p.duplicate) {
            tally.duplicatesSent++;
            const d = self.cast('payments', charge);
            if (d !== undefined) await d;
          }
          for (let attempt = 1; ; attempt++) {
            try {
              await self.call('payments', { ...charge, providerMs: p.slow && attempt === 1 ? SLOW_MS : 0 }, TIMEOUT_MS);
              tally.acknowledged++;
              break;
            } catch (e) {
              if (!isRacelabError(e) || e.code !== 'TIMEOUT') throw e;
              if (attempt === 4) {
                tally.failed++; // outcome unknown: it may still be charged
                break;
              }
              tally.retries++;
            }
          }
        }
      });
      await joinAll(system, clients);
      // Queued behind every request still waiting, so the totals are final.
      const totals = await server.call<Payments>('totals', 60_000);
      return { totals, plan, tally, counters, timeouts: system.stats.callTimeouts, lateReplies: system.stats.lateReplies };
    });
    const expected = senders * messages;
    const { totals } = result;
    const applied = [...totals.charged.values()].reduce((a, b) => a + b, 0);
    const distinct = totals.charged.size;
    const chargedTwice = [...totals.charged.values()].filter((n) => n > 1).length;
    const intendedAmount = result.plan.reduce((a, p) => a + p.amount, 0);
    return {
      pattern: 'idempotency-key',
      unit: 'charges',
      variant,
      messagesSent: system.stats.messagesSent,
      expected,
      observed: applied,
      lostEffects: expected - distinct,
      duplicatedEffects: applied - distinct,
      ok: applied === expected && distinct === expected,
      details: {
        amountIntended: intendedAmount,
        amountCharged: totals.total,
        customersChargedMoreThanOnce: chargedTwice,
        callTimeouts: result.timeouts,
        retries: result.tally.retries,
        duplicatesSentByRelay: result.tally.duplicatesSent,
        duplicatesSuppressed: result.counters.duplicatesSuppressed,
        lateReplies: result.lateReplies,
        unacknowledged: result.tally.failed,
      },
    };
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const causes = `${plural(Number(d.callTimeouts), 'call')} timed out after ${TIMEOUT_MS} ms and ${plural(Number(d.retries), 'retry', 'retries')} followed; the relay delivered ${plural(Number(d.duplicatesSentByRelay), 'request')} twice; ${plural(Number(d.lateReplies), 'reply', 'replies')} came after the client had given up (a timeout does not mean the charge did not happen)`;
    if (o.variant === 'retry-without-key') {
      return `${o.variant}: ${o.expected} charges intended (${d.amountIntended} in all), ${o.observed} charges made (${d.amountCharged} taken): ${plural(o.duplicatedEffects, 'extra charge')}, ${plural(Number(d.customersChargedMoreThanOnce), 'customer')} charged more than once. ${causes}; the server charged every copy it handled.`;
    }
    return `${o.variant}: ${o.expected} charges intended (${d.amountIntended} in all), ${o.observed} charges made (${d.amountCharged} taken)${o.duplicatedEffects === 0 ? ', each key exactly once' : ''}. ${causes}; the server recognised ${plural(Number(d.duplicatesSuppressed), 'repeated key')} and answered with the first receipt instead of charging again.${Number(d.unacknowledged) > 0 ? ` ${plural(Number(d.unacknowledged), 'client')} gave up after 4 attempts without a reply, yet each of those charges was made exactly once.` : ''}`;
  },
};
