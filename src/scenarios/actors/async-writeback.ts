import { GenServer, NoReply, type From, type GenServerBehaviour, type MessageTimeline, type Process, type TimelineMessage } from '../../actor/index.js';
import type { Random } from '../../core/random.js';
import { checkVariant, joinAll, plural, runWorkload, spawnClients, type ActorPattern, type PatternOutcome, type PatternRunOptions } from './pattern.js';

/** The account: its balance, which deposits it includes, and a version bumped by every write. */
interface Account {
  readonly balance: number;
  readonly applied: readonly number[];
  readonly version: number;
}

interface Deposit {
  readonly id: number;
  readonly amount: number;
}

/** A slow computation's result coming back to the account, e.g. after a fraud check or a currency conversion. */
interface Writeback {
  readonly type: 'writeback';
  readonly deposit: Deposit;
  readonly from: From;
  /** The account state the result was computed from. */
  readonly baseVersion: number;
  readonly balance: number;
  readonly applied: readonly number[];
}

interface Counters {
  tasksStarted: number;
  staleWritebacks: number;
  jobsDispatched: number;
}

/** The async work: takes a seeded 0-2 ms, then computes the new balance from the snapshot it was given. */
async function compute(self: Process, rng: Random, snapshot: Account, deposit: Deposit): Promise<Pick<Writeback, 'balance' | 'applied'>> {
  await self.sleep(rng.int(3));
  return { balance: snapshot.balance + deposit.amount, applied: [...snapshot.applied, deposit.id] };
}

/**
 * The handler hands the slow work to a task (so the account stays responsive) and applies the task's result when
 * it comes back as a later message. Vulnerable: the result is applied as is, over whatever the state has become.
 * Versioned: a result computed from an older version is rejected and the work redone from the current state.
 */
/**
 * Reports a deposit's read-modify-write to the timeline: the deposit's message reads the balance when its work
 * starts from a snapshot (again when the work is redone) and writes it when its result is applied, on a later
 * message. Both happen in the account's handlers, so the order recorded is the account's.
 */
class DepositWindows {
  private readonly of = new Map<number, TimelineMessage>();
  /** Every balance written, in order: whose result it was and which deposits it included. */
  private readonly writes: Array<{ readonly id: number; readonly applied: readonly number[] }> = [];
  constructor(private readonly tl: MessageTimeline | null) {
    // A result writes the whole list of deposits: a later one can put back a deposit an earlier one dropped, so
    // a deposit is marked lost from the final state, not from the windows.
    tl?.marksOwnLosses('balance');
  }
  /** The deposit's message is the one `self` is handling now. */
  opened(self: Process, id: number): void {
    const m = this.tl?.messageOf(self);
    if (m !== undefined) this.of.set(id, m);
  }
  read(id: number, balance: number): void {
    this.tl?.readOn(this.of.get(id), 'balance', balance);
  }
  write(id: number, balance: number, applied: readonly number[]): void {
    if (this.tl === null) return;
    this.tl.writeOn(this.of.get(id), 'balance', balance);
    this.writes.push({ id, applied });
  }

  /** Marks each deposit the final state lacks, and the result that dropped it last. */
  finish(final: readonly number[]): void {
    if (this.tl === null) return;
    const inFinal = new Set(final);
    const droppedBy = new Map<number, number>();
    let before = new Set<number>();
    for (const w of this.writes) {
      const now = new Set(w.applied);
      for (const id of before) if (!now.has(id)) droppedBy.set(id, w.id);
      before = now;
    }
    for (const [id, m] of this.of) {
      if (inFinal.has(id)) continue;
      const by = droppedBy.get(id);
      this.tl.markLost(
        m,
        by === undefined ? undefined : this.of.get(by),
        `LOST DEPOSIT ${id}: its result was applied, then ${by === undefined ? 'another result' : `deposit ${by}'s result (#${this.of.get(by)?.index ?? '?'})`}, computed from a snapshot without it, wrote over it; the final balance does not include it`,
      );
    }
  }
}

