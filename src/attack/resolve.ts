import { RacelabError } from '../core/errors.js';
import { parseExpression, T, type Expression, type InvariantType } from './expression.js';
import { attackInvariantEnv } from './invariant-env.js';
import { validateEndpoints, type Endpoint } from './plan.js';
import { applyTemplate, CHECK_VARS, templatePlaceholders } from './template.js';
import type { BurstTransport } from '../burst/sync-policy.js';
import { parseTarget } from '../grpc/client.js';
import { encodeJsonMessage } from '../grpc/json-message.js';
import { loadSchemaByReflection } from '../grpc/reflection-client.js';
import { findMethod, loadSchemaFromProto, type MethodSchema, type ServiceSchema } from '../grpc/schema.js';
import { channelCredentials, channelOptions, loadTlsMaterial, parseMetadata, probeTarget, toGrpcMetadata } from '../grpc/transport.js';
import { attackScenario, type AttackScenario } from './builtins.js';
import { ATTACK_LIMITS, type AttackCheckCall, type AttackEndpointOptions, type AttackOptions, type TargetOptions } from './report.js';

/** An attack's input, checked and bound to the target's types. */
export interface Resolved {
  readonly transport: BurstTransport;
  readonly schema: ServiceSchema;
  readonly endpoints: Endpoint[];
  /** `what` names it in errors: `setup`, or the scenario's setup call when the user gave none. */
  readonly setup?: { method: MethodSchema; data: unknown; what: string };
  readonly before?: { method: MethodSchema; data: unknown };
  readonly after?: { method: MethodSchema; data: unknown };
  readonly invariant?: Expression;
  readonly scenario?: AttackScenario;
}

/**
 * A number out of its range is bad input. `subject` names the parameter in the library's terms (`rounds`); the
 * CLI shows the flag instead (src/cli/errors.ts). A subject the CLI does not know is shown as given.
 */
export function checkRange(n: number | undefined, subject: string, min: number, max: number): void {
  if (n !== undefined && (!Number.isFinite(n) || n < min || n > max)) {
    throw new RacelabError('BAD_COUNT', `${n} must be from ${min} to ${max}`, { subject });
  }
}

/** The invariant checked against the target's types: variables, response fields, method names, operators. */
function compileInvariant(text: string, r: Omit<Resolved, 'invariant'>): Expression {
  const methods = new Map(r.endpoints.map((e) => [e.method.name, e.method]));
  const { vars, bind } = attackInvariantEnv({ methods, ...(r.before ? { before: r.before.method } : {}), ...(r.after ? { after: r.after.method } : {}) });
  return parseExpression(text, vars, 'invariant', bind);
}

/** Before the target's types are known: the syntax, the variable names and what does not need a field's type. */
const LOOSE_VARS: Record<string, InvariantType> = { before: T.dyn, after: T.dyn, ok: T.int, failed: T.int, unknown: T.int, count: T.int, round: T.int, results: T.list(T.dyn), responses: T.list(T.dyn), by: T.dyn };

/** The transport to a target, every input checked (the address, TLS files, metadata, the deadline). */
export function targetTransport(o: TargetOptions): BurstTransport {
  const target = parseTarget(o.target);
  const tls = o.tls ? loadTlsMaterial(o.tls) : undefined;
  const metadata = parseMetadata(o.metadata ?? []);
  const deadlineMs = o.deadlineMs ?? ATTACK_LIMITS.defaultDeadlineMs;
  checkRange(deadlineMs, 'deadline', 1, ATTACK_LIMITS.maxDeadlineMs);
  return { target, ...(tls ? { tls } : {}), metadata, deadlineMs, connectTimeoutMs: o.connectTimeoutMs ?? 5000 };
}

