import { writeFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../../core/errors.js';
import { formatMs } from '../../core/units.js';
import { Random } from '../../core/random.js';
import { isUnknownOutcome, statusName, type CallOutcome } from '../../burst/call.js';
import { createSyncPolicy } from '../../burst/create-policy.js';
import { equalitySides, memberChains, parseExpression, type Expression } from '../../burst/expression.js';
import { runFlood, MAX_FLOOD_DURATION_MS, MAX_FLOOD_IN_FLIGHT, MAX_FLOOD_RATE, type FloodResult } from '../../burst/flood.js';
import { connectChannel, openChannel, sendUnary } from '../../burst/grpc-call.js';
import { buildBurst, validateEndpoints, type Endpoint } from '../../burst/plan.js';
import { applyTemplate, templatePlaceholders } from '../../burst/template.js';
import {
  latencyReport,
  sendSpread,
  serverSpread,
  statusDistribution,
  summarizeSpreads,
  type BurstSpread,
  type LatencyReport,
  type SpreadSummary,
  type StatusCount,
} from '../../burst/stats.js';
import type { BurstTransport, ReleaseWrites, SyncMode } from '../../burst/sync-policy.js';
import { decodeMessage, encodeJsonMessage } from '../../grpc/json-message.js';
import { loadSchemaByReflection } from '../../grpc/reflection-client.js';
import { findMethod, loadSchemaFromProto, type MethodSchema, type ServiceSchema } from '../../grpc/schema.js';
import { channelCredentials, channelOptions, loadTlsMaterial, parseMetadata, probeTarget, toGrpcMetadata, type TlsFiles } from '../../grpc/transport.js';
import { parseTarget } from '../../grpc/client.js';
import type { HistoryEvent } from '../../history/event.js';
import { attackScenario, type AttackScenario } from './builtins.js';
import { HistoryLog } from './record.js';

/** Defaults and hard caps: the attack is bounded by design. */
export const ATTACK_LIMITS = {
  defaultCount: 20,
  maxCallsPerBurst: 1000,
  defaultRounds: 5,
  maxRounds: 1000,
  defaultPauseMs: 100,
  maxPauseMs: 60_000,
  defaultDeadlineMs: 10_000,
  maxDeadlineMs: 300_000,
  defaultFloodDurationMs: 5_000,
  maxFloodDurationMs: MAX_FLOOD_DURATION_MS,
  maxFloodRate: MAX_FLOOD_RATE,
  maxFloodInFlight: MAX_FLOOD_IN_FLIGHT,
} as const;

export interface AttackEndpointOptions {
  /** `pkg.Service/Method` (also `/pkg.Service/Method`, `.Counter/Increment`, or a bare method name). */
  readonly method: string;
  /** Calls of this method per burst; `count` when absent. */
  readonly count?: number;
  /** Offset inside the burst, ms (fractions allowed). */
  readonly offsetMs?: number;
  /** Request JSON (placeholders allowed); `{}` when absent. */
  readonly data?: unknown;
  /** How the data was given, for error messages. */
  readonly dataSource?: string;
}

export interface AttackCheckCall {
  readonly method: string;
  readonly data?: unknown;
}

export interface FloodSettings {
  /** Calls per second, or `max` (a throughput run: `concurrency` calls kept in flight). */
  readonly rate: number | 'max';
  readonly durationMs: number;
  readonly concurrency?: number;
}

export interface AttackOptions {
  /** `host:port`. */
  readonly target: string;
  /** .proto files; server reflection when absent. */
  readonly proto?: readonly string[];
  readonly importPaths?: readonly string[];
  readonly endpoints?: readonly AttackEndpointOptions[];
  /** Calls per burst for an endpoint without its own count. */
  readonly count?: number;
  readonly sync?: SyncMode;
  readonly connections?: number;
  readonly processes?: number;
  /** Packet size last-frame's release should fit in (TCP MSS); 1460. */
  readonly mss?: number;
  readonly rounds?: number;
  readonly pauseMs?: number;
  /** Wait after a burst before the `after` read (for effects that land late). */
  readonly settleMs?: number;
  readonly before?: AttackCheckCall;
  readonly after?: AttackCheckCall;
  readonly invariant?: string;
  readonly scenario?: string;
  /** `key: value` strings. */
  readonly metadata?: readonly string[];
  /** TLS settings; plaintext when absent. */
  readonly tls?: TlsFiles;
  readonly deadlineMs?: number;
  readonly connectTimeoutMs?: number;
  /** Path of a JSON Lines history to write (invoke/ok/fail/info per call). */
  readonly record?: string;
  readonly seed?: number;
  readonly flood?: FloodSettings;
  readonly onProgress?: (line: string) => void;
}

export type RoundVerdict = 'race' | 'ok' | 'unknown' | 'unchecked';
export type AttackVerdict = 'race' | 'no-race' | 'unknown' | 'unchecked';

export interface RoundReport {
  readonly round: number;
  readonly verdict: RoundVerdict;
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  /** For an invariant `observed == expected`: its two sides. */
  readonly observed?: number;
  readonly expected?: number;
  /** Effects the invariant expected but the state does not show (expected − observed), and the other way. */
  readonly lost: number;
  readonly extra: number;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly sendSpread?: BurstSpread;
  readonly serverSpread?: BurstSpread;
  readonly release?: ReleaseWrites;
  readonly wallMs: number;
}

export interface AttackReport {
  readonly kind: 'attack';
  readonly target: string;
  readonly schemaSource: string;
  readonly sync: SyncMode;
  /** Connections or processes a burst was spread over. */
  readonly clients: number;
  readonly seed: number;
  readonly endpoints: ReadonlyArray<{ readonly method: string; readonly count: number; readonly offsetMicros: number }>;
  readonly callsPerBurst: number;
  readonly roundsRequested: number;
  readonly roundsRun: number;
  readonly pauseMs: number;
  readonly scenario?: string;
  readonly invariant?: string;
  readonly verdict: AttackVerdict;
  /** Rounds with a race over rounds checked. */
  readonly detectionRate?: number;
  readonly racesFound: number;
  readonly rounds: RoundReport[];
  readonly sendSpread?: SpreadSummary;
  readonly serverSpread?: SpreadSummary;
  readonly latency?: LatencyReport;
  readonly statusCodes: StatusCount[];
  readonly totals: { calls: number; ok: number; failed: number; unknown: number; lost: number; extra: number };
  readonly flood?: {
    readonly rate: number | 'max';
    readonly durationMs: number;
    readonly concurrency: number;
    readonly sent: number;
    readonly completed: number;
    readonly skipped: number;
    readonly callsPerSecond: number;
  };
  readonly record?: { readonly path: string; readonly events: number; readonly format: string; readonly model?: string };
  readonly warnings: string[];
  readonly wallMs: number;
}

const shortName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `1 connection`, `16 processes`. */
export function clientsWord(sync: SyncMode, n: number): string {
  const word = sync === 'processes' ? 'process' : 'connection';
  return `${n} ${word}${n === 1 ? '' : sync === 'processes' ? 'es' : 's'}`;
}

const formatMicros = (us: number): string => (us >= 1000 ? formatMs(us / 1000) : `${Math.round(us)}µs`);

interface Resolved {
  readonly transport: BurstTransport;
  readonly schema: ServiceSchema;
  readonly endpoints: Endpoint[];
  readonly before?: { method: MethodSchema; data: unknown };
  readonly after?: { method: MethodSchema; data: unknown };
  readonly invariant?: Expression;
  readonly scenario?: AttackScenario;
}

function checkRange(n: number | undefined, what: string, min: number, max: number): void {
  if (n !== undefined && (!Number.isFinite(n) || n < min || n > max)) {
    throw new RacelabError('BAD_COUNT', `${what}: ${n} must be from ${min} to ${max}`);
  }
}

/** Names the invariant uses must exist: variables, response fields, method names. Checked before any call. */
function checkInvariantNames(expr: Expression, r: Omit<Resolved, 'invariant'>): void {
  const methods = new Set(r.endpoints.map((e) => e.method.name));
  const roots = ['before', 'after', 'ok', 'failed', 'unknown', 'count', 'round', 'results', 'responses', 'by'];
  for (const { path, text } of memberChains(expr)) {
    const [root, ...rest] = path;
    if (!root || !roots.includes(root)) {
      throw new RacelabError('BAD_OPTION', `--invariant: "${root}" is not defined; use ${roots.join(', ')}`);
    }
    if (root === 'before' || root === 'after') {
      const check = root === 'before' ? r.before : r.after;
      if (!check) throw new RacelabError('BAD_OPTION', `--invariant uses ${root}, but there is no --${root} call; add --${root} Service/Method`);
      let type = check.method.responseType;
      for (const field of rest) {
        const f = type.fields[field] ?? type.fieldsArray.find((x) => x.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) === field);
        if (!f) {
          throw new RacelabError('BAD_OPTION', `--invariant: ${text}: ${type.fullName.replace(/^\./, '')} has no field ${field}; it has ${type.fieldsArray.map((x) => x.name).join(', ') || 'no fields'}`);
        }
        f.resolve();
        const next = f.resolvedType;
        if (!next || !('fieldsArray' in next) || f.repeated || f.map) break;
        type = next;
      }
    }
    if (root === 'by' && rest[0] !== undefined && !methods.has(rest[0])) {
      throw new RacelabError('BAD_OPTION', `--invariant: ${text}: no burst calls ${rest[0]}; by. takes ${[...methods].join(', ')}`);
    }
    if (root === 'by' && rest[1] !== undefined && !['ok', 'failed', 'unknown', 'count', 'responses'].includes(rest[1])) {
      throw new RacelabError('BAD_OPTION', `--invariant: ${text}: by.${rest[0]} has ok, failed, unknown, count, responses`);
    }
  }
}