function taskAccount(rng: Random, counters: Counters, versioned: boolean, windows: DepositWindows): GenServerBehaviour<Account, void> {
  const start = (self: Process, snapshot: Account, deposit: Deposit, from: From): void => {
    windows.read(deposit.id, snapshot.balance);
    counters.tasksStarted++;
    const account = self.pid;
    self.spawn(async (task) => {
      const result = await compute(task, rng, snapshot, deposit);
      const p = task.send(account, { type: 'writeback', deposit, from, baseVersion: snapshot.version, ...result } satisfies Writeback);
      if (p !== undefined) await p;
    });
  };
  return {
    init: () => ({ balance: 0, applied: [], version: 0 }),
    handleCall(request, from, state, self) {
      if (request === 'balance') return { reply: state, state };
      windows.opened(self, (request as Deposit).id);
      start(self, state, request as Deposit, from);
      return new NoReply(state); // the depositor is answered once the result is applied
    },
    async handleInfo(message, state, self) {
      const w = message as Writeback;
      if (versioned && w.baseVersion !== state.version) {
        counters.staleWritebacks++;
        start(self, state, w.deposit, w.from);
        return state;
      }
      windows.write(w.deposit.id, w.balance, w.applied);
      const p = self.system.reply(w.from, 'ok');
      if (p !== undefined) await p;
      return { balance: w.balance, applied: w.applied, version: state.version + 1 };
    },
  };
}

interface Job {
  readonly seq: number;
  readonly deposit: Deposit;
  readonly from: From;
}

interface SeqAccount extends Account {
  /** The one job out at the worker, whose result is the only one accepted. */
  readonly outstanding: Job | null;
  readonly queue: readonly Job[];
  readonly nextSeq: number;
}

/**
 * Sequence numbers and acknowledgements: at most one job is out at the worker, tagged with a sequence number; the
 * account accepts only the result carrying that number, acknowledges the depositor, and only then sends the next
 * job, computed from the state that now includes the last result.
 */
function seqAckAccount(counters: Counters, windows: DepositWindows): GenServerBehaviour<SeqAccount, void> {
  const dispatch = async (self: Process, s: SeqAccount): Promise<SeqAccount> => {
    if (s.outstanding !== null || s.queue.length === 0) return s;
    const [job, ...rest] = s.queue as [Job, ...Job[]];
    counters.jobsDispatched++;
    windows.read(job.deposit.id, s.balance);
    const p = self.send('worker', { type: 'job', seq: job.seq, deposit: job.deposit, snapshot: { balance: s.balance, applied: s.applied, version: s.version } });
    if (p !== undefined) await p;
    return { ...s, outstanding: job, queue: rest };
  };
  return {
    init: () => ({ balance: 0, applied: [], version: 0, outstanding: null, queue: [], nextSeq: 1 }),
    async handleCall(request, from, s, self) {
      if (request === 'balance') return { reply: s, state: s };
      const job: Job = { seq: s.nextSeq, deposit: request as Deposit, from };
      windows.opened(self, job.deposit.id);
      return new NoReply(await dispatch(self, { ...s, nextSeq: s.nextSeq + 1, queue: [...s.queue, job] }));
    },
    async handleInfo(message, s, self) {
      const r = message as { type: 'result'; seq: number; balance: number; applied: readonly number[] };
      if (s.outstanding === null || r.seq !== s.outstanding.seq) {
        counters.staleWritebacks++; // a duplicate or stale result: not the one we wait for
        return s;
      }
      windows.write(s.outstanding.deposit.id, r.balance, r.applied);
      const p = self.system.reply(s.outstanding.from, 'ok');
      if (p !== undefined) await p;
      return dispatch(self, { ...s, balance: r.balance, applied: r.applied, version: s.version + 1, outstanding: null });
    },
  };
}

const variants: Record<string, string> = {
  'stale-writeback':
    'the handler starts a task with a snapshot of the state; the task computes the new balance and sends it back; the handler applies it as is, over whatever the state has become',
  'versioned-state': 'the result carries the version it was computed from; a result from an older version is rejected and the work redone from the current state',
  'seq-ack': 'one job at a time to a worker, numbered; only the result with the outstanding number is applied and acknowledged, then the next job goes out from the new state',
};

/**
 * A handler that hands work to an async task and writes the result back on a later message: the classic way an
 * actor "stays responsive" and the classic way it loses updates, because several tasks start from the same
 * snapshot and each result overwrites the state that has moved on.
 */
