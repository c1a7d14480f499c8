import { GenServer, NoReply, type From, type GenServerBehaviour, type MessageTimeline, type Pid, type Process, type TimelineMessage } from '../../actor/index.js';
import type { Random } from '../../core/random.js';
import { checkVariant, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

/** The link's behaviour: each message is dropped, delivered once, or delivered twice, each copy after its own delay. */
const LINK = { dropRate: 0.1, duplicateRate: 0.1, maxDelayMs: 3 };
/** Sender: at most WINDOW unacknowledged operations; after RTO_MS without an ack, resend them all (go-back-N). */
const WINDOW = 8;
const RTO_MS = 10;
const MAX_TIMEOUTS = 200;

interface LinkTally {
  carried: number;
  dropped: number;
  duplicated: number;
}

interface LinkState {
  readonly inFlight: number;
  readonly drainers: readonly From[];
}

/**
 * A network between actors: a message handed to it arrives after a seeded random delay, and now and then is
 * dropped or delivered twice. Messages that take different paths overtake each other, so per-sender ordering (which
 * holds for direct sends) is lost. `drain` answers once nothing is in flight.
 */
function lossyLink(rng: Random, tally: LinkTally, tl: MessageTimeline | null): GenServerBehaviour<LinkState, void> {
  return {
    init: () => ({ inFlight: 0, drainers: [] }),
    handleCall(_request, from, s) {
      return s.inFlight === 0 ? { reply: 'drained', state: s } : new NoReply({ ...s, drainers: [...s.drainers, from] });
    },
    handleCast(request, s, self) {
      const { to, payload } = request as { to: Pid | string; payload: unknown };
      tally.carried++;
      const r = rng.next();
      const copies = r < LINK.dropRate ? 0 : r < LINK.dropRate + LINK.duplicateRate ? 2 : 1;
      if (copies === 0) tally.dropped++;
      // Only an operation handed over once (no-seq, `tl` given) is lost when dropped: seq-ack resends.
      if (copies === 0 && tl !== null) tl.markLost(tl.messageOf(self), undefined, `LOST OPERATION: the link dropped it (${describeOp(payload)}), and nothing resends it`);
      if (copies === 2) tally.duplicated++;
      const link = self.pid;
      for (let k = 0; k < copies; k++) {
        const delay = rng.int(LINK.maxDelayMs + 1);
        self.spawn(async (hop) => {
          await hop.sleep(delay);
          const p = hop.send(to, payload);
          if (p !== undefined) await p;
          const q = hop.send(link, 'delivered');
          if (q !== undefined) await q;
        });
      }
      return { ...s, inFlight: s.inFlight + copies };
    },
    async handleInfo(message, s, self) {
      if (message !== 'delivered') return s;
      const inFlight = s.inFlight - 1;
      if (inFlight > 0) return { ...s, inFlight };
      for (const d of s.drainers) {
        const p = self.system.reply(d, 'drained');
        if (p !== undefined) await p;
      }
      return { inFlight, drainers: [] };
    },
  };
}

interface Op {
  readonly sender: number;
  readonly op: number;
  readonly seq?: number;
}

interface Stream {
  /** Next sequence number to apply. */
  readonly next: number;
  /** Arrived ahead of `next`, waiting for the gap to fill. */
  readonly held: ReadonlyMap<number, number>;
  readonly log: readonly number[];
}

interface ReceiverTally {
  duplicatesIgnored: number;
  heldBack: number;
}

const describeOp = (payload: unknown): string => {
  const m = payload as Partial<Op>;
  return m.op !== undefined ? `sender ${m.sender} op ${m.op}` : 'an ack';
};

/** Applies operations in arrival order (no-seq), or in sequence order exactly once, acknowledging as it goes. */
function receiver(senders: number, sequenced: boolean, tally: ReceiverTally, senderPids: () => readonly Pid[], tl: MessageTimeline | null): GenServerBehaviour<readonly Stream[], void> {
  // Sequenced, with a timeline: the message each held operation arrived in, to report its effect on when it is
  // applied (by the message that fills the gap before it), so each applied operation is one message's effect.
  const arrivedIn = new Map<string, TimelineMessage | undefined>();
  return {
    init: () => Array.from({ length: senders }, () => ({ next: 0, held: new Map(), log: [] })),
    handleCall: (_request, _from, streams) => ({ reply: streams.map((s) => s.log), state: streams }),
    async handleInfo(message, streams, self) {
      const m = message as Op;
      const s = streams[m.sender] as Stream;
      let next: Stream;
      if (!sequenced) {
        // Applied as it arrives: a second copy of an operation is a duplicated effect.
        tl?.effect(self, `sender ${m.sender} op ${m.op}`);
        next = { ...s, log: [...s.log, m.op] };
      } else {
        const seq = m.seq as number;
        if (seq < s.next || s.held.has(seq)) {
          tally.duplicatesIgnored++;
          next = s;
        } else if (seq > s.next) {
          tally.heldBack++;
          next = { ...s, held: new Map(s.held).set(seq, m.op) };
          if (tl !== null) arrivedIn.set(`${m.sender} ${seq}`, tl.messageOf(self));
        } else {
          // Each operation applied is an effect, of the key no-seq uses: were one applied twice, it would be marked.
          tl?.effect(self, `sender ${m.sender} op ${m.op}`);
          const held = new Map(s.held);
          const log = [...s.log, m.op];
          let n = seq + 1;
          for (let op = held.get(n); op !== undefined; op = held.get(n)) {
            held.delete(n);
            log.push(op);
            if (tl !== null) {
              tl.effectOn(arrivedIn.get(`${m.sender} ${n}`), `sender ${m.sender} op ${op}`);
              arrivedIn.delete(`${m.sender} ${n}`);
            }
            n++;
          }
          next = { next: n, held, log };
        }
        // Cumulative acknowledgement, back over the same unreliable link.
        const p = self.cast('link', { to: senderPids()[m.sender], payload: { ack: next.next - 1 } });
        if (p !== undefined) await p;
      }
      return streams.map((x, i) => (i === m.sender ? next : x));
    },
  };
}

interface SenderTally {
  retransmissions: number;
  timeouts: number;
  gaveUp: number;
}

/** Go-back-N: keep WINDOW operations unacknowledged, resend them all when no ack comes within RTO_MS. */
async function sequencedSender(self: Process, sender: number, count: number, tally: SenderTally): Promise<void> {
  const send = async (seq: number): Promise<void> => {
    const p = self.cast('link', { to: 'receiver', payload: { sender, op: seq, seq } satisfies Op });
    if (p !== undefined) await p;
  };
  let base = 0;
  let nextSeq = 0;
  let timeouts = 0;
  while (base < count) {
    while (nextSeq < count && nextSeq < base + WINDOW) await send(nextSeq++);
    const ack = await self.tryReceive<{ ack: number }>((m) => typeof (m as { ack?: unknown }).ack === 'number', RTO_MS);
    if (ack !== undefined) {
      base = Math.max(base, ack.ack + 1);
      continue;
    }
    tally.timeouts++;
    if (++timeouts > MAX_TIMEOUTS) {
      tally.gaveUp++;
      return;
    }
    for (let seq = base; seq < nextSeq; seq++) {
      tally.retransmissions++;
      await send(seq);
    }
  }
}

const variants: Record<string, string> = {
  'no-seq': 'each sender hands its operations to the link once and the receiver applies whatever arrives, in arrival order',
  'seq-ack':
    'operations carry sequence numbers; the receiver applies them in order exactly once (holding early ones, ignoring repeats) and acknowledges; senders resend what is not acknowledged',
};

/**
 * Sequence numbers with acknowledgements. Between one sender and one receiver Erlang keeps messages in order, but
 * not across a network, a relay, or a restart: messages get dropped, duplicated and overtaken. Applied in arrival
 * order, operations are lost, applied twice and reordered; numbered, held back until their turn, acknowledged
 * and resent until acknowledged, each is applied exactly once, in order.
 */
export const seqAckPattern: ActorPattern = {
  name: 'seq-ack',
  title: 'sequence numbers and acknowledgements over an unreliable path',
  vulnerable: ['no-seq'],
  fixed: ['seq-ack'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const sequenced = variant === 'seq-ack';
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 2, messages: 30 }, virtual: { senders: 1, messages: 3 } }, async (w) => {
      const { system, rng } = w;
      const linkTally: LinkTally = { carried: 0, dropped: 0, duplicated: 0 };
      const receiverTally: ReceiverTally = { duplicatesIgnored: 0, heldBack: 0 };
      const senderTally: SenderTally = { retransmissions: 0, timeouts: 0, gaveUp: 0 };
      // Both report to the timeline each operation applied (a second application of one is a duplicated effect).
      // No-seq also reports each operation the link dropped, as lost; seq-ack resends what the link drops, so its
      // link reports nothing.
      const link = await GenServer.start(system, lossyLink(rng, linkTally, sequenced ? null : w.timeline), undefined, { name: 'link' });
      let senderPids: Pid[] = [];
      const rx = await GenServer.start(system, receiver(w.senders, sequenced, receiverTally, () => senderPids, w.timeline), undefined, { name: 'receiver' });
      senderPids = spawnClients(system, w.senders, 'sender', async (self, s) => {
        if (sequenced) return sequencedSender(self, s, w.messages, senderTally);
        for (let op = 0; op < w.messages; op++) {
          const p = self.cast('link', { to: 'receiver', payload: { sender: s, op } satisfies Op });
          if (p !== undefined) await p;
        }
      });
      await joinAll(system, senderPids);
      await link.call('drain', 60_000);
      const logs = await rx.call<readonly (readonly number[])[]>('log');
      return { logs, linkTally, receiverTally, senderTally };
    });
    let inPlace = 0;
    let distinct = 0;
    let applied = 0;
    let outOfOrder = 0;
    for (const log of result.logs) {
      applied += log.length;
      distinct += new Set(log).size;
      log.forEach((op, i) => {
        if (op === i) inPlace++;
        if (i > 0 && op < (log[i - 1] as number)) outOfOrder++;
      });
    }
    const expected = senders * messages;
    return {
      pattern: 'seq-ack',
      unit: 'operations',
      variant,
      messagesSent: system.stats.messagesSent,
      expected,
      observed: inPlace,
      lostEffects: expected - distinct,
      duplicatedEffects: applied - distinct,
      ok: inPlace === expected && applied === expected,
      details: {
        senders,
        operationsPerSender: messages,
        applied,
        outOfOrder,
        linkDropped: result.linkTally.dropped,
        linkDuplicated: result.linkTally.duplicated,
        retransmissions: result.senderTally.retransmissions,
        duplicatesIgnored: result.receiverTally.duplicatesIgnored,
        heldBack: result.receiverTally.heldBack,
        sendersGaveUp: result.senderTally.gaveUp,
      },
    };
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const link = `The link dropped ${plural(Number(d.linkDropped), 'message')} and delivered ${plural(Number(d.linkDuplicated), 'message')} twice, with random delays that let messages overtake each other`;
    if (o.variant === 'no-seq') {
      return `${o.variant}: ${d.senders} senders x ${d.operationsPerSender} operations; the receiver applied ${d.applied}, only ${o.observed} of ${o.expected} in their right place: ${plural(o.lostEffects, 'operation')} lost, ${o.duplicatedEffects} applied twice, ${d.outOfOrder} applied after a later one. ${link}; applying in arrival order took all of it at face value.`;
    }
    return `${o.variant}: ${d.senders} senders x ${d.operationsPerSender} operations; the receiver applied ${d.applied}, ${o.observed} of ${o.expected} in their right place${o.ok ? ', each exactly once' : ''}. ${link}. The receiver held back ${plural(Number(d.heldBack), 'early arrival')} until its turn and ignored ${plural(Number(d.duplicatesIgnored), 'repeat')}; senders resent ${plural(Number(d.retransmissions), 'operation')} whose acknowledgement did not come in ${RTO_MS} ms.`;
  },
};
