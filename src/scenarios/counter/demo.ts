import { spawnRacelab, type RunningChild } from '../../core/children.js';
import { RacelabError } from '../../core/errors.js';
import { AbortedRun, unlessAborted, type Interrupted } from '../../core/interrupt.js';
import { summarize } from '../../core/stats.js';
import { formatMs, pct, plural } from '../../core/units.js';
import { maxInFlight, type HandlerSpan } from '../../grpc/timing.js';
import type { CounterClientResult } from './client.js';
import { readCounter } from './client.js';
import { startCounterServer } from './server.js';
import { checkVariantStore, counterVariant } from './registry.js';
import { COUNTER_KEY } from './variants.js';
import { DemoRecording, historyFileFor } from './history.js';
import { raceMonitor, type MonitorCounts, type RaceMonitor, type SuspectLogger } from '../../monitor/monitor.js';
import { cleanupOnSignal, describeSource, probeStore, resolveStore, runNamespace, withNamespace, type ResolvedStore } from '../../store/specs.js';

export interface GrpcDemoOptions {
  /** Client OS processes run at once, like the seed's terminals. */
  clients?: number;
  /** Increments each client sends, one after another. */
  increments?: number;
  /** The read-modify-write window. */
  delayMs?: number;
  maxConcurrency?: number;
  variants?: string[];
  /**
   * Record what every client saw into this history file (JSON Lines, for `racelab check --model counter`);
   * with several variants, each goes to `name.<variant>.jsonl`.
   */
  record?: string;
  /**
   * The server's store: `memory` (default), `postgres`, `redis` (their URLs from RACELAB_PG_URL / RACELAB_REDIS_URL
   * or the local defaults) or a URL. Each variant runs on a fresh namespace of it, removed afterwards.
   */
  store?: string;
  /** Progress lines (to stderr in the CLI). */
  onProgress?: (line: string) => void;
  /**
   * Watch each variant's server with a race monitor; its counts join the report. `logger` gets one line per
   * suspect (pino).
   */
  monitor?: boolean | { logger?: SuspectLogger };
  /**
   * Keep every call (client send and answer, the server handler, its read and write) in the report, for a page's
   * timeline; a race monitor watches the server to see the handler side.
   */
  keepCalls?: boolean;
  /** Stops the run: the variants that finished are reported, with `interrupted`. */
  signal?: AbortSignal;
}

/** One increment as both sides saw it. Times: monotonic µs, one clock for the clients and the server. */
export interface GrpcDemoCall {
  client: number;
  requestId: string;
  sentMicros: number;
  doneMicros: number;
  code: number;
  handlerStartMicros?: number;
  handlerEndMicros?: number;
  readMicros?: number;
  readVersion?: number;
  writeMicros?: number;
  /** The request whose update this one wrote over (a lost update), as the monitor saw it. */
  overwrote?: string;
  /** Set when another request wrote over this one's update. */
  overwrittenBy?: string;
}

export interface GrpcDemoRun {
  variant: string;
  summary: string;
  clients: number;
  incrementsSent: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  expected: number;
  finalValue: number;
  lostUpdates: number;
  wallMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Most handlers inside the server at one instant (including ones queued on a lock). */
  maxHandlersInFlight: number;
  /** Handler completions that landed together (within a tenth of the window), median over the run. */
  completionWaveMedian: number;
  /**
   * Median spacing of the waves, ms: from the first completion of one wave to the first completion of the next
   * (0 with fewer than two waves). Not the quiet gap between them, which is shorter by the wave's own spread.
   */
  completionWaveSpacingMedianMs: number;
  /** Where this run's recorded history was written (with `record`). */
  historyFile?: string;
  /** What the race monitor counted on this variant's server (with `monitor`). */
  monitor?: MonitorCounts;
  /** Every increment (with `keepCalls`). */
  calls?: GrpcDemoCall[];
  /** Every latency, ms (with `keepCalls`). */
  latenciesMs?: number[];
}

export interface GrpcDemoReport {
  kind: 'grpc-demo';
  settings: { clients: number; increments: number; delayMs: number; maxConcurrency: number; store: string };
  runs: GrpcDemoRun[];
  explanation: string[];
  /** Set when `signal` stopped the run: `runs` holds the variants that finished. */
  interrupted?: Interrupted;
}

/**
 * Groups handler end times into waves: ends closer than `gapMicros` to the previous one join its wave. `spacingsMs`
 * runs from each wave's first end to the next wave's first end.
 */
