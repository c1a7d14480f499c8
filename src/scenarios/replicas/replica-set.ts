import { spawnRacelab, type ChildResult, type RunningChild } from '../../core/children.js';
import { RacelabError } from '../../core/errors.js';
import { storeKind } from '../../store/open.js';
import type { CounterLockOptions, CounterStats } from '../counter/variants.js';
import { checkVariantStore } from '../counter/registry.js';
import { impactScenario } from '../impacts/registry.js';
import { checkServedVariant } from '../impacts/scenario.js';

export interface ReplicaSetOptions {
  replicas: number;
  /** An impact scenario (bank, …) instead of the counter; its variant is `variant`. */
  scenario?: string;
  variant: string;
  /** A store every replica process can reach: `postgres://…` or `redis://…`. */
  store: string;
  host?: string;
  /** First port; replica i listens on port + i. 0 lets each replica pick a free port. */
  port?: number;
  delayMs?: number;
  maxConcurrency?: number;
  lock?: CounterLockOptions;
  /** How long to wait for every replica to listen; default 20 s. */
  startTimeoutMs?: number;
  /** A replica exited without being asked to (after they all started). */
  onUnexpectedExit?: (replica: Replica, result: ChildResult) => void;
}

export interface Replica {
  readonly index: number;
  readonly target: string;
  readonly port: number;
  readonly pid: number;
  /** False once the process has exited, for whatever reason. */
  readonly alive: boolean;
  /** True when this set killed it with SIGKILL. */
  readonly killed: boolean;
}

export interface ReplicaExit {
  readonly index: number;
  readonly target: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed: boolean;
  /** The handlers' stats, reported by a replica that stopped gracefully; absent for one that was killed. */
  readonly stats?: CounterStats;
}

export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  readonly targets: readonly string[];
  /** kill -9 one replica (index from 0); resolves once the process is gone. */
  kill(index: number): Promise<void>;
  /** SIGTERM to every live replica (calls in flight get `graceMs`), SIGKILL to any still there after that. */
  stop(graceMs?: number): Promise<ReplicaExit[]>;
  /** Resolves when every replica has exited. */
  readonly allExited: Promise<void>;
}

/** Events a supervised `racelab serve` prints to stdout, one JSON object per line. */
export type SupervisedEvent =
  | { event: 'listening'; target: string; port: number; pid: number; store: string }
  | { event: 'stopped'; stats: CounterStats };

function durationArg(ms: number): string {
  return `${ms}ms`;
}

/**
 * The `racelab serve` arguments of one replica. The store URL is not among them: it travels in the
 * environment (RACELAB_STORE), so a password in it never shows in the process list.
 */
export function replicaServeArgs(o: ReplicaSetOptions, index: number): string[] {
  const args = ['serve', '--supervised', ...(o.scenario && o.scenario !== 'counter' ? ['--scenario', o.scenario] : []), '--variant', o.variant, '--host', o.host ?? 'localhost'];
  args.push('--port', String(o.port ? o.port + index : 0));
  args.push('--delay', durationArg(o.delayMs ?? 500), '--max-concurrency', String(o.maxConcurrency ?? 10));
  if (o.lock?.ttlMs !== undefined) args.push('--lock-ttl', durationArg(o.lock.ttlMs));
  if (o.lock?.holderPauseMs !== undefined) args.push('--holder-pause', durationArg(o.lock.holderPauseMs));
  if (o.lock?.holderPauseEvery !== undefined) args.push('--holder-pause-every', String(o.lock.holderPauseEvery));
  return args;
}

interface Tracked {
  readonly running: RunningChild;
  readonly events: SupervisedEvent[];
  readonly listening: Promise<SupervisedEvent & { event: 'listening' }>;
  result?: ChildResult;
  killed: boolean;
  stopping: boolean;
  replica?: Replica;
}

function track(running: RunningChild): Tracked {
  const events: SupervisedEvent[] = [];
  let buffered = '';
  let onListening: (e: SupervisedEvent & { event: 'listening' }) => void = () => undefined;
  const listening = new Promise<SupervisedEvent & { event: 'listening' }>((resolve) => (onListening = resolve));
  running.child.stdout?.on('data', (d: Buffer | string) => {
    buffered += String(d);
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const event = JSON.parse(line) as SupervisedEvent;
        events.push(event);
        if (event.event === 'listening') onListening(event);
      } catch {
        // not one of ours
      }
    }
  });
  return { running, events, listening, killed: false, stopping: false };
}

/**
 * What a child that failed said: its one-line `racelab: …` error, or for a crash the error line of the stack
 * (Node prints its own version last, which says nothing).
 */
