import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { applyTemplate } from '../../attack/template.js';
import { nowMicros } from '../../core/clock.js';
import { isUnknownOutcome } from '../../grpc/status.js';
import { REQUEST_ID_HEADER } from '../../monitor/interceptor.js';
import { RacelabError, messageOf } from '../../core/errors.js';
import { impactScenario } from './registry.js';
import type { ImpactMeasure } from './scenario.js';
import { loadScenarioProto } from './server.js';

export interface ScenarioBurstOptions {
  readonly scenario: string;
  /** One or more servers of the scenario (replicas sharing a store): call i goes to target i mod n. */
  readonly targets: readonly string[];
  /** Calls of each of the scenario's default methods; default 10. */
  readonly count?: number;
  /** Per-call deadline; default 30 s. */
  readonly deadlineMs?: number;
  /** Keep every call's times and status (`callLog`), for a report's timeline. */
  readonly keepCalls?: boolean;
}

/** One call of the burst as the client saw it. Times are monotonic µs (`nowMicros`, the race monitor's clock). */
export interface ScenarioBurstCall {
  readonly index: number;
  /** Method short name (`Withdraw`). */
  readonly method: string;
  /** Sent as `x-request-id`, so a race monitor on the server names the same request. */
  readonly requestId: string;
  readonly request: unknown;
  readonly sentMicros: number;
  readonly doneMicros: number;
  /** gRPC status code (0 = accepted). */
  readonly code: number;
}

export interface ScenarioBurstResult {
  readonly calls: number;
  /** Accepted calls, by method short name. */
  readonly accepted: Readonly<Record<string, number>>;
  /** Calls the service refused before acting (a business refusal, or a status that says so: grpc/status.ts). */
  readonly refused: number;
  /** Calls whose outcome nobody knows (deadline, connection lost). */
  readonly unknown: number;
  readonly before: unknown;
  readonly after: unknown;
  readonly impact: ImpactMeasure;
  readonly wallMs: number;
  /** Every call of the burst (with `keepCalls`). */
  readonly callLog?: readonly ScenarioBurstCall[];
}


type Unary = (request: unknown, options: grpc.CallOptions, callback: (e: grpc.ServiceError | null, r: unknown) => void) => void;

/**
 * Fires every default call of the scenario's attack at once over one channel per target, spread round-robin,
 * and judges the impact from the scenario's before and after reads. The host for replicas: calls to different
 * processes sharing a store, where an in-process lock no longer serializes them.
 */
export async function runScenarioBurst(o: ScenarioBurstOptions): Promise<ScenarioBurstResult> {
  const scenario = impactScenario(o.scenario);
  if (o.targets.length === 0) throw new RacelabError('BAD_OPTION', 'targets: give at least one server of the scenario');
  const count = o.count ?? 10;
  const deadlineMs = o.deadlineMs ?? 30_000;
  const proto = loadScenarioProto(scenario);
  const Client = scenario.service.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], proto.grpcObject) as grpc.ServiceClientConstructor;
  const clients = o.targets.map((t) => new Client(t, grpc.credentials.createInsecure()));
  // The attack's placeholders, filled as `racelab attack` fills them (one burst: round 0), in the reads too.
  const run = randomBytes(4).toString('hex');
  const call = (client: grpc.Client, method: string, request: unknown, requestId?: string): Promise<{ code: number; response?: unknown }> =>
    new Promise((resolve) => {
      const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
      const options = { deadline: Date.now() + deadlineMs };
      const done = (e: grpc.ServiceError | null, r: unknown): void => resolve(e ? { code: e.code } : { code: 0, response: r });
      if (requestId === undefined) fn.call(client, request, options, done);
      else {
        const metadata = new grpc.Metadata();
        metadata.set(REQUEST_ID_HEADER, requestId);
        (fn as unknown as (q: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: typeof done) => void).call(client, request, metadata, options, done);
      }
    });
  const read = async (spec: string | undefined, data: unknown): Promise<unknown> => {
    if (!spec) return undefined;
    const r = await call(clients[0] as grpc.Client, spec.slice(spec.lastIndexOf('/') + 1), applyTemplate(data ?? {}, { index: 0, client: 0, round: 0, uuid: () => randomUUID(), run }));
    if (r.code !== 0) throw new RacelabError('UNREACHABLE', `${spec} failed with status ${grpc.status[r.code] ?? r.code} on ${o.targets[0]}`);
    return r.response;
  };
  const t0 = performance.now();
  try {
    // What the burst acts on, opened fresh as the attack's rounds open it (a coupon code issued for this burst).
    await read(scenario.attack.setup?.method, scenario.attack.setup?.data);
    const before = await read(scenario.attack.before, scenario.attack.checkData);
    let index = 0;
    const plan = scenario.attack.calls.flatMap((spec) =>
      Array.from({ length: count }, () => {
        const i = index++;
        return { method: spec.slice(spec.lastIndexOf('/') + 1), data: applyTemplate(scenario.attack.callData?.[spec] ?? {}, { index: i, client: i % clients.length, round: 0, uuid: () => randomUUID(), run }) };
      }),
    );
    const outcomes = await Promise.all(
      plan.map((p, i) => {
        const requestId = `b${process.pid}-${i}`;
        const sentMicros = nowMicros();
        return call(clients[i % clients.length] as grpc.Client, p.method, p.data, requestId).then((r) => ({ ...r, method: p.method, requestId, sentMicros, doneMicros: nowMicros() }));
      }),
    );
    const after = await read(scenario.attack.after, scenario.attack.checkData);
    const accepted: Record<string, number> = {};
    for (const x of outcomes) if (x.code === 0) accepted[x.method] = (accepted[x.method] ?? 0) + 1;
    // One rule for every command (grpc/status.ts), with the codes this scenario's own service answers only for a refused call.
    const refusals = new Set(scenario.attack.refusals ?? []);
    const unknown = (code: number): boolean => code !== 0 && isUnknownOutcome(code) && !refusals.has(code);
    return {
      calls: plan.length,
      accepted,
      refused: outcomes.filter((x) => x.code !== 0 && !unknown(x.code)).length,
      unknown: outcomes.filter((x) => unknown(x.code)).length,
      before,
      after,
      impact: scenario.impact(before, after, accepted),
      wallMs: performance.now() - t0,
      ...(o.keepCalls ? { callLog: outcomes.map((x, i) => ({ index: i, method: x.method, requestId: x.requestId, request: plan[i]?.data, sentMicros: x.sentMicros, doneMicros: x.doneMicros, code: x.code })) } : {}),
    };
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    throw new RacelabError('UNREACHABLE', `${scenario.name} burst: ${messageOf(e)}`);
  } finally {
    for (const c of clients) c.close();
  }
}
