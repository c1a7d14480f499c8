import protobuf from 'protobufjs';
import { T, toCel, type InvariantType } from './expression.js';
import type { MethodSchema } from '../grpc/schema.js';

const INT = new Set(['int32', 'int64', 'sint32', 'sint64', 'sfixed32', 'sfixed64']);
const UINT = new Set(['uint32', 'uint64', 'fixed32', 'fixed64']);

function scalarType(name: string): InvariantType {
  if (INT.has(name)) return T.int;
  if (UINT.has(name)) return T.uint;
  if (name === 'double' || name === 'float') return T.double;
  if (name === 'bool') return T.bool;
  if (name === 'bytes') return T.bytes;
  return T.string;
}

/** A protobuf message type as the invariant sees it: its fields by their proto names, with CEL types. */
export function messageType(type: protobuf.Type, seen = new Map<protobuf.Type, InvariantType>()): InvariantType {
  const known = seen.get(type);
  if (known) return known;
  const fields: Record<string, InvariantType> = {};
  const t: InvariantType = { kind: 'message', name: type.fullName.replace(/^\./, ''), fields };
  seen.set(type, t);
  for (const f of type.fieldsArray) {
    f.resolve();
    const rt = f.resolvedType;
    const value = rt instanceof protobuf.Type ? messageType(rt, seen) : rt instanceof protobuf.Enum ? T.string : scalarType(f.type);
    fields[f.name] = f instanceof protobuf.MapField ? T.map(scalarType(f.keyType), value) : f.repeated ? T.list(value) : value;
  }
  return t;
}

const TALLY = ['ok', 'failed', 'unknown', 'count'] as const;

/** What an invariant of `racelab attack` can name, typed from the target's methods. */
export interface AttackInvariantTypes {
  /** The `before` and `after` reads' response methods, when the run has them. */
  readonly before?: MethodSchema;
  readonly after?: MethodSchema;
  /** The burst's methods, by their short names. */
  readonly methods: ReadonlyMap<string, MethodSchema>;
}

/** The variables of an attack invariant, and how the round's plain scope becomes their CEL values. */
export function attackInvariantEnv(a: AttackInvariantTypes): { vars: Record<string, InvariantType>; bind: (scope: Readonly<Record<string, unknown>>) => Record<string, unknown> } {
  const responseOf = new Map([...a.methods].map(([name, m]) => [name, messageType(m.responseType)]));
  const kinds = new Set([...a.methods.values()].map((m) => m.responseType.fullName));
  const response = kinds.size === 1 ? ([...responseOf.values()][0] as InvariantType) : T.dyn;
  const read = (which: 'before' | 'after'): InvariantType => {
    const m = a[which];
    return m ? messageType(m.responseType) : { kind: 'absent', why: `${which} needs a \`${which}\` call; add \`${which}\` Service/Method` };
  };
  const result: InvariantType = {
    kind: 'message',
    name: 'result',
    fields: { index: T.int, method: T.string, client: T.int, code: T.int, status: T.string, ok: T.bool, response, latencyMs: T.double },
  };
  const tally = (r: InvariantType): InvariantType => ({ kind: 'message', name: 'tally', fields: { ok: T.int, failed: T.int, unknown: T.int, count: T.int, responses: T.list(r) } });
  const methodNames = [...a.methods.keys()];
  const by: InvariantType = {
    kind: 'message',
    name: 'by',
    fields: Object.fromEntries(methodNames.map((n) => [n, tally(responseOf.get(n) as InvariantType)])),
    unknownField: (f) => `no burst calls ${f}; by. takes ${methodNames.join(', ')}`,
  };
  const vars: Record<string, InvariantType> = {
    before: read('before'),
    after: read('after'),
    ok: T.int,
    failed: T.int,
    unknown: T.int,
    count: T.int,
    round: T.int,
    results: T.list(result),
    responses: T.list(response),
    by,
  };
  const bind = (scope: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const typeOf = (method: unknown): InvariantType => responseOf.get(String(method)) ?? T.dyn;
    const results = ((scope.results ?? []) as Array<Record<string, unknown>>).map((r): Record<string, unknown> => ({
      ...(toCel(r, result) as Record<string, unknown>),
      response: toCel(r.response, typeOf(r.method)),
    }));
    const byIn = (scope.by ?? {}) as Record<string, Record<string, unknown>>;
    const out: Record<string, unknown> = {
      results,
      // The ok calls' responses, in call order, each by its own method's type.
      responses: results.filter((r) => r.ok === true).map((r) => r.response),
      by: Object.fromEntries(
        Object.entries(byIn).map(([name, t]) => [name, { ...Object.fromEntries(TALLY.map((k) => [k, toCel(t[k], T.int)])), responses: ((t.responses ?? []) as unknown[]).map((x) => toCel(x, typeOf(name))) }]),
      ),
    };
    for (const k of ['ok', 'failed', 'unknown', 'count', 'round'] as const) out[k] = toCel(scope[k] ?? 0, T.int);
    for (const k of ['before', 'after'] as const) if (scope[k] !== undefined && vars[k]?.kind !== 'absent') out[k] = toCel(scope[k], vars[k] as InvariantType);
    return out;
  };
  return { vars, bind };
}