export function completionWaves(spans: ReadonlyArray<Pick<HandlerSpan, 'endMicros'>>, gapMicros: number): { sizes: number[]; spacingsMs: number[] } {
  const ends = spans.map((s) => s.endMicros).sort((a, b) => a - b);
  const sizes: number[] = [];
  const spacingsMs: number[] = [];
  let prev = -Infinity;
  let waveStart = -Infinity;
  for (const e of ends) {
    if (e - prev <= gapMicros && sizes.length > 0) sizes[sizes.length - 1]! += 1;
    else {
      if (sizes.length > 0) spacingsMs.push((e - waveStart) / 1000);
      sizes.push(1);
      waveStart = e;
    }
    prev = e;
  }
  return { sizes, spacingsMs };
}

function untilReady(c: RunningChild): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (d: Buffer | string): void => {
      seen += String(d);
      if (/^ready$/m.test(seen)) {
        c.child.stderr?.off('data', onData);
        resolve();
      }
    };
    c.child.stderr?.on('data', onData);
    c.child.once('close', () => resolve());
  });
}

function parseClientOutput(run: { code: number | null; signal: string | null; stdout: string; stderr: string }, i: number): CounterClientResult {
  // Exit 4: the client finished and reported, but some increments failed; its report counts them.
  if (run.code !== 0 && !(run.code === 4 && run.stdout.trim().startsWith('{'))) {
    const why = run.stderr.trim().split('\n').pop() || `exit code ${run.code ?? run.signal}`;
    throw new RacelabError('CHILD_FAILED', `client process ${i + 1} failed: ${why}`);
  }
  try {
    return JSON.parse(run.stdout) as CounterClientResult;
  } catch {
    throw new RacelabError('CHILD_FAILED', `client process ${i + 1} printed no JSON report`);
  }
}

type DemoSettings = Required<Omit<GrpcDemoOptions, 'onProgress' | 'variants' | 'record' | 'store' | 'monitor' | 'keepCalls' | 'signal'>>;

async function runVariant(
  variantName: string,
  o: DemoSettings,
  store: ResolvedStore | undefined,
  progress: (l: string) => void,
  recordTo?: string,
  monitor?: RaceMonitor,
  keepCalls = false,
  monitorSpeaks = monitor !== undefined,
): Promise<GrpcDemoRun> {
  const variant = counterVariant(variantName);
  // A real store: this variant's run gets a namespace of its own, so its counter starts at 0 and nothing else's moves.
  const storeUrl = store ? withNamespace(store.url, runNamespace(`demo-grpc-${variantName}`)) : undefined;
  const forget = storeUrl ? cleanupOnSignal(storeUrl) : () => undefined;
  const server = await startCounterServer({ variant: variantName, delayMs: o.delayMs, maxConcurrency: o.maxConcurrency, ...(storeUrl ? { store: storeUrl } : {}), ...(monitor ? { monitor } : {}) });
  const children: RunningChild[] = [];
  const recording = recordTo !== undefined ? await DemoRecording.start(recordTo) : undefined;
  try {
    progress(`${variantName}: server on ${server.target}; starting ${o.clients} client processes x ${o.increments} increments`);
    for (let i = 0; i < o.clients; i++) {
      children.push(spawnRacelab(['client', '--target', server.target, '--increments', String(o.increments), '--json', '--wait-for-go', ...(recording?.clientArgs(i) ?? [])], { stdin: true }));
    }
    // Start barrier: each process connects and says "ready"; when all have, one "go" releases them together,
    // as if the seed's terminals had all pressed Enter at the same instant.
    await Promise.race([Promise.all(children.map(untilReady)), Promise.all(children.map((c) => c.done)).then(() => undefined)]);
    for (const c of children) c.child.stdin?.end('go\n');
    const t0 = performance.now();
    const outputs = await Promise.all(children.map((c) => c.done));
    const wallMs = performance.now() - t0;
    const results = outputs.map(parseClientOutput);
    const historyFile = recording ? await recording.finish(o.clients) : undefined;
    const finalValue = await readCounter(server.target);
    const spans = server.spans.drain().filter((s) => s.method === '/Counter/Increment');
    const waves = completionWaves(spans, Math.max(1000, (o.delayMs * 1000) / 10));
    const latencies = summarize(results.flatMap((r) => r.latenciesMs));
    const acknowledged = results.reduce((s, r) => s + r.acknowledged, 0);
    const run: GrpcDemoRun = {
      variant: variantName,
      summary: variant.summary,
      clients: o.clients,
      incrementsSent: o.clients * o.increments,
      acknowledged,
      failed: results.reduce((s, r) => s + r.failed, 0),
      unknown: results.reduce((s, r) => s + r.unknown, 0),
      expected: acknowledged,
      finalValue,
      lostUpdates: acknowledged - finalValue,
      wallMs,
      latencyP50Ms: latencies.p50,
      latencyP99Ms: latencies.p99,
      maxHandlersInFlight: maxInFlight(spans),
      completionWaveMedian: summarize(waves.sizes).p50,
      completionWaveSpacingMedianMs: waves.spacingsMs.length ? summarize(waves.spacingsMs).p50 : 0,
      ...(historyFile !== undefined ? { historyFile } : {}),
      ...(monitor ? { monitor: { ...monitor.counts } } : {}),
      ...(keepCalls && monitor ? { calls: demoCalls(results, monitor), latenciesMs: results.flatMap((r) => r.latenciesMs) } : {}),
    };
    if (historyFile !== undefined) progress(`${variantName}: history of every call written to ${historyFile}`);
    progress(`${variantName}: final value ${finalValue}, expected ${acknowledged}${monitor && monitorSpeaks ? `; the race monitor flagged ${monitor.counts.suspectedLostUpdates} suspected lost updates` : ''}`);
    return run;
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    if (storeUrl) await server.store.reset().catch(() => undefined);
    await server.close(500);
    forget();
    await recording?.dispose();
  }
}