/** The service part of a method spelled `pkg.Svc/Method` or `pkg.Svc.Method`; undefined for a bare `Method`. */
export function serviceOf(method: string): string | undefined {
  const m = method.replace(/^\//, '');
  return m.includes('/') ? m.slice(0, m.lastIndexOf('/')) : m.includes('.') ? m.slice(0, m.lastIndexOf('.')) : undefined;
}

/** The target's types over server reflection (all its services, or only `services`). */
export function reflectSchema(transport: BurstTransport, services?: readonly string[]): Promise<ServiceSchema> {
  return loadSchemaByReflection(transport.target, {
    credentials: channelCredentials(transport),
    channelOptions: channelOptions(transport),
    metadata: toGrpcMetadata(transport.metadata),
    timeoutMs: Math.max(transport.connectTimeoutMs, 5000),
    ...(services ? { services } : {}),
  });
}

/**
 * Checks everything the user gave (counts, TLS files, metadata, the invariant's syntax and names, request JSON
 * against the message types) and binds it to the target's types: with --proto before any packet is sent, with
 * reflection after one probe and the reflection exchange.
 */
export async function resolveAttack(o: AttackOptions, warnings: string[]): Promise<Resolved> {
  parseTarget(o.target); // the address is checked first
  const scenario = o.scenario ? attackScenario(o.scenario) : undefined;
  const invariantText = o.invariant ?? scenario?.invariant;
  // Check the invariant first as far as it can be without the target's types: a typo should not cost a connection.
  if (invariantText) parseExpression(invariantText, LOOSE_VARS);
  const endpointsIn: AttackEndpointOptions[] = o.endpoints?.length ? [...o.endpoints] : (scenario?.calls.map((method) => ({ method, ...(scenario.callData?.[method] !== undefined ? { data: scenario.callData[method], dataSource: `\`scenario\` ${scenario.name}'s data for ${method}` } : {}) })) ?? []);
  if (endpointsIn.length === 0) throw new RacelabError('BAD_OPTION', 'say which method to burst, e.g. `call` Counter/Increment (or `scenario` counter)', { subject: 'call' });
  const count = o.count ?? ATTACK_LIMITS.defaultCount;
  checkRange(count, 'count', 1, ATTACK_LIMITS.maxCallsPerBurst);
  const total = endpointsIn.reduce((s, e) => s + (e.count ?? count), 0);
  if (total > ATTACK_LIMITS.maxCallsPerBurst) {
    throw new RacelabError('BAD_COUNT', `a burst of ${total} calls is more than the ${ATTACK_LIMITS.maxCallsPerBurst} allowed; lower \`count\` or the per-call counts`, { subject: 'count' });
  }
  const transport = targetTransport(o);

  let invariant: Expression | undefined;
  const bind = (schema: ServiceSchema): Omit<Resolved, 'invariant'> => {
    const endpoints: Endpoint[] = endpointsIn.map((e, i) => {
      const method = findMethod(schema, e.method, 'call');
      const n = e.count ?? count;
      checkRange(n, `\`call\` ${e.method}`, 1, ATTACK_LIMITS.maxCallsPerBurst);
      checkRange(e.offsetMs, `\`call\` ${e.method} offset`, 0, 60_000);
      return {
        method,
        count: n,
        offsetMicros: Math.round((e.offsetMs ?? 0) * 1000),
        data: e.data ?? {},
        dataSource: e.dataSource ?? (endpointsIn.length > 1 ? `\`data\` for ${method.name} (call ${i + 1})` : 'data'),
      };
    });
    validateEndpoints(endpoints);
    const checkCall = (c: AttackCheckCall | undefined, fallback: AttackCheckCall | undefined, what: string, dataWhat = `${what}.data`): { method: MethodSchema; data: unknown } | undefined => {
      const spec = c?.method ?? fallback?.method;
      if (!spec) return undefined;
      const method = findMethod(schema, spec, what);
      // A scenario's own call takes its own request (the coupon's Status names the code).
      const data = c?.data ?? (c ? {} : (fallback?.data ?? {}));
      // Placeholders as in the calls' data ({{run}}, {{round}}): a read names what that round's burst touched.
      templatePlaceholders(data, dataWhat);
      encodeJsonMessage(method.requestType, applyTemplate(data, CHECK_VARS), dataWhat);
      return { method, data };
    };
    const scenarioRead = (method: string | undefined): AttackCheckCall | undefined => (method ? { method, data: scenario?.checkData } : undefined);
    const setupWhat = o.setup || !scenario ? 'setup' : `\`scenario\` ${scenario.name}'s setup call`;
    const setupCall = checkCall(o.setup, scenario?.setup, setupWhat, o.setup ? 'setup.data' : setupWhat);
    const setup = setupCall ? { ...setupCall, what: setupWhat } : undefined;
    const before = checkCall(o.before, scenarioRead(scenario?.before), 'before');
    const after = checkCall(o.after, scenarioRead(scenario?.after), 'after');
    const base = { transport, schema, endpoints, ...(setup ? { setup } : {}), ...(before ? { before } : {}), ...(after ? { after } : {}), ...(scenario ? { scenario } : {}) };
    invariant = invariantText ? compileInvariant(invariantText, base) : undefined;
    return base;
  };

  // With a .proto, everything about the input is checked before the first packet; reflection needs the server.
  const offline = o.proto?.length ? bind(loadSchemaFromProto(o.proto, o.importPaths ?? [])) : undefined;
  await probeTarget(transport, transport.connectTimeoutMs);
  let base = offline;
  if (!base) {
    const setupMethod = o.setup?.method ?? scenario?.setup?.method;
    const wantedServices = [
      ...endpointsIn.map((e) => e.method),
      ...(setupMethod ? [setupMethod] : []),
      ...(o.before ? [o.before.method] : scenario?.before ? [scenario.before] : []),
      ...(o.after ? [o.after.method] : scenario?.after ? [scenario.after] : []),
    ].map(serviceOf);
    const schema = await reflectSchema(transport, wantedServices.every((x) => x !== undefined) ? (wantedServices as string[]) : undefined).catch((e: unknown) => {
      // The calls came from `scenario`, not from a `call` the user gave: say which option does not fit the target.
      const missing = scenario && !o.endpoints?.length && e instanceof RacelabError ? /^service (\S+) is not offered by (\S+); (it offers .*)$/.exec(e.detail) : null;
      if (missing) {
        throw new RacelabError('UNKNOWN_METHOD', `${missing[2]} does not offer ${missing[1]}; ${missing[3]}; point \`target\` at a ${scenario?.name} server, or name its methods with \`call\``, {
          subject: `\`scenario\` ${scenario?.name}`,
          cause: e,
        });
      }
      throw e;
    });
    base = bind(schema);
  }
  if (!invariant) warnings.push('no invariant: this run measures the burst but cannot find a race; add `invariant` "..." or `scenario` counter');
  return { ...base, ...(invariant ? { invariant } : {}) };
}