function lastError(result: ChildResult): string {
  const lines = result.stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const ours = lines.filter((l) => l.startsWith('racelab: ') && !/internal error/.test(l)).pop();
  const crash = lines.find((l) => /^[A-Za-z]*Error\b|^error:/i.test(l));
  const line = ours?.replace(/^racelab: /, '') ?? crash ?? lines.pop();
  return line || `exited with ${result.signal ?? `code ${result.code}`}`;
}

/**
 * Starts R `racelab serve` processes with the same variant, all sharing one store, on consecutive ports. This
 * is where the seed's mutex stops being a fix: each process has its own. The parent supervises them: a replica
 * that fails to start fails the whole set with its own one-line error, and every exit path stops them all
 * (each replica also exits when its stdin closes, so not even a killed parent leaves one running).
 */
export async function startReplicaSet(o: ReplicaSetOptions): Promise<ReplicaSet> {
  // The variant first: one that cannot run on replicas at all says so, rather than asking for a shared store.
  if (o.scenario && o.scenario !== 'counter') {
    const scenario = impactScenario(o.scenario);
    if (scenario.singleProcess && o.replicas > 1) {
      throw new RacelabError('BAD_OPTION', `\`scenario\` ${scenario.name} observes its invariant inside one server process, so it runs with \`replicas\` 1 only`, { subject: 'replicas' });
    }
    checkServedVariant(scenario, o.variant, o.store, o.replicas);
  } else checkVariantStore(o.variant, o.store);
  if (o.replicas > 1 && storeKind(o.store) === 'memory') {
    throw new RacelabError('BAD_OPTION', 'replicas share state through `store`, and memory lives inside one process; use `store` postgres://… or redis://…', {
      subject: 'replicas',
    });
  }
  const tracked: Tracked[] = [];
  for (let i = 0; i < o.replicas; i++) tracked.push(track(spawnRacelab(replicaServeArgs(o, i), { stdin: true, env: { RACELAB_STORE: o.store } })));
  const exited = tracked.map((t) =>
    t.running.done.then(
      (r) => {
        t.result = r;
        return r;
      },
      (e: unknown) => {
        t.result = { code: null, signal: null, stdout: '', stderr: e instanceof Error ? e.message : String(e) };
        return t.result;
      },
    ),
  );
  const killAll = async (): Promise<void> => {
    for (const t of tracked) if (!t.result) t.running.child.kill('SIGKILL');
    await Promise.all(exited);
  };

  // Every replica listening, or the first one to exit (a port in use, a store it cannot reach), or a timeout.
  const timeoutMs = o.startTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const failure = await Promise.race([
    Promise.all(tracked.map((t) => t.listening)).then(() => undefined),
    ...exited.map((p, i) => p.then((r) => ({ index: i, result: r }))),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (failure !== undefined) {
    await killAll();
    if (failure === 'timeout') {
      throw new RacelabError('TIMEOUT', `not every replica was listening after ${timeoutMs}ms; the machine may be overloaded`, { subject: 'replicas' });
    }
    throw new RacelabError('CHILD_FAILED', `replica ${failure.index + 1} of ${o.replicas} did not start: ${lastError(failure.result)}`);
  }

  const replicas: Replica[] = [];
  for (const [i, t] of tracked.entries()) {
    const listening = await t.listening;
    const replica: Replica = {
      index: i,
      target: listening.target,
      port: listening.port,
      pid: listening.pid,
      get alive() {
        return t.result === undefined;
      },
      get killed() {
        return t.killed;
      },
    };
    t.replica = replica;
    replicas.push(replica);
    void exited[i]?.then((r) => {
      if (!t.killed && !t.stopping) o.onUnexpectedExit?.(replica, r);
    });
  }

  return {
    replicas,
    targets: replicas.map((r) => r.target),
    allExited: Promise.all(exited).then(() => undefined),
    async kill(index) {
      const t = tracked[index];
      if (!t) throw new RacelabError('BAD_OPTION', `there is no replica ${index + 1}; the set has ${tracked.length}`);
      if (t.result) return;
      t.killed = true;
      t.running.child.kill('SIGKILL');
      await exited[index];
    },
    async stop(graceMs = 2000) {
      for (const t of tracked) {
        t.stopping = true;
        if (!t.result) t.running.child.kill('SIGTERM');
      }
      // The replica's own graceful close waits up to 2 s for calls in flight; give it that and a margin.
      const force = setTimeout(() => {
        for (const t of tracked) if (!t.result) t.running.child.kill('SIGKILL');
      }, graceMs + 3000);
      await Promise.all(exited);
      clearTimeout(force);
      return tracked.map((t, i) => {
        const stopped = t.events.find((e): e is SupervisedEvent & { event: 'stopped' } => e.event === 'stopped');
        return {
          index: i,
          target: replicas[i]?.target ?? '',
          code: t.result?.code ?? null,
          signal: t.result?.signal ?? null,
          killed: t.killed,
          ...(stopped ? { stats: stopped.stats } : {}),
        };
      });
    },
  };
}