/** Joins what each client saw of its calls with what the monitor saw of the same requests on the server. */
function demoCalls(results: readonly CounterClientResult[], monitor: RaceMonitor): GrpcDemoCall[] {
  const server = new Map(monitor.completed.map((r) => [r.id, r]));
  const overwrittenBy = new Map<string, string>();
  for (const s of monitor.suspects) if (s.kind === 'lost-update') overwrittenBy.set(s.first.id, s.second.id);
  return results.flatMap((r, client) =>
    (r.calls ?? []).map((c) => {
      const req = server.get(c.requestId);
      const read = req?.reads.get(COUNTER_KEY);
      const write = req?.writes.find((w) => w.key === COUNTER_KEY);
      const by = overwrittenBy.get(c.requestId);
      return {
        client: client + 1,
        requestId: c.requestId,
        sentMicros: c.sentMicros,
        doneMicros: c.doneMicros,
        code: c.code,
        ...(req ? { handlerStartMicros: req.startMicros, ...(req.endMicros !== undefined ? { handlerEndMicros: req.endMicros } : {}) } : {}),
        ...(read ? { readMicros: read.atMicros, readVersion: read.version } : {}),
        ...(write ? { writeMicros: write.atMicros } : {}),
        ...(req?.overwrote ? { overwrote: req.overwrote } : {}),
        ...(by ? { overwrittenBy: by } : {}),
      };
    }),
  );
}


