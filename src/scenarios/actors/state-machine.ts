import { GenServer, type GenServerBehaviour, type MessageTimeline, type Process } from '../../actor/index.js';
import { checkVariant, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

type Status = 'paid' | 'shipped' | 'cancelled' | 'delivered';
type OrderEvent = 'ship' | 'cancel' | 'deliver';

/** The order life cycle: the only moves there are. Shipped goods cannot be cancelled; a cancelled order cannot ship. */
export const orderTransitions: Readonly<Record<Status, Readonly<Partial<Record<OrderEvent, Status>>>>> = {
  paid: { ship: 'shipped', cancel: 'cancelled' },
  shipped: { deliver: 'delivered' },
  cancelled: {},
  delivered: {},
};

interface Probe {
  invalidApplied: number;
  rejected: number;
}

type OrdersCall = { readonly get: number } | { readonly event: OrderEvent; readonly id: number };
type OrdersCast = { readonly set: number; readonly status: Status };

/**
 * The orders actor. `get` + `set` is the racy protocol: a client checks the status, decides, and sets the next
 * one, which the server applies whatever the status has become. `event` is the state machine: the server applies
 * the move only if it is legal from the current status, and says whether it did.
 */
function orders(count: number, probe: Probe): GenServerBehaviour<ReadonlyMap<number, Status>, void> {
  return {
    init: () => new Map(Array.from({ length: count }, (_, id) => [id, 'paid' as Status])),
    handleCall(request: OrdersCall, _from, s) {
      if ('get' in request) return { reply: s.get(request.get), state: s };
      const from = s.get(request.id) as Status;
      const to = orderTransitions[from][request.event];
      if (to === undefined) {
        probe.rejected++;
        return { reply: { rejected: `${request.event} is not allowed once ${from}` }, state: s };
      }
      return { reply: 'ok', state: new Map(s).set(request.id, to) };
    },
    handleCast(request: OrdersCast, s) {
      const from = s.get(request.set) as Status;
      if (!Object.values(orderTransitions[from]).includes(request.status)) probe.invalidApplied++;
      return new Map(s).set(request.set, request.status);
    },
  };
}

/**
 * Where an effect lands for good: the warehouse ships goods, payments refunds money. Each keeps a log of ids. An
 * order is meant to be settled once (shipped or refunded): both report the settling of one key per order to the
 * timeline, so an order settled a second time is a duplicated effect.
 */
function effectLog(tl: MessageTimeline | null): GenServerBehaviour<readonly number[], void> {
  return {
    init: () => [],
    handleCall(request, _from, log, self) {
      if (request === 'log') return { reply: log, state: log };
      const { id } = request as { id: number };
      tl?.effect(self, `order ${id} settled (shipped or refunded)`);
      return { reply: 'ok', state: [...log, id] };
    },
  };
}

const variants: Record<string, string> = {
  'check-then-set-status':
    'for each paid order a shipper and a canceller each get the status, see "paid", and set their own next status; then the shipper ships and the canceller refunds',
  'state-machine': 'each sends an event (ship / cancel); the orders actor applies it only if the transition is legal from the current status, and only the one whose event was accepted acts',
};

/**
 * A state machine that rejects invalid transitions. Two clients race on one order: one ships it, one cancels and
 * refunds it. When each checks the status and then sets its own, both see "paid" and both act: the customer gets
 * the goods and the money back. When the order actor owns the transitions, the second event finds the order no
 * longer paid and is rejected, so exactly one of the two effects happens.
 */
export const stateMachinePattern: ActorPattern = {
  name: 'state-machine',
  title: 'a state machine that rejects invalid transitions',
  vulnerable: ['check-then-set-status'],
  fixed: ['state-machine'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system } = await runWorkload(options, { real: { senders: 4, messages: 5 }, virtual: { senders: 1, messages: 2 } }, async (w) => {
      const { system, rng } = w;
      const count = w.senders * w.messages;
      const probe: Probe = { invalidApplied: 0, rejected: 0 };
      await GenServer.start(system, orders(count, probe), undefined, { name: 'orders' });
      const warehouse = await GenServer.start(system, effectLog(w.timeline), undefined, { name: 'warehouse' });
      const payments = await GenServer.start(system, effectLog(w.timeline), undefined, { name: 'payments' });
      // Each client takes a seeded 0-1 ms between its check and its act (or before its event).
      const thinkMs = Array.from({ length: 2 * count }, () => rng.int(2));
      const act = async (self: Process, id: number, event: 'ship' | 'cancel', think: number): Promise<void> => {
        const pause = async (): Promise<void> => {
          if (think > 0) await self.sleep(think);
        };
        const effect = event === 'ship' ? { target: 'warehouse', request: { ship: id } } : { target: 'payments', request: { refund: id } };
        if (variant === 'state-machine') {
          await pause();
          if ((await self.call('orders', { event, id } satisfies OrdersCall)) !== 'ok') return;
        } else {
          const status = await self.call<Status>('orders', { get: id } satisfies OrdersCall);
          await pause();
          if (status !== 'paid') return;
          const p = self.cast('orders', { set: id, status: event === 'ship' ? 'shipped' : 'cancelled' } satisfies OrdersCast);
          if (p !== undefined) await p;
        }
        await self.call(effect.target, { id, ...effect.request });
      };
      const shippers = spawnClients(system, count, 'shipper', (self, id) => act(self, id, 'ship', thinkMs[id] ?? 0));
      const cancellers = spawnClients(system, count, 'canceller', (self, id) => act(self, id, 'cancel', thinkMs[count + id] ?? 0));
      await joinAll(system, [...shippers, ...cancellers]);
      // One call at a time: the driver is one task, and a controlled scheduler runs it as one.
      const shipped = await warehouse.call<readonly number[]>('log');
      const refunded = await payments.call<readonly number[]>('log');
      return { count, shipped, refunded, probe };
    });
    const shipped = new Set(result.shipped);
    const refunded = new Set(result.refunded);
    let both = 0;
    let one = 0;
    let none = 0;
    for (let id = 0; id < result.count; id++) {
      const n = (shipped.has(id) ? 1 : 0) + (refunded.has(id) ? 1 : 0);
      if (n === 2) both++;
      else if (n === 1) one++;
      else none++;
    }
    return {
      pattern: 'state-machine',
      unit: 'orders',
      variant,
      messagesSent: system.stats.messagesSent,
      expected: result.count,
      observed: one,
      lostEffects: none,
      duplicatedEffects: both,
      ok: one === result.count,
      details: {
        orders: result.count,
        shipments: result.shipped.length,
        refunds: result.refunded.length,
        shippedAndRefunded: both,
        invalidTransitionsApplied: result.probe.invalidApplied,
        transitionsRejected: result.probe.rejected,
      },
    };
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const head = `${o.variant}: ${d.orders} paid orders, each raced by a shipper and a canceller; ${d.shipments} shipped, ${d.refunds} refunded`;
    if (o.variant === 'check-then-set-status') {
      return `${head}: ${plural(Number(d.shippedAndRefunded), 'order')} both shipped and refunded (goods and money both gone). Both clients read "paid" before either wrote; the orders actor then applied ${plural(Number(d.invalidTransitionsApplied), 'status change')} that the life cycle does not allow (shipped -> cancelled or cancelled -> shipped), because a set does not say what it expects the status to be.`;
    }
    return `${head}: ${o.duplicatedEffects === 0 ? 'no order got both' : `${plural(o.duplicatedEffects, 'order')} got both`}. The orders actor accepted the first event for each order and rejected ${plural(Number(d.transitionsRejected), 'event')} that arrived once the order was no longer paid; only the client whose event was accepted acted.`;
  },
};
