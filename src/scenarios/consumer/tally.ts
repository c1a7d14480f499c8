import type { BrokerMessage } from '../../broker/broker.js';
import type { ConsumerVariant } from './variants.js';
import { plural } from '../../core/units.js';

/** One application of a message's effect, as the consumer recorded it right after the effect and before its ack. */
export interface Application {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
  readonly amount: number;
  readonly consumer: string;
  readonly redelivered: boolean;
}

/** What one run of a variant measured. Every number comes from that run's messages, applications and store. */
export interface ConsumerTally {
  readonly published: number;
  readonly effectsApplied: number;
  /** Applications beyond the first of each message. */
  readonly duplicates: number;
  /** Up to five message ids applied more than once, for the report. */
  readonly duplicatedIds: readonly string[];
  /** Messages applied more than once (a message applied three times is one message and two duplicates). */
  readonly duplicatedMessages: number;
  /** Messages published and never applied. */
  readonly lostEffects: number;
  /** Applications the final balances do not show (amount 1 each: an overwritten read-modify-write). */
  readonly lostUpdates: number;
  /** Applications of a key's message after a later message of that key had been applied. */
  readonly outOfOrder: number;
  readonly redeliveries: number;
  /** Consumers killed between their effect and their ack. */
  readonly crashes: number;
  /** Acks held past the ack wait (the broker redelivered meanwhile). */
  readonly pauses: number;
  /** Times the broker was killed (SIGKILL) and started again mid-run. */
  readonly brokerRestarts: number;
}

export function tally(
  messages: readonly BrokerMessage[],
  applications: readonly Application[],
  balances: ReadonlyMap<string, number>,
  counts: { readonly redeliveries: number; readonly crashes: number; readonly pauses?: number; readonly brokerRestarts?: number },
): ConsumerTally {
  const times = new Map<string, number>();
  for (const a of applications) times.set(a.id, (times.get(a.id) ?? 0) + 1);
  const duplicatedIds = [...times].filter(([, n]) => n > 1).map(([id]) => id);
  const expected = new Map<string, number>();
  for (const a of applications) expected.set(a.key, (expected.get(a.key) ?? 0) + a.amount);
  let lostUpdates = 0;
  for (const [key, sum] of expected) lostUpdates += Math.max(0, sum - (balances.get(key) ?? 0));
  const highest = new Map<string, number>();
  let outOfOrder = 0;
  for (const a of applications) {
    const top = highest.get(a.key) ?? 0;
    if (a.seq < top) outOfOrder++;
    else highest.set(a.key, a.seq);
  }
  return {
    published: messages.length,
    effectsApplied: applications.length,
    duplicates: applications.length - times.size,
    duplicatedIds: duplicatedIds.slice(0, 5),
    duplicatedMessages: duplicatedIds.length,
    lostEffects: messages.filter((m) => !times.has(m.id)).length,
    lostUpdates,
    outOfOrder,
    redeliveries: counts.redeliveries,
    crashes: counts.crashes,
    pauses: counts.pauses ?? 0,
    brokerRestarts: counts.brokerRestarts ?? 0,
  };
}

/** The numbers the variant is about that are not zero, as phrases; empty when its promise held. */
export function violations(variant: ConsumerVariant, t: ConsumerTally): string[] {
  const out: string[] = [];
  for (const check of variant.checks) {
    const n = t[check];
    if (n === 0) continue;
    if (check === 'duplicates') {
      const m = t.duplicatedMessages;
      out.push(
        m === n
          ? `${plural(n, 'effect')} applied twice (${t.duplicatedIds.join(', ')})`
          : `${n} duplicate applications of ${plural(m, 'message')} (${t.duplicatedIds.join(', ')}${m > t.duplicatedIds.length ? ', …' : ''})`,
      );
    }
    if (check === 'lostEffects') out.push(`${plural(n, 'message')} never applied`);
    if (check === 'lostUpdates') out.push(`${plural(n, 'update')} lost`);
    if (check === 'outOfOrder') out.push(`${plural(n, 'application')} out of order`);
  }
  return out;
}

/** Why the numbers came out as they did, from those numbers only. */
export function explainTally(variant: ConsumerVariant, t: ConsumerTally): string {
  const bad = violations(variant, t);
  const times = (n: number): string => `${plural(n, 'time')}`;
  const struck = [
    t.crashes ? `a consumer was killed between effect and ack ${times(t.crashes)}` : '',
    t.pauses ? `a consumer held its ack past the ack wait ${times(t.pauses)} (meanwhile the broker may hand the message to the other consumer)` : '',
    t.brokerRestarts ? `the broker was killed (SIGKILL) and restarted ${times(t.brokerRestarts)}` : '',
  ].filter(Boolean);
  const faults = struck.length ? `${struck.join(', ')} and ${t.redeliveries} deliver${t.redeliveries === 1 ? 'y was a redelivery' : 'ies were redeliveries'}` : '';
  // A duplicate delivered without the redelivered flag: the broker no longer knew it had delivered the message.
  const forgotten = t.brokerRestarts && t.duplicates > t.redeliveries
    ? ` At least ${t.duplicates - t.redeliveries} of the duplicates came without the redelivered flag: the restarted broker had forgotten deliveries and acks it had taken before it was killed.`
    : '';
  // Read-modify-write variants do not skip a message they have seen: after a broker restart, what it delivers again
  // is applied again, and an old message applied after newer ones of its key counts as out of order.
  const againAfterRestart = t.brokerRestarts && t.duplicates
    ? ` The broker was killed and restarted ${times(t.brokerRestarts)}: ${t.duplicates} application${t.duplicates === 1 ? ' was' : 's were'} of messages already applied (${t.duplicatedIds.join(', ')}), delivered again, and a message applied again after newer ones of its key is out of order.`
    : '';
  switch (variant.name) {
    case 'naive':
      return t.duplicates
        ? `${faults || 'messages were delivered again'}: each redelivered message had already been applied, so ${t.published} messages gave ${t.effectsApplied} effects (${bad.join(', ')}). At-least-once delivery plus effect-then-ack is at-least-once processing.${forgotten}`
        : `no duplicate this run${faults ? ` (${faults}, but no redelivered message had been applied)` : ' (no consumer died between effect and ack)'}; the window is still there.`;
    case 'idempotent':
      return bad.length
        ? `the fix did not hold: ${bad.join(', ')}.`
        : `${faults ? `${faults}; ` : ''}every redelivered message found its id stored by the transaction that applied it and was skipped: ${t.published} messages, ${t.effectsApplied} effects, each exactly once.`;
    case 'concurrent':
      return bad.length
        ? `two consumers took messages of one key at once; each read the balance, then wrote read + amount over the other's write: ${bad.join(', ')}.${againAfterRestart}`
        : `no lost update this run: the two consumers' read-modify-writes did not overlap (the window is still there).`;
    case 'per-key-ordering':
      return bad.length
        ? `the fix did not hold: ${bad.join(', ')}.${againAfterRestart}`
        : `the broker gave a key's messages to one consumer at a time, each after the previous was acked: ${t.effectsApplied} read-modify-writes, none overlapping, none out of order.`;
    default:
      return bad.length ? bad.join(', ') : 'every number is as expected';
  }
}
