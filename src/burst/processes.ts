import { availableParallelism } from 'node:os';
import { status } from '@grpc/grpc-js';
import { spawnRacelab, type RunningChild } from '../core/children.js';
import { nowMicros } from '../core/clock.js';
import { RacelabError } from '../core/errors.js';
import type { BurstCall, CallOutcome } from './call.js';
import { tlsToWire, type FromWorker, type ToWorker, type WorkerBurst } from './process-worker.js';
import { ChannelsPolicy } from './channel-policies.js';
import type { FireResult, SyncMode } from './sync-policy.js';

/** One worker process and the lines it has sent that nobody has taken yet. */
class Worker {
  private buffer = '';
  private readonly queue: FromWorker[] = [];
  private readonly waiters: Array<(m: FromWorker | undefined) => void> = [];
  private exited = false;
  private stderr = '';

  constructor(readonly running: RunningChild) {
    running.child.stderr?.on('data', (d: Buffer | string) => {
      this.stderr = (this.stderr + String(d)).slice(-2000);
    });
    running.child.stdout?.on('data', (d: Buffer | string) => {
      this.buffer += String(d);
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        try {
          this.deliver(JSON.parse(line) as FromWorker);
        } catch {
          // A stray line (a library warning) is not part of the protocol.
        }
      }
    });
    running.done.then(
      () => this.end(),
      () => this.end(),
    );
  }

  private deliver(m: FromWorker): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  private end(): void {
    this.exited = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Why the process stopped talking: the error line of what it printed (not a stack frame), and its exit. */
  lastError(): string {
    const lines = this.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at '));
    const reason = [...lines].reverse().find((l) => /error/i.test(l) && !/^racelab: internal error/.test(l)) ?? lines[lines.length - 1];
    const exit = this.running.child.exitCode ?? this.running.child.signalCode;
    return [reason, exit !== null ? `exit ${exit}` : undefined].filter(Boolean).join('; ');
  }

  send(m: ToWorker): void {
    this.running.child.stdin?.write(`${JSON.stringify(m)}\n`);
  }

  /** The next message, or undefined when the process has exited or `timeoutMs` passed. */
  next(timeoutMs: number): Promise<FromWorker | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      const waiter = (m: FromWorker | undefined): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(waiter);
    });
  }
}

/**
 * N OS processes, like the seed's terminals: each worker connects before the first burst, and every burst
 * starts at one instant of the machine's monotonic clock that each worker waits for on its own (a time
 * barrier, tighter than a "go" message that each process would read at a different moment).
 */
export class ProcessesPolicy extends ChannelsPolicy {
  readonly mode: SyncMode = 'processes';
  private workers: Worker[] = [];
  private burstId = 0;

  async open(): Promise<void> {
    for (let i = 0; i < this.clients; i++) {
      this.workers.push(new Worker(spawnRacelab(['attack-worker'], { stdin: true })));
    }
    const tls = tlsToWire(this.transport.tls);
    for (const w of this.workers) {
      w.send({
        type: 'setup',
        target: this.transport.target,
        ...(tls ? { tls } : {}),
        metadata: this.transport.metadata.map(([k, v]) => [k, v]),
        deadlineMs: this.transport.deadlineMs,
        connectTimeoutMs: this.transport.connectTimeoutMs,
      });
    }
    // Starting Node takes a while on a busy machine; connecting is bounded by the connect timeout after that.
    const answers = await Promise.all(this.workers.map((w) => w.next(this.transport.connectTimeoutMs + 20_000)));
    const bad = answers.find((a) => a?.type !== 'ready');
    if (bad !== undefined || answers.length !== this.workers.length) {
      await this.close();
      const why = bad?.type === 'error' ? bad.message : 'a worker process did not start';
      throw new RacelabError(bad?.type === 'error' ? 'UNREACHABLE' : 'CHILD_FAILED', `processes: ${why}`, { subject: 'sync' });
    }
  }

  async fire(calls: readonly BurstCall[]): Promise<FireResult> {
    const id = ++this.burstId;
    const perWorker = this.workers.map(() => [] as WorkerBurst['calls']);
    for (const c of calls) {
      perWorker[c.client % this.workers.length]?.push({
        index: c.index,
        client: c.client,
        path: c.path,
        request: c.request.toString('base64'),
        offsetMicros: c.offsetMicros,
      });
    }
    // Lead time for every worker to read its burst and arm its timer before the start instant.
    const atMicros = nowMicros() + 30_000 + 2_000 * this.workers.length;
    this.workers.forEach((w, i) => w.send({ type: 'burst', id, atMicros, calls: perWorker[i] ?? [] }));
    const answers = await Promise.all(
      this.workers.map(async (w) => {
        for (;;) {
          const m = await w.next(this.transport.deadlineMs + 30_000);
          if (!m || m.type === 'error' || (m.type === 'result' && m.id === id)) return m;
        }
      }),
    );
    const outcomes: CallOutcome[] = [];
    const warnings: string[] = [];
    answers.forEach((a, i) => {
      if (a?.type === 'result') {
        for (const o of a.outcomes) {
          const { response, ...rest } = o;
          outcomes.push({ ...rest, ...(response ? { response: Buffer.from(response, 'base64') } : {}) });
        }
      } else {
        const lost = perWorker[i] ?? [];
        const why = a?.type === 'error' ? `failed: ${a.message}` : `did not answer${this.workers[i]?.lastError() ? ` (${this.workers[i]?.lastError()})` : ''}`;
        warnings.push(`processes: worker ${i} ${why}; its ${lost.length} call(s) count as unknown outcomes`);
        for (const c of lost) {
          outcomes.push({ index: c.index, client: c.client, path: c.path, sentMicros: atMicros, doneMicros: nowMicros(), code: status.UNAVAILABLE, details: 'worker process failed' });
        }
      }
    });
    const offsetOf = new Map(calls.map((c) => [c.index, c.offsetMicros]));
    const late = outcomes.filter((o) => o.sentMicros - atMicros - (offsetOf.get(o.index) ?? 0) > 1000).length;
    if (late > 0) {
      // Worded the same every round, so a run lists it once.
      warnings.push(
        `processes: calls left more than 1ms after the start instant (${this.workers.length} worker processes share ${availableParallelism()} CPU core(s) with everything else on this machine); the server-side spread shows what that cost`,
      );
    }
    outcomes.sort((a, b) => a.index - b.index);
    return { outcomes, warnings };
  }

  async close(): Promise<void> {
    for (const w of this.workers) {
      w.send({ type: 'quit' });
      w.running.child.stdin?.end();
    }
    await Promise.all(
      this.workers.map(async (w) => {
        const timer = setTimeout(() => w.running.child.kill('SIGKILL'), 3000);
        await w.running.done.catch(() => undefined);
        clearTimeout(timer);
      }),
    );
    this.workers = [];
  }
}
