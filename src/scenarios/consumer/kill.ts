import type { ChildProcess } from 'node:child_process';
import { brokerNamespace } from '../../broker/names.js';
import { openBroker, type ResolvedBroker } from '../../broker/open.js';
import { spawnRacelab } from '../../core/children.js';
import { RacelabError } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import { openStore } from '../../store/open.js';
import { cleanupOnSignal, runNamespace, withNamespace } from '../../store/specs.js';
import type { ConsumerRunResult } from './run.js';
import { planMessages, readBalances } from './run.js';
import { tally, type Application } from './tally.js';
import type { ConsumerVariant } from './variants.js';

export interface KillRunOptions {
  readonly broker: ResolvedBroker;
  /** A postgres:// or redis:// URL: the consumers are processes, so the store must be shared. */
  readonly storeUrl: string;
  readonly variant: ConsumerVariant;
  readonly messages: number;
  readonly keys: readonly string[];
  /** Consumer processes killed with SIGKILL between effect and ack, each at a message the seed picks. */
  readonly kills: number;
  readonly seed: number;
  readonly ackWaitMs: number;
  readonly windowMs: number;
  readonly timeoutMs: number;
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  /** Called with the namespace once the queue is declared and the messages published. */
  readonly onPublished?: (namespace: string) => void;
}

/**
 * The variant with each consumer a process of its own (`racelab consumer-worker`), killed with SIGKILL between
 * its effect and its ack at seeded messages, and started again, as a supervisor would, until every message is
 * acked. The effects live in the shared store; the counts come from the processes' own lines.
 */
export async function runKilledConsumers(o: KillRunOptions): Promise<ConsumerRunResult & { readonly killed: readonly string[] }> {
  if (o.broker.kind === 'memory' || o.broker.url === undefined) {
    throw new RacelabError('BAD_OPTION', 'consumer processes need a real broker (nats or rabbitmq): the memory broker lives inside one process');
  }
  const queue = o.variant.name;
  const messages = planMessages(o.messages, o.keys);
  const killIds = Random.seeded(o.seed).shuffle(messages.map((m) => m.id)).slice(0, Math.min(o.kills, messages.length));
  const namespace = brokerNamespace(o.prefix ?? 'racelab');
  const broker = await openBroker(o.broker, { namespace });
  const storeUrl = withNamespace(o.storeUrl, runNamespace(`brokers-kill-${queue}`));
  const forget = cleanupOnSignal(storeUrl);
  const store = await openStore(storeUrl, { poolSize: 2 });
  const applications: Application[] = [];
  const acked = new Set<string>();
  const struck: string[] = [];
  let redeliveries = 0;
  let finished = false;
  let failure: Error | undefined;
  const live = new Set<ChildProcess>();
  const exits: Array<Promise<unknown>> = [];
  try {
    await broker.declare({ name: queue, keys: o.keys, perKey: o.variant.perKey, ackWaitMs: o.ackWaitMs });
    for (const m of messages) await broker.publish(queue, m);
    o.onPublished?.(namespace);

    // A supervisor with a standby per consumer: a process with the store and the broker already open, waiting for
    // `go`. A kill promotes it at once (no process start between the kill and the next consumer) and a new standby
    // starts in the background; its first delivery is the killed one's message, once the broker gives it back.
    interface Worker {
      readonly child: ChildProcess;
      active: boolean;
      killed: boolean;
    }
    const standby = new Map<string, Worker>();
    const holdList = (): string => killIds.filter((id) => !struck.includes(id)).join(',') || '-';
    const spawnWorker = (name: string, asStandby: boolean): Worker => {
      const args = ['consumer-worker', '--broker', o.broker.url as string, '--namespace', namespace, '--variant', queue, '--keys', o.keys.join(',')];
      args.push('--ack-wait', `${o.ackWaitMs}ms`, '--store', storeUrl, '--window', `${o.windowMs}ms`, '--name', name);
      args.push(...(asStandby ? ['--standby'] : ['--hold', holdList()]));
      const { child, done } = spawnRacelab(args, { stdin: true });
      const w: Worker = { child, active: !asStandby, killed: false };
      live.add(child);
      let buffer = '';
      child.stdout?.on('data', (d: Buffer | string) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const [what, id = '', a, b] = buffer.slice(0, nl).trim().split(' ');
          buffer = buffer.slice(nl + 1);
          if (what === 'delivered' && a === '1') redeliveries++;
          if (what === 'applied') applications.push({ id, key: a ?? '', seq: Number(b), amount: 1, consumer: name, redelivered: false });
          if (what === 'acked') acked.add(id);
          if (what === 'window' && !w.killed) {
            w.killed = true;
            struck.push(id);
            child.kill('SIGKILL'); // between the effect (applied) and the ack: what kill -9 of a consumer does
          }
        }
      });
      exits.push(
        done.then((r) => {
          live.delete(child);
          if (finished || failure) return;
          if (!w.killed && r.code !== 0) failure = new RacelabError('CHILD_FAILED', `consumer process ${name} exited with ${r.code ?? r.signal}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
          else if (w.active) activate(name); // a supervisor starts it again
        }),
      );
      return w;
    };
    const activate = (name: string): void => {
      const spare = standby.get(name);
      standby.delete(name);
      if (spare && spare.child.exitCode === null && spare.child.signalCode === null) {
        spare.active = true;
        spare.child.stdin?.write(`go ${holdList()}\n`);
      } else spawnWorker(name, false);
      if (struck.length < killIds.length) standby.set(name, spawnWorker(name, true));
    };
    for (let i = 1; i <= o.variant.consumers; i++) {
      spawnWorker(`c${i}`, false);
      if (killIds.length > 0) standby.set(`c${i}`, spawnWorker(`c${i}`, true));
    }
    const deadline = Date.now() + o.timeoutMs;
    while (acked.size < messages.length && !failure && Date.now() < deadline && !o.signal?.aborted) await new Promise((r) => setTimeout(r, 25));
    finished = true;
    for (const child of live) child.stdin?.end();
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
    for (const child of live) child.kill('SIGKILL');
    if (failure) throw failure;
    const t = tally(messages, applications, await readBalances(store, o.keys), { redeliveries, crashes: struck.length });
    return { tally: t, settled: acked.size === messages.length, killed: struck, consumers: o.variant.consumers, brokerRestarts: 0, acksLost: 0 };
  } finally {
    finished = true;
    for (const child of live) child.kill('SIGKILL');
    await broker.close();
    await store.reset().catch(() => undefined);
    await store.close();
    forget();
  }
}