async function resolve(o: AttackOptions, warnings: string[]): Promise<Resolved> {
  const target = parseTarget(o.target);
  const scenario = o.scenario ? attackScenario(o.scenario) : undefined;
  const invariantText = o.invariant ?? scenario?.invariant;
  // Parse the invariant first: a typo should not cost a connection.
  const parsed = invariantText ? parseExpression(invariantText) : undefined;
  const endpointsIn: AttackEndpointOptions[] = o.endpoints?.length ? [...o.endpoints] : (scenario?.calls.map((method) => ({ method })) ?? []);
  if (endpointsIn.length === 0) throw new RacelabError('BAD_OPTION', '--call: say which method to burst, e.g. --call Counter/Increment (or --scenario counter)');
  const count = o.count ?? ATTACK_LIMITS.defaultCount;
  checkRange(count, '--count', 1, ATTACK_LIMITS.maxCallsPerBurst);
  const total = endpointsIn.reduce((s, e) => s + (e.count ?? count), 0);
  if (total > ATTACK_LIMITS.maxCallsPerBurst) {
    throw new RacelabError('BAD_COUNT', `--count: a burst of ${total} calls is more than the ${ATTACK_LIMITS.maxCallsPerBurst} allowed; lower --count or the per-call counts`);
  }
  const tls = o.tls ? loadTlsMaterial(o.tls) : undefined;
  const metadata = parseMetadata(o.metadata ?? []);
  const deadlineMs = o.deadlineMs ?? ATTACK_LIMITS.defaultDeadlineMs;
  checkRange(deadlineMs, '--deadline', 1, ATTACK_LIMITS.maxDeadlineMs);
  const transport: BurstTransport = { target, ...(tls ? { tls } : {}), metadata, deadlineMs, connectTimeoutMs: o.connectTimeoutMs ?? 5000 };

  const bind = (schema: ServiceSchema): Omit<Resolved, 'invariant'> => {
    const endpoints: Endpoint[] = endpointsIn.map((e, i) => {
      const method = findMethod(schema, e.method);
      const n = e.count ?? count;
      checkRange(n, `--call ${e.method}`, 1, ATTACK_LIMITS.maxCallsPerBurst);
      checkRange(e.offsetMs, `--call ${e.method} offset`, 0, 60_000);
      return {
        method,
        count: n,
        offsetMicros: Math.round((e.offsetMs ?? 0) * 1000),
        data: e.data ?? {},
        dataSource: e.dataSource ?? (endpointsIn.length > 1 ? `--data for ${method.name} (call ${i + 1})` : '--data'),
      };
    });
    validateEndpoints(endpoints);
    const checkCall = (c: AttackCheckCall | undefined, fallback: string | undefined, what: string): { method: MethodSchema; data: unknown } | undefined => {
      const spec = c?.method ?? fallback;
      if (!spec) return undefined;
      const method = findMethod(schema, spec, what);
      const data = c?.data ?? {};
      encodeJsonMessage(method.requestType, data, `${what}-data`);
      return { method, data };
    };
    const before = checkCall(o.before, scenario?.before, '--before');
    const after = checkCall(o.after, scenario?.after, '--after');
    const base = { transport, schema, endpoints, ...(before ? { before } : {}), ...(after ? { after } : {}), ...(scenario ? { scenario } : {}) };
    if (parsed) checkInvariantNames(parsed, base);
    return base;
  };

  // With a .proto, everything about the input is checked before the first packet; reflection needs the server.
  const offline = o.proto?.length ? bind(loadSchemaFromProto(o.proto, o.importPaths ?? [])) : undefined;
  await probeTarget(transport, transport.connectTimeoutMs);
  let base = offline;
  if (!base) {
    const wantedServices = [...endpointsIn.map((e) => e.method), ...(o.before ? [o.before.method] : scenario?.before ? [scenario.before] : []), ...(o.after ? [o.after.method] : scenario?.after ? [scenario.after] : [])]
      .map((m) => m.replace(/^\//, ''))
      .map((m) => (m.includes('/') ? m.slice(0, m.lastIndexOf('/')) : m.includes('.') ? m.slice(0, m.lastIndexOf('.')) : undefined));
    base = bind(
      await loadSchemaByReflection(target, {
        credentials: channelCredentials(transport),
        channelOptions: channelOptions(transport),
        metadata: toGrpcMetadata(metadata),
        timeoutMs: Math.max(transport.connectTimeoutMs, 5000),
        ...(wantedServices.every((x) => x !== undefined) ? { services: wantedServices as string[] } : {}),
      }),
    );
  }
  if (!parsed) warnings.push('no invariant: this run measures the burst but cannot find a race; add --invariant "..." or --scenario counter');
  return { ...base, ...(parsed ? { invariant: parsed } : {}) };
}

/** A channel of its own for the before/after reads, so they never share a connection with the burst. */
class CheckChannel {
  private client: grpc.Client | undefined;
  constructor(private readonly transport: BurstTransport) {}
  async read(check: { method: MethodSchema; data: unknown }, what: string): Promise<{ value: Record<string, unknown>; outcome: CallOutcome }> {
    if (!this.client) {
      this.client = openChannel(this.transport, true);
      await connectChannel(this.client, this.transport).catch((e: unknown) => {
        throw new RacelabError('UNREACHABLE', `${what}: could not connect to ${this.transport.target} (${messageOf(e)})`);
      });
    }
    const request = encodeJsonMessage(check.method.requestType, check.data, `${what} data`);
    const outcome = await sendUnary(this.client, { index: -1, client: -1, path: check.method.path, request, offsetMicros: 0 }, this.transport);
    if (outcome.code !== 0 || !outcome.response) {
      throw new RacelabError(outcome.code === 14 ? 'UNREACHABLE' : 'BAD_OPTION', `${what}: ${check.method.path} failed with ${statusName(outcome.code)}: ${outcome.details}`);
    }
    return { value: decodeMessage(check.method.responseType, outcome.response), outcome };
  }
  close(): void {
    this.client?.close();
  }
}

interface ScopeInput {
  round: number;
  before?: unknown;
  after?: unknown;
  outcomes: readonly CallOutcome[];
  endpointOf: readonly Endpoint[];
  decoded: ReadonlyArray<unknown>;
}

function invariantScope(s: ScopeInput): Record<string, unknown> {
  const results = s.outcomes.map((o) => ({
    index: o.index,
    method: shortName(o.path),
    client: o.client,
    code: o.code,
    status: statusName(o.code),
    ok: o.code === 0,
    response: s.decoded[o.index] ?? null,
    latencyMs: (o.doneMicros - o.sentMicros) / 1000,
  }));
  const tally = (list: typeof results): { ok: number; failed: number; unknown: number; count: number; responses: unknown[] } => ({
    ok: list.filter((r) => r.ok).length,
    failed: list.filter((r) => !r.ok && !isUnknownOutcome(r.code)).length,
    unknown: list.filter((r) => isUnknownOutcome(r.code)).length,
    count: list.length,
    responses: list.filter((r) => r.ok).map((r) => r.response),
  });
  const all = tally(results);
  const by: Record<string, unknown> = {};
  for (const name of new Set(results.map((r) => r.method))) by[name] = tally(results.filter((r) => r.method === name));
  return {
    before: s.before,
    after: s.after,
    ok: all.ok,
    failed: all.failed,
    unknown: all.unknown,
    count: all.count,
    round: s.round,
    results,
    responses: all.responses,
    by,
  };
}

function judge(expr: Expression | undefined, scope: Record<string, unknown>): Pick<RoundReport, 'verdict' | 'observed' | 'expected' | 'lost' | 'extra'> {
  if (!expr) return { verdict: 'unchecked', lost: 0, extra: 0 };
  const value = expr.evaluate(scope);
  if (typeof value !== 'boolean') {
    throw new RacelabError('BAD_OPTION', `--invariant: must be true or false, but "${expr.source}" gave ${JSON.stringify(value)}; write a comparison such as "after.value - before.value == ok"`);
  }
  const sides = equalitySides(expr, scope);
  const lost = sides ? Math.max(0, sides.expected - sides.observed) : 0;
  const extra = sides ? Math.max(0, sides.observed - sides.expected) : 0;
  const unknown = scope.unknown as number;
  let verdict: RoundVerdict = value ? 'ok' : 'race';
  // A call whose outcome is unknown may have taken effect: extra effects it can explain are not a race.
  if (!value && unknown > 0 && (!sides || (lost === 0 && extra <= unknown))) verdict = 'unknown';
  return { verdict, lost, extra, ...(sides ? { observed: sides.observed, expected: sides.expected } : {}) };
}

function overallVerdict(rounds: readonly RoundReport[]): AttackVerdict {
  if (rounds.some((r) => r.verdict === 'race')) return 'race';
  if (rounds.some((r) => r.verdict === 'unknown')) return 'unknown';
  if (rounds.length > 0 && rounds.every((r) => r.verdict === 'ok')) return 'no-race';
  return 'unchecked';
}

/**
 * `racelab attack`: resolves the target's types (a .proto or server reflection), checks every input before
 * connecting, then runs `rounds` bursts with the chosen synchronization, reading the state before and after
 * each and judging the invariant. Every number in the report was measured in this run.
 */
export async function runAttack(o: AttackOptions): Promise<AttackReport> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const progress = o.onProgress ?? (() => {});
  const sync = o.sync ?? 'last-frame';
  const rounds = o.flood ? 1 : (o.rounds ?? ATTACK_LIMITS.defaultRounds);
  checkRange(rounds, '--rounds', 1, ATTACK_LIMITS.maxRounds);
  const pauseMs = o.pauseMs ?? ATTACK_LIMITS.defaultPauseMs;
  checkRange(pauseMs, '--pause', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.settleMs, '--settle', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.mss, '--mss', 20, 65_535);
  if (o.flood) {
    if (o.flood.rate !== 'max') checkRange(o.flood.rate, '--rate', 1, ATTACK_LIMITS.maxFloodRate);
    checkRange(o.flood.durationMs, '--duration', 1, ATTACK_LIMITS.maxFloodDurationMs);
    checkRange(o.flood.concurrency, '--concurrency', 1, ATTACK_LIMITS.maxFloodInFlight);
    if (sync !== 'parallel' && sync !== 'connections') {
      throw new RacelabError('BAD_OPTION', `--flood: runs over one channel (--sync parallel) or several (--sync connections), not --sync ${sync}`);
    }
  }
  const seed = o.seed ?? Random.freshSeed();
  const random = Random.seeded(seed);
  // A path that cannot be written is bad input now, not after the run.
  if (o.record) await writeFile(o.record, '').catch((e: unknown) => {
    throw new RacelabError('BAD_OPTION', `--record: cannot write ${o.record} (${messageOf(e)})`);
  });
  const r = await resolve(o, warnings);
  const history = o.record ? new HistoryLog(r.scenario) : undefined;
  const checks = new CheckChannel(r.transport);
  const roundReports: RoundReport[] = [];
  const allOutcomes: CallOutcome[] = [];
  const sendSpreads: Array<BurstSpread | undefined> = [];
  const serverSpreads: Array<BurstSpread | undefined> = [];
  let clients: number;
  let floodReport: AttackReport['flood'];
  const floodStatus: StatusCount[] = [];
  let floodLatencies: number[] | undefined;
  const callsPerBurst = r.endpoints.reduce((s, e) => s + e.count, 0);
  const read = async (which: 'before' | 'after', round: number): Promise<unknown> => {
    const check = r[which];
    if (!check) return undefined;
    const { value, outcome } = await checks.read(check, `--${which}`);
    history?.check(check.method, check.data, value, outcome, round);
    return value;
  };
  try {
    if (o.flood) {
      const flood = o.flood;
      const concurrency = flood.concurrency ?? (flood.rate === 'max' ? 100 : ATTACK_LIMITS.maxFloodInFlight);
      const connections = sync === 'connections' ? Math.min(o.connections ?? 10, 256) : 1;
      clients = connections;
      const before = await read('before', 0);
      progress(`flood: ${flood.rate === 'max' ? `as fast as ${concurrency} calls in flight allow` : `${flood.rate} calls/s`} for ${flood.durationMs}ms over ${connections === 1 ? '1 connection' : `${connections} connections`}`);
      const byMethod = new Map<string, { ok: number; failed: number; unknown: number; count: number; responses: unknown[] }>();
      const cycle = r.endpoints.flatMap((e) => Array.from({ length: e.count }, () => e));
      // Requests without placeholders are encoded once; templated ones per call.
      const fixed = new Map(r.endpoints.filter((e) => templatePlaceholders(e.data).size === 0).map((e) => [e, encodeJsonMessage(e.method.requestType, e.data, e.dataSource)]));
      const result: FloodResult = await runFlood({
        transport: r.transport,
        rate: flood.rate,
        durationMs: flood.durationMs,
        connections,
        concurrency,
        makeCall: (index, client) => {
          const e = cycle[index % cycle.length] as Endpoint;
          const request =
            fixed.get(e) ?? encodeJsonMessage(e.method.requestType, applyTemplate(e.data, { index, client, round: 0, uuid: () => random.uuid() }), e.dataSource);
          return { index, client, path: e.method.path, request, offsetMicros: 0 };
        },
        onOutcome: (out: CallOutcome) => {
          // Per-method tallies for `by.Method.*`; a flood keeps no responses (there may be millions).
          const t = byMethod.get(shortName(out.path)) ?? { ok: 0, failed: 0, unknown: 0, count: 0, responses: [] };
          t.count++;
          if (out.code === 0) t.ok++;
          else if (isUnknownOutcome(out.code)) t.unknown++;
          else t.failed++;
          byMethod.set(shortName(out.path), t);
          history?.call(out, null, undefined, 0);
        },
      });
      const after = await read('after', 0);
      const scope = { before, after, ok: result.ok, failed: result.failed, unknown: result.unknown, count: result.completed, round: 0, results: [], responses: [], by: Object.fromEntries(byMethod) };
      const verdict = judge(r.invariant, scope);
      roundReports.push({ round: 1, ...verdict, calls: result.completed, ok: result.ok, failed: result.failed, unknown: result.unknown, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}), wallMs: result.wallMs });
      floodReport = { rate: flood.rate, durationMs: flood.durationMs, concurrency, sent: result.sent, completed: result.completed, skipped: result.skipped, callsPerSecond: result.callsPerSecond };
      floodLatencies = result.latenciesMs;
      for (const [code, e] of [...result.outcomesByCode.entries()].sort((a, b) => a[0] - b[0])) {
        floodStatus.push({ code, name: statusName(code), count: e.count, ...(e.example ? { example: e.example } : {}) });
      }
      if (result.skipped > 0) warnings.push(`flood: ${result.skipped} calls fell due while ${concurrency} were in flight and were skipped (the server is slower than --rate)`);
    } else {
      const policy = createSyncPolicy({
        mode: sync,
        transport: r.transport,
        count: callsPerBurst,
        ...(o.connections !== undefined ? { connections: o.connections } : {}),
        ...(o.processes !== undefined ? { processes: o.processes } : {}),
        ...(o.mss !== undefined ? { mss: o.mss } : {}),
      });
      try {
        await policy.open();
        clients = policy.clients;
        progress(`attack: ${r.endpoints.map((e) => `${e.method.path} x${e.count}${e.offsetMicros ? ` +${e.offsetMicros / 1000}ms` : ''}`).join(', ')} on ${r.transport.target}, --sync ${sync} over ${clientsWord(sync, clients)}, ${rounds} round(s)`);
        for (let round = 1; round <= rounds; round++) {
          const rt0 = performance.now();
          const before = await read('before', round);
          const built = buildBurst(r.endpoints, (i) => policy.clientOf(i), round, random);
          const fired = await policy.fire(built.calls);
          for (const w of fired.warnings) if (!warnings.includes(w)) warnings.push(w);
          if (o.settleMs) await new Promise((res) => setTimeout(res, o.settleMs));
          const after = await read('after', round);
          const decoded = fired.outcomes.map(() => undefined as unknown);
          for (const out of fired.outcomes) {
            const e = built.endpointOf[out.index];
            if (out.response && e) decoded[out.index] = decodeMessage(e.method.responseType, out.response);
            history?.call(out, built.requests[out.index], decoded[out.index], round);
          }
          const scope = invariantScope({ round, before, after, outcomes: fired.outcomes, endpointOf: built.endpointOf, decoded });
          const verdict = judge(r.invariant, scope);
          const offsetOf = (i: number): number => built.calls[i]?.offsetMicros ?? 0;
          const ss = sendSpread(fired.outcomes, offsetOf);
          const sv = serverSpread(fired.outcomes, offsetOf);
          sendSpreads.push(ss);
          serverSpreads.push(sv);
          allOutcomes.push(...fired.outcomes);
          const report: RoundReport = {
            round,
            ...verdict,
            calls: fired.outcomes.length,
            ok: scope.ok as number,
            failed: scope.failed as number,
            unknown: scope.unknown as number,
            ...(before !== undefined ? { before } : {}),
            ...(after !== undefined ? { after } : {}),
            ...(ss ? { sendSpread: ss } : {}),
            ...(sv ? { serverSpread: sv } : {}),
            ...(fired.release ? { release: fired.release } : {}),
            wallMs: performance.now() - rt0,
          };
          roundReports.push(report);
          progress(
            `round ${round}/${rounds}: ${report.verdict}${report.lost ? `, lost ${report.lost}` : ''}${report.extra ? `, extra ${report.extra}` : ''}, ${report.ok}/${report.calls} ok${sv ? `, server start spread ${formatMicros(sv.rangeMicros)}` : ''}`,
          );
          if (round < rounds && pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
        }
      } finally {
        await policy.close();
      }
    }
  } finally {
    checks.close();
  }
  let record: AttackReport['record'];
  if (history && o.record) {
    const events: HistoryEvent[] = history.events();
    await history.write(o.record);
    record = { path: o.record, events: events.length, format: 'jsonl', ...(r.scenario?.model ? { model: r.scenario.model } : {}) };
  }
  const checked = roundReports.filter((x) => x.verdict !== 'unchecked');
  const racesFound = roundReports.filter((x) => x.verdict === 'race').length;
  const sendSummary = summarizeSpreads(sendSpreads);
  const serverSummary = summarizeSpreads(serverSpreads);
  const latency = latencyReport(floodLatencies ?? allOutcomes.map((x) => (x.doneMicros - x.sentMicros) / 1000));
  return {
    kind: 'attack',
    target: r.transport.target,
    schemaSource: r.schema.source,
    sync,
    clients,
    seed,
    endpoints: r.endpoints.map((e) => ({ method: e.method.path, count: e.count, offsetMicros: e.offsetMicros })),
    callsPerBurst,
    roundsRequested: rounds,
    roundsRun: roundReports.length,
    pauseMs,
    ...(r.scenario ? { scenario: r.scenario.name } : {}),
    ...(r.invariant ? { invariant: r.invariant.source } : {}),
    verdict: overallVerdict(roundReports),
    ...(checked.length > 0 ? { detectionRate: racesFound / checked.length } : {}),
    racesFound,
    rounds: roundReports,
    ...(sendSummary ? { sendSpread: sendSummary } : {}),
    ...(serverSummary ? { serverSpread: serverSummary } : {}),
    ...(latency ? { latency } : {}),
    statusCodes: floodLatencies ? floodStatus : statusDistribution(allOutcomes),
    totals: {
      calls: roundReports.reduce((s, x) => s + x.calls, 0),
      ok: roundReports.reduce((s, x) => s + x.ok, 0),
      failed: roundReports.reduce((s, x) => s + x.failed, 0),
      unknown: roundReports.reduce((s, x) => s + x.unknown, 0),
      lost: roundReports.reduce((s, x) => s + x.lost, 0),
      extra: roundReports.reduce((s, x) => s + x.extra, 0),
    },
    ...(floodReport ? { flood: floodReport } : {}),
    ...(record ? { record } : {}),
    warnings,
    wallMs: performance.now() - t0,
  };
}