export const asyncWritebackPattern: ActorPattern = {
  name: 'async-writeback',
  title: 'a handler hands work to an async task and writes the result back on a later message',
  vulnerable: ['stale-writeback'],
  fixed: ['versioned-state', 'seq-ack'],
  variants,

  async run(variant: string, options: PatternRunOptions = {}): Promise<PatternOutcome> {
    checkVariant(this, variant);
    const { result, system, senders, messages } = await runWorkload(options, { real: { senders: 4, messages: 10 }, virtual: { senders: 2, messages: 1 } }, async (w) => {
      const { system, rng } = w;
      const counters: Counters = { tasksStarted: 0, staleWritebacks: 0, jobsDispatched: 0 };
      if (variant === 'seq-ack') {
        system.spawn(
          async (self) => {
            for (;;) {
              const job = await self.receive<{ seq: number; deposit: Deposit; snapshot: Account }>();
              const r = await compute(self, rng, job.snapshot, job.deposit);
              const p = self.send('account', { type: 'result', seq: job.seq, ...r });
              if (p !== undefined) await p;
            }
          },
          { name: 'worker' },
        );
      }
      const windows = new DepositWindows(w.timeline);
      const account = await GenServer.start(system, variant === 'seq-ack' ? seqAckAccount(counters, windows) : taskAccount(rng, counters, variant === 'versioned-state', windows), undefined, {
        name: 'account',
      });
      const amounts = Array.from({ length: w.senders * w.messages }, () => 1 + rng.int(9));
      let acknowledged = 0;
      const clients = spawnClients(system, w.senders, 'depositor', async (self, c) => {
        for (let i = 0; i < w.messages; i++) {
          const id = c * w.messages + i;
          if ((await self.call('account', { id, amount: amounts[id] ?? 0 } satisfies Deposit, 60_000)) === 'ok') acknowledged++;
        }
      });
      // Each depositor waits for its deposit to be acknowledged before the next, yet depositors overlap.
      await joinAll(system, clients);
      const final = await account.call<Account>('balance');
      windows.finish(final.applied);
      return { final, amounts, counters, acknowledged };
    });
    const deposited = result.amounts.reduce((a, b) => a + b, 0);
    const distinct = new Set(result.final.applied);
    // Counted in deposits, like every other column of the table; the money is in the details, in money only.
    return {
      pattern: 'async-writeback',
      variant,
      messagesSent: system.stats.messagesSent,
      unit: 'deposits',
      expected: result.amounts.length,
      observed: result.final.applied.length,
      lostEffects: result.amounts.length - distinct.size,
      duplicatedEffects: result.final.applied.length - distinct.size,
      ok: result.final.balance === deposited && distinct.size === result.amounts.length && distinct.size === result.final.applied.length,
      details: {
        deposits: senders * messages,
        depositsAcknowledged: result.acknowledged,
        depositsInBalance: distinct.size,
        amountDeposited: deposited,
        balance: result.final.balance,
        amountMissing: deposited - result.final.balance,
        tasksStarted: result.counters.tasksStarted || result.counters.jobsDispatched,
        staleResultsRejected: result.counters.staleWritebacks,
      },
    };
  },

  explain(o: PatternOutcome): string {
    const d = o.details ?? {};
    const acked = d.depositsAcknowledged === d.deposits ? 'were all acknowledged' : `were sent, ${d.depositsAcknowledged} acknowledged`;
    const head = `${o.variant}: ${d.deposits} deposits worth ${d.amountDeposited} ${acked}; the balance ended at ${d.balance}, including ${d.depositsInBalance} of them`;
    if (o.variant === 'stale-writeback') {
      return o.lostEffects > 0
        ? `${head}: ${plural(o.lostEffects, 'deposit')} lost although acknowledged, ${d.amountMissing} of the ${d.amountDeposited} deposited missing from the balance. ${d.tasksStarted} tasks started from snapshots of the state; tasks that started before the previous result came back computed from the same old balance, and each result overwrote the ones applied since.`
        : `${head}. No deposit lost in this run, but results are still applied over whatever the state has become; with more overlap they overwrite each other.`;
    }
    if (o.variant === 'versioned-state') {
      return `${head}. ${plural(Number(d.staleResultsRejected), 'result')} came back computed from an older version and ${Number(d.staleResultsRejected) === 1 ? 'was' : 'were'} rejected, the work redone from the current state (${d.tasksStarted} tasks in all): stale results are detected instead of applied.`;
    }
    return `${head}. ${d.tasksStarted} numbered jobs went to the worker one at a time; each result was applied only if it carried the outstanding number (${plural(Number(d.staleResultsRejected), 'stale result')} ignored), and the next job was computed from the state that included it.`;
  },
};
