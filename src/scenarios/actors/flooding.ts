import { GenServer, type ActorSystem, type GenServerBehaviour, type MailboxOptions, type MessageTimeline, type Pid, type Process } from '../../actor/index.js';
import { isRacelabError } from '../../core/errors.js';
import { checkVariant, countOutcome, joinAll, median, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

interface Coupon {
  readonly remaining: number;
  readonly redeemed: number;
}

type CouponMessage =
  | { readonly type: 'check'; readonly attempt: number; readonly from: Pid }
  | { readonly type: 'try'; readonly attempt: number; readonly from: Pid };

/** Server-side measurements: how many messages the coupon handled between an attempt's check and its redeem. */
interface Probe {
  handled: number;
  readonly checkedAt: Map<number, number>;
  readonly windows: number[];
}

/**
 * A limited-use coupon (a rate limit, a one-time offer): `check` answers how many uses remain, `redeem` uses one
 * without looking (the racy protocol), `try` checks and uses in one handler (the atomic one).
 */
function coupon(limit: number, probe: Probe, tl: MessageTimeline | null, key: string): GenServerBehaviour<Coupon, void> {
  return {
    init: () => ({ remaining: limit, redeemed: 0 }),
    handleCall: (_request, _from, s) => ({ reply: s, state: s }),
    handleCast(request, s, self) {
      probe.handled++;
      // A use of the coupon: beyond its limit, a use it never had to give (marked as a duplicated effect).
      tl?.effect(self, key, limit);
      const { attempt } = request as { attempt: number };
      const at = probe.checkedAt.get(attempt);
      if (at !== undefined) probe.windows.push(probe.handled - at - 1);
      return { remaining: s.remaining - 1, redeemed: s.redeemed + 1 };
    },
    async handleInfo(message, s, self) {
      probe.handled++;
      const m = message as CouponMessage;
      if (m.type === 'check') {
        probe.checkedAt.set(m.attempt, probe.handled);
        const p = self.send(m.from, { type: 'remaining', attempt: m.attempt, remaining: s.remaining });
        if (p !== undefined) await p;
        return s;
      }
      const granted = s.remaining > 0;
      const p = self.send(m.from, { type: granted ? 'granted' : 'refused', attempt: m.attempt });
      if (p !== undefined) await p;
      if (granted) tl?.effect(self, key, limit);
      return granted ? { remaining: s.remaining - 1, redeemed: s.redeemed + 1 } : s;
    },
  };
}

interface AttackTally {
  delivered: number;
  /** Requests (check / try) refused by a full mailbox. */
  rejected: number;
  passedCheck: number;
  /** Redeems refused by a full mailbox after their check passed. */
  redeemsRejected: number;
}

const isFull = (e: unknown): boolean => isRacelabError(e) && e.code === 'MAILBOX_FULL';

/** One client's attempts. `pipelined`: all requests first, then all answers (a flood); else one at a time. */
async function attempts(self: Process, ids: readonly number[], atomic: boolean, pipelined: boolean, tally: AttackTally): Promise<void> {
  const ask = async (attempt: number): Promise<boolean> => {
    try {
      const p = self.send('coupon', { type: atomic ? 'try' : 'check', attempt, from: self.pid } satisfies CouponMessage);
      if (p !== undefined) await p;
      tally.delivered++;
      return true;
    } catch (e) {
      if (!isFull(e)) throw e;
      tally.rejected++;
      return false;
    }
  };
  const answer = async (attempt: number): Promise<void> => {
    const m = await self.receive<{ type: string; remaining?: number }>((x) => (x as { attempt?: number }).attempt === attempt, 60_000);
    if (atomic || (m.remaining ?? 0) <= 0) return;
    tally.passedCheck++;
    try {
      const p = self.cast('coupon', { type: 'redeem', attempt });
      if (p !== undefined) await p;
    } catch (e) {
      if (!isFull(e)) throw e;
      tally.redeemsRejected++;
    }
  };
  if (pipelined) {
    const sent: number[] = [];
    for (const id of ids) if (await ask(id)) sent.push(id);
    for (const id of sent) await answer(id);
  } else {
    for (const id of ids) if (await ask(id)) await answer(id);
  }
}

async function phase(
  system: ActorSystem,
  limit: number,
  clients: number,
  perClient: number,
  atomic: boolean,
  pipelined: boolean,
  mailbox: MailboxOptions | undefined,
  effectKey: string,
): Promise<{ coupon: Coupon; probe: Probe; tally: AttackTally; highWater: number }> {
  const probe: Probe = { handled: 0, checkedAt: new Map(), windows: [] };
  const server = await GenServer.start(system, coupon(limit, probe, system.timeline, effectKey), undefined, { name: 'coupon', mailbox });
  const tally: AttackTally = { delivered: 0, rejected: 0, passedCheck: 0, redeemsRejected: 0 };
  const pids = spawnClients(system, clients, pipelined ? 'flooder' : 'client', (self, c) =>
    attempts(
      self,
      Array.from({ length: perClient }, (_, i) => c * perClient + i),
      atomic,
      pipelined,
      tally,
    ),
  );
  await joinAll(system, pids);
  // The final read queues behind the last redeems; with a `reject` bound it waits for room like anyone else.
  let final: Coupon | undefined;
  const reader = system.spawn(async (self) => {
    for (let attempt = 0; final === undefined; attempt++) {
      try {
        final = await self.call<Coupon>('coupon', 'stats', 60_000);
      } catch (e) {
        if (!isFull(e) || attempt >= 1000) throw e;
        await self.sleep(1);
      }
    }
  });
  await joinAll(system, [reader]);
  if (final === undefined) throw new Error('coupon stats unavailable');
  const highWater = server.pid.process.mailbox.highWater;
  await server.stop();
  return { coupon: final as Coupon, probe, tally, highWater };
}

const variants: Record<string, string> = {
  'check-then-redeem': 'each use is check (how many remain?) then, if some remain, redeem: safe one at a time; flooded, many checks are answered before any redeem lands',
  'bounded-check-then-redeem': 'the same protocol behind a bounded mailbox (reject when full): the flood is cut, the window is not closed',
  'atomic-redeem': 'try: check and use in one handler, so no flood can get between them (mailbox unbounded)',
  'bounded-atomic': 'try, behind a bounded mailbox that makes senders wait for room (backpressure): correct and bounded',
};

/**
 * Message flooding turns a narrow window into a wide one. A limited-use coupon is checked, then redeemed: two
 * messages. One client at a time, nothing ever lands between its check and its redeem, and the limit holds. M
 * clients pipelining N attempts each queue their checks together; every check is answered "uses remain" before the
 * first redeem arrives, and the limit is blown. The mailbox bound caps the queue (the denial-of-service half of
 * the seed's flooding) but does not close the window; the atomic `try` does.
 */
export const floodingPattern: ActorPattern = {
  name: 'flooding',
  title: 'message flooding (M senders x N messages) widens a narrow window; and the mailbox bound',
  vulnerable: ['check-then-redeem', 'bounded-check-then-redeem'],
  fixed: ['atomic-redeem', 'bounded-atomic'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const atomic = variant === 'atomic-redeem' || variant === 'bounded-atomic';
    const bounded = variant.startsWith('bounded');
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 25 }, virtual: { senders: 2, messages: 2 } }, async (w) => {
      const total = w.senders * w.messages;
      const limit = Math.max(1, Math.floor(total / 20));
      const capacity = Math.max(2, Math.min(8, total >> 2));
      const mailbox: MailboxOptions | undefined = bounded ? { capacity, overflow: atomic ? 'block' : 'reject' } : undefined;
      // Normal load: the same number of attempts from one client, one at a time.
      const baseline = await phase(w.system, limit, 1, total, atomic, false, mailbox, `a use of the coupon (limit ${limit}; normal load)`);
      const flood = await phase(w.system, limit, w.senders, w.messages, atomic, true, mailbox, `a use of the coupon (limit ${limit}; flooded)`);
      return { limit, capacity, baseline, flood };
    });
    const { limit, capacity, baseline, flood } = result;
    const expected = Math.min(limit, flood.tally.delivered);
    const observed = flood.coupon.redeemed;
    const withinBound = !bounded || flood.highWater <= capacity;
    return countOutcome({
      pattern: 'flooding',
      unit: 'uses',
      variant,
      system,
      expected,
      observed,
      ok: observed === expected && withinBound,
      details: {
        senders,
        attemptsPerSender: messages,
        limit,
        attemptsDelivered: flood.tally.delivered,
        attemptsRejected: flood.tally.rejected,
        passedCheck: flood.tally.passedCheck,
        redeemsRejected: flood.tally.redeemsRejected,
        windowMedian: median(flood.probe.windows),
        windowMax: flood.probe.windows.length ? Math.max(...flood.probe.windows) : 0,
        mailboxHighWater: flood.highWater,
        mailboxCapacity: bounded ? capacity : 'unbounded',
        baselineRedeemed: baseline.coupon.redeemed,
        baselineWindowMax: baseline.probe.windows.length ? Math.max(...baseline.probe.windows) : 0,
        baselineHighWater: baseline.highWater,
      },
    });
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const base = `Under normal load (1 client, ${Number(d.senders) * Number(d.attemptsPerSender)} attempts one at a time) the coupon was used ${d.baselineRedeemed} times for a limit of ${d.limit}${o.variant.includes('atomic') ? '' : Number(d.baselineWindowMax) === 0 ? ', with never another message between a check and its redeem' : `, with at most ${d.baselineWindowMax} other messages between a check and its redeem`}.`;
    const flood = `Flooded by ${d.senders} senders x ${d.attemptsPerSender} pipelined attempts (${d.attemptsDelivered} delivered, ${d.attemptsRejected} rejected by a full mailbox), it was used ${o.observed} times`;
    const queue = `the mailbox held up to ${d.mailboxHighWater} messages${d.mailboxCapacity === 'unbounded' ? ' (unbounded: memory and latency grow with the flood)' : ` (bound ${d.mailboxCapacity})`}`;
    if (o.variant === 'check-then-redeem' || o.variant === 'bounded-check-then-redeem') {
      const verdict =
        o.duplicatedEffects > 0
          ? `: ${plural(o.duplicatedEffects, 'use')} over the limit. ${d.passedCheck} attempts passed the check${Number(d.redeemsRejected) > 0 ? ` (${d.redeemsRejected} of their redeems then bounced off the full mailbox)` : ''} because between a check and its redeem the coupon handled up to ${d.windowMax} other messages (median ${d.windowMedian}): the flood widened a window that was empty under normal load`
          : `: within the limit in this run, though up to ${d.windowMax} messages landed between a check and its redeem`;
      return `${base} ${flood}${verdict}; ${queue}.${o.variant.startsWith('bounded') ? ' The bound cut the flood and the queue, not the race.' : ''}`;
    }
    return `${base} ${flood}: ${o.duplicatedEffects === 0 && o.lostEffects === 0 ? 'exactly the limit' : `${o.observed} for an expected ${o.expected}`}. The check and the use happen in one handler, so however many messages queue up, none lands between them; ${queue}.${o.variant === 'bounded-atomic' ? ' Senders waited for room instead of growing the queue.' : ''}`;
  },
};