/** The seed's section 5, written from this run's numbers only. */
export function explainGrpcDemo(report: Omit<GrpcDemoReport, 'explanation'>): string[] {
  const { delayMs } = report.settings;
  const lines: string[] = [];
  for (const r of report.runs) {
    const head = `${r.variant}: ${plural(r.clients, 'client process', 'client processes')} sent ${plural(r.incrementsSent, 'increment')}; the server acknowledged ${r.acknowledged} and the counter ended at ${r.finalValue}.`;
    const inFlight = plural(r.maxHandlersInFlight, 'increment');
    if (r.lostUpdates > 0) {
      lines.push(
        `${head} ${plural(r.lostUpdates, 'acknowledged update')} (${pct(r.lostUpdates, r.acknowledged)}) ${r.lostUpdates === 1 ? 'was' : 'were'} lost. Up to ${inFlight} ${r.maxHandlersInFlight === 1 ? 'was' : 'were'} inside the server at once; each read the counter, awaited ${formatMs(delayMs)}, then wrote read+1, so increments that overlapped read the same value and each wrote the same result over the others.`,
      );
    } else if (r.lostUpdates === 0) {
      // The variant's summary is a phrase of its own (some start with a verb, some with SQL): it follows a label,
      // never a conjunction.
      const how = r.variant === 'mutex' ? 'The mutex let only one read-wait-write run at a time.' : `How ${r.variant} updates: ${r.summary}.`;
      lines.push(
        r.maxHandlersInFlight > 1
          ? `${head} No update was lost, with up to ${inFlight} inside the server at once. ${how}`
          : `${head} No update was lost: no two increments were inside the server at once, so none could overwrite another.`,
      );
    } else {
      lines.push(`${head} The counter is ${-r.lostUpdates} above the acknowledged count: calls whose outcome was unknown (${r.unknown}) took effect.`);
    }
  }
  for (const r of report.runs) {
    if (!r.monitor) continue;
    const m = r.monitor.suspectedLostUpdates;
    const agree = m === r.lostUpdates ? 'the same number' : Math.abs(m - r.lostUpdates) <= r.unknown ? `within the ${r.unknown} calls whose outcome is unknown` : `${Math.abs(m - r.lostUpdates)} ${m > r.lostUpdates ? 'more' : 'fewer'}`;
    lines.push(
      m > 0
        ? `${r.variant}: the race monitor, watching only which version of the counter each request read and whether it wrote, flagged ${plural(m, 'suspected lost update')} (two requests that read the same version and both wrote it) against ${r.lostUpdates} measured: ${agree}.`
        : `${r.variant}: the race monitor flagged no suspected lost update in ${plural(r.monitor.requests, 'request')}${r.lostUpdates === 0 ? '' : `, though ${plural(r.lostUpdates, 'update')} ${r.lostUpdates === 1 ? 'was' : 'were'} measured lost (it sees only reads and writes through racelab's Store)`}.`,
    );
  }
  const vuln = report.runs.find((r) => r.variant === 'vulnerable');
  const mutex = report.runs.find((r) => r.variant === 'mutex');
  if (vuln && mutex) {
    const vulnWaves = vuln.completionWaveMedian;
    const mutexWaves = mutex.completionWaveMedian;
    // Spacing, not the quiet gap: "apart" is measured from one wave's first answer to the next wave's first answer.
    const waves = (r: GrpcDemoRun): string =>
      r.completionWaveSpacingMedianMs > 0 ? `in waves of ${r.completionWaveMedian} (median), one wave's first answer about ${formatMs(r.completionWaveSpacingMedianMs)} (median) after the previous one's` : `in one wave of ${r.completionWaveMedian}`;
    const observed = `Measured here, the vulnerable server answered ${waves(vuln)}, and the mutex server ${waves(mutex)}`;
    const verdict =
      vulnWaves > mutexWaves
        ? 'the other way round: the unsynchronized handlers overlap and finish together, while the lock releases callers one by one'
        : 'no clear difference in this run';
    const times = `${formatMs(mutex.wallMs)} for the mutex run against ${formatMs(vuln.wallMs)} for the vulnerable one (p99 latency ${formatMs(mutex.latencyP99Ms)} against ${formatMs(vuln.latencyP99Ms)})`;
    const cost = mutex.wallMs > vuln.wallMs ? `Serializing cost time: ${times}.` : `Serializing cost no wall time in this run: ${times}.`;
    lines.push(`The seed says a vulnerable server "returns responses one by one" and a fixed one "all at once". ${observed}: ${verdict}. ${cost}`);
  }
  return lines;
}

export async function runGrpcDemo(options: GrpcDemoOptions = {}): Promise<GrpcDemoReport> {
  const o = {
    clients: options.clients ?? 4,
    increments: options.increments ?? 10,
    delayMs: options.delayMs ?? 100,
    maxConcurrency: options.maxConcurrency ?? 10,
  };
  const variants = options.variants ?? ['vulnerable', 'mutex'];
  const store = resolveStore(options.store);
  // Fail on an unknown name, or a variant the store cannot run, before starting anything.
  for (const v of variants) checkVariantStore(v, store?.url);
  // Each variant adds a namespace of its own to the URL; an unreachable store is reported at the URL as given.
  if (store) await probeStore(store);
  const progress = options.onProgress ?? (() => {});
  const runs: GrpcDemoRun[] = [];
  const logger = typeof options.monitor === 'object' ? options.monitor.logger : undefined;
  let interrupted: Interrupted | undefined;
  for (const v of variants) {
    const keep = options.keepCalls ? { keepRequests: o.clients * o.increments + 16 } : {};
    const monitor = options.monitor || options.keepCalls ? raceMonitor({ ...keep, ...(logger && options.monitor ? { logger, name: `demo grpc ${v}` } : {}) }) : undefined;
    let run: GrpcDemoRun;
    try {
      if (options.signal?.aborted) throw new AbortedRun('interrupted');
      run = await unlessAborted(
        runVariant(v, o, store, progress, options.record !== undefined ? historyFileFor(options.record, v, variants.length > 1) : undefined, monitor, options.keepCalls, !!options.monitor),
        options.signal,
      );
    } catch (e) {
      if (!(e instanceof AbortedRun)) throw e;
      interrupted = { ran: runs.length, planned: variants.length };
      break;
    }
    // A monitor attached only to draw the timeline does not speak in the report.
    if (!options.monitor) delete run.monitor;
    runs.push(run);
  }
  const partial = { kind: 'grpc-demo' as const, settings: { ...o, store: store ? describeSource(store) : 'memory' }, runs };
  return { ...partial, explanation: explainGrpcDemo(partial), ...(interrupted ? { interrupted } : {}) };
}

