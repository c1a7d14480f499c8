import { celEnv, celFunc, celUint, CelScalar, isCelError, isCelList, isCelMap, isCelUint, listType, parse, plan, unparse, type CelType as LibType } from '@bufbuild/cel';
import { RacelabError } from '../core/errors.js';

/**
 * Invariants are CEL (the Common Expression Language of protovalidate, Envoy and Kubernetes), parsed and
 * evaluated by Buf's `@bufbuild/cel`. `@bufbuild/cel` 0.6 ships no type checker for field access, operators or
 * macros, so the check below types the parsed AST against the declared variables (the response messages'
 * fields, with their protobuf types) and the library's own function overloads: an unknown name or field, an
 * operator applied to types no overload takes, a result that is not a bool, and a division by a literal 0 are
 * refused before any call is sent. What only the data can tell (a division by a count that is 0) fails at
 * evaluation, also as bad input. Integer fields are CEL `int` (`uint` for the unsigned kinds), so int64
 * compares as an integer; enums are their names (strings); bytes are bytes.
 */

/** The type of a value an invariant sees. `message` is a protobuf message (or racelab's own records). */
export type InvariantType =
  | { readonly kind: 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'dyn' }
  | { readonly kind: 'list'; readonly elem: InvariantType }
  | { readonly kind: 'map'; readonly key: InvariantType; readonly value: InvariantType }
  | {
      readonly kind: 'message';
      readonly name: string;
      readonly fields: Readonly<Record<string, InvariantType>>;
      /** The sentence for a field it does not have (default: "NAME has no field F; it has …"). */
      readonly unknownField?: (field: string) => string;
    }
  /** A variable that exists only with an option the run lacks (`before` without `--before`). */
  | { readonly kind: 'absent'; readonly why: string };

export const T = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  uint: { kind: 'uint' },
  double: { kind: 'double' },
  string: { kind: 'string' },
  bytes: { kind: 'bytes' },
  null: { kind: 'null' },
  dyn: { kind: 'dyn' },
  list: (elem: InvariantType): InvariantType => ({ kind: 'list', elem }),
  map: (key: InvariantType, value: InvariantType): InvariantType => ({ kind: 'map', key, value }),
} as const satisfies Record<string, InvariantType | ((...a: InvariantType[]) => InvariantType)>;

export function typeName(t: InvariantType): string {
  switch (t.kind) {
    case 'list':
      return `list(${typeName(t.elem)})`;
    case 'map':
      return `map(${typeName(t.key)}, ${typeName(t.value)})`;
    case 'message':
      return t.name;
    case 'absent':
      return 'dyn';
    default:
      return t.kind;
  }
}

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed['expr'];
type Scope = Readonly<Record<string, unknown>>;

/** `sum(list)`: the one function racelab adds, since CEL has no fold over a list (ints, uints or doubles). */
const sumFunc = celFunc('sum', [listType(CelScalar.DYN)], CelScalar.DYN, (list) => {
  let int = 0n;
  let dbl = 0;
  let kind: 'int' | 'uint' | 'double' | undefined;
  for (const x of list) {
    const k = typeof x === 'bigint' ? 'int' : isCelUint(x) ? 'uint' : typeof x === 'number' ? 'double' : undefined;
    if (!k || (kind && kind !== k)) throw new Error(`sum() takes a list of int, uint or double, not ${k ? `a mix of ${kind} and ${k}` : typeof x}`);
    kind = k;
    if (typeof x === 'bigint') int += x;
    else if (typeof x === 'number') dbl += x;
    else if (isCelUint(x)) int += x.value;
  }
  return kind === 'double' ? dbl : kind === 'uint' ? celUint(int) : int;
});

const env = celEnv({ funcs: [sumFunc] });

const OPERATORS: Record<string, string> = {
  '_+_': '+',
  '_-_': '-',
  '_*_': '*',
  '_/_': '/',
  '_%_': '%',
  '-_': '-',
  '!_': '!',
  '_==_': '==',
  '_!=_': '!=',
  '_<_': '<',
  '_<=_': '<=',
  '_>_': '>',
  '_>=_': '>=',
  '@in': 'in',
};
const NUMERIC = new Set(['int', 'uint', 'double']);

class Checker {
  private readonly positions: Record<string, number>;
  private readonly locals: Array<Map<string, InvariantType>> = [];
  constructor(
    private readonly parsed: Parsed,
    private readonly source: string,
    private readonly vars: Readonly<Record<string, InvariantType>>,
    private readonly what: string,
  ) {
    this.positions = (parsed.sourceInfo?.positions ?? {}) as Record<string, number>;
  }

  /** The column where a sub-expression starts (the smallest position in it), 1-based. */
  column(e: Expr): number {
    let min = Infinity;
    const visit = (x: Expr | undefined): void => {
      if (!x) return;
      const p = this.positions[String(x.id)];
      if (p !== undefined && p < min) min = p;
      const k = x.exprKind;
      if (k.case === 'selectExpr') visit(k.value.operand);
      else if (k.case === 'callExpr') {
        visit(k.value.target);
        k.value.args.forEach(visit);
      } else if (k.case === 'listExpr') k.value.elements.forEach(visit);
      else if (k.case === 'structExpr') k.value.entries.forEach((en) => (visit(en.keyKind.case === 'mapKey' ? en.keyKind.value : undefined), visit(en.value)));
      else if (k.case === 'comprehensionExpr') visit(k.value.iterRange);
    };
    visit(e);
    return (Number.isFinite(min) ? min : 0) + 1;
  }

  fail(e: Expr, message: string): never {
    throw new RacelabError('BAD_OPTION', `${message} (column ${this.column(e)} of "${this.source}")`, { subject: this.what });
  }

  text(e: Expr): string {
    try {
      return unparse(e);
    } catch {
      return '?';
    }
  }

  check(e: Expr): InvariantType {
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr':
        switch (k.value.constantKind.case) {
          case 'boolValue':
            return T.bool;
          case 'int64Value':
            return T.int;
          case 'uint64Value':
            return T.uint;
          case 'doubleValue':
            return T.double;
          case 'stringValue':
            return T.string;
          case 'bytesValue':
            return T.bytes;
          case 'nullValue':
            return T.null;
          default:
            return T.dyn;
        }
      case 'identExpr': {
        const name = k.value.name;
        for (let i = this.locals.length - 1; i >= 0; i--) {
          const t = this.locals[i]?.get(name);
          if (t) return t;
        }
        const t = this.vars[name];
        if (!t) this.fail(e, `"${name}" is not defined; use ${Object.keys(this.vars).join(', ')}`);
        if (t.kind === 'absent') this.fail(e, t.why);
        return t;
      }
      case 'selectExpr': {
        const operand = k.value.operand as Expr;
        const field = this.field(e, this.check(operand), k.value.field, this.text(operand));
        return k.value.testOnly ? T.bool : field;
      }
      case 'listExpr':
        return T.list(k.value.elements.map((x) => this.check(x)).reduce<InvariantType | undefined>((a, b) => (a ? join(a, b) : b), undefined) ?? T.dyn);
      case 'structExpr': {
        if (k.value.messageName) this.fail(e, `message literals (${k.value.messageName}{…}) are not available; compare fields instead`);
        let key: InvariantType | undefined;
        let value: InvariantType | undefined;
        for (const en of k.value.entries) {
          if (en.keyKind.case === 'mapKey') key = key ? join(key, this.check(en.keyKind.value)) : this.check(en.keyKind.value);
          if (en.value) value = value ? join(value, this.check(en.value)) : this.check(en.value);
        }
        return T.map(key ?? T.dyn, value ?? T.dyn);
      }
      case 'comprehensionExpr': {
        const c = k.value;
        const range = this.check(c.iterRange as Expr);
        const elem =
          range.kind === 'list' ? range.elem : range.kind === 'map' ? range.key : range.kind === 'message' ? T.string : range.kind === 'dyn' ? T.dyn : this.fail(c.iterRange as Expr, `${this.text(c.iterRange as Expr)} is ${typeName(range)}, not a list or a map`);
        let accu = this.check(c.accuInit as Expr);
        const scope = new Map<string, InvariantType>([[c.iterVar, elem]]);
        if (c.iterVar2) scope.set(c.iterVar2, T.dyn);
        this.locals.push(scope);
        try {
          scope.set(c.accuVar, accu);
          if (c.loopCondition) this.check(c.loopCondition);
          // `map` and `filter` start from [] and add [x]: their step gives the list's element type.
          const step = this.check(c.loopStep as Expr);
          if (accu.kind === 'list' && step.kind === 'list') accu = step;
          scope.set(c.accuVar, accu);
          return this.check(c.result as Expr);
        } finally {
          this.locals.pop();
        }
      }
      case 'callExpr':
        return this.call(e, k.value.function, k.value.target as Expr | undefined, k.value.args as Expr[]);
      default:
        return T.dyn;
    }
  }

  private field(e: Expr, t: InvariantType, field: string, operandText: string): InvariantType {
    switch (t.kind) {
      case 'message': {
        const f = t.fields[field];
        if (f) return f;
        return this.fail(e, `${operandText}.${field}: ${t.unknownField ? t.unknownField(field) : `${t.name} has no field ${field}; it has ${Object.keys(t.fields).join(', ') || 'no fields'}`}`);
      }
      case 'map':
        return t.value;
      case 'dyn':
        return T.dyn;
      default:
        return this.fail(e, `${operandText} is ${typeName(t)}, which has no field ${field}`);
    }
  }

  private call(e: Expr, fn: string, target: Expr | undefined, args: Expr[]): InvariantType {
    if (fn === '_&&_' || fn === '_||_' || fn === '@not_strictly_false') {
      for (const a of args) this.needBool(a, this.check(a));
      return T.bool;
    }
    if (fn === '_?_:_') {
      const [c, a, b] = args as [Expr, Expr, Expr];
      this.needBool(c, this.check(c));
      return join(this.check(a), this.check(b));
    }
    if (fn === '_[_]') {
      const [obj, idx] = args as [Expr, Expr];
      const t = this.check(obj);
      const i = this.check(idx);
      if (t.kind === 'list') {
        if (i.kind !== 'int' && i.kind !== 'uint' && i.kind !== 'dyn') this.fail(idx, `a list index must be an int, not ${typeName(i)}`);
        return t.elem;
      }
      if (t.kind === 'message') {
        const key = idx.exprKind.case === 'constExpr' && idx.exprKind.value.constantKind.case === 'stringValue' ? idx.exprKind.value.constantKind.value : undefined;
        return key === undefined ? T.dyn : this.field(e, t, key, this.text(obj));
      }
      if (t.kind === 'map') return t.value;
      if (t.kind === 'dyn') return T.dyn;
      return this.fail(e, `${this.text(obj)} is ${typeName(t)}, which cannot be indexed`);
    }
    if ((fn === '_/_' || fn === '_%_') && args[1] && isZero(args[1])) {
      this.fail(e, `${this.text(e)} cannot be evaluated (a division by 0); divide by something that is not 0`);
    }
    const targetType = target ? this.check(target) : undefined;
    const argTypes = args.map((a) => this.check(a));
    if (fn === 'sum') {
      const l = argTypes[0];
      if (target || argTypes.length !== 1 || !l || (l.kind !== 'list' && l.kind !== 'dyn')) this.fail(e, `sum() takes one list, e.g. sum(responses.map(r, r.amount))`);
      if (l.kind === 'list' && !NUMERIC.has(l.elem.kind) && l.elem.kind !== 'dyn') this.fail(e, `sum() takes a list of numbers, not ${typeName(l)}`);
      return l.kind === 'list' ? l.elem : T.dyn;
    }
    if (fn === '_==_' || fn === '_!=_') {
      const [a, b] = argTypes as [InvariantType, InvariantType];
      if (!comparable(a, b)) this.fail(e, `${this.text(e)} compares ${typeName(a)} with ${typeName(b)}, which are never equal`);
      return T.bool;
    }
    if (fn === '_+_' && argTypes[0]?.kind === 'list' && argTypes[1]?.kind === 'list') {
      return T.list(join(argTypes[0].elem, argTypes[1].elem));
    }
    const group = env.funcs.find(fn);
    const shown = OPERATORS[fn] ?? `${fn}()`;
    if (!group) {
      const names = [...new Set([...env.funcs].map((f) => f.name).filter((n) => /^[a-z]/i.test(n)))];
      return this.fail(e, `${fn}() is not a CEL function here; use ${names.join(', ')} or the macros all, exists, exists_one, map, filter, has`);
    }
    const results: InvariantType[] = [];
    for (const f of group) {
      if ((f.target === undefined) !== (targetType === undefined)) continue;
      if (f.arguments.length !== argTypes.length) continue;
      if (f.target && targetType && !accepts(f.target, targetType)) continue;
      if (!f.arguments.every((p, i) => accepts(p, argTypes[i] as InvariantType))) continue;
      results.push(fromLib(f.result));
    }
    if (results.length === 0) {
      const types = [...(targetType ? [targetType] : []), ...argTypes].map(typeName).join(' and ');
      const numbers = [...(targetType ? [targetType] : []), ...argTypes].filter((t) => NUMERIC.has(t.kind)).map((t) => t.kind);
      const hint = new Set(numbers).size > 1 ? '; CEL converts no number implicitly: write int(x), uint(x) or double(x)' : '';
      return this.fail(e, `${this.text(e)}: ${shown} does not take ${types || 'no arguments'}${hint}`);
    }
    return results.reduce((a, b) => join(a, b));
  }

  private needBool(e: Expr, t: InvariantType): void {
    if (t.kind !== 'bool' && t.kind !== 'dyn') this.fail(e, `${this.text(e)} is ${typeName(t)}, not true or false`);
  }
}

function isZero(e: Expr): boolean {
  const k = e.exprKind;
  if (k.case === 'constExpr') {
    const c = k.value.constantKind;
    return (c.case === 'int64Value' || c.case === 'uint64Value' || c.case === 'doubleValue') && Number(c.value) === 0;
  }
  return k.case === 'callExpr' && k.value.function === '-_' && k.value.args[0] !== undefined && isZero(k.value.args[0]);
}

/** Two types whose values can be equal: the same kind, two numbers, or anything with dyn or null. */
function comparable(a: InvariantType, b: InvariantType): boolean {
  if (a.kind === 'dyn' || b.kind === 'dyn' || a.kind === 'absent' || b.kind === 'absent') return true;
  if (NUMERIC.has(a.kind) && NUMERIC.has(b.kind)) return true;
  if (a.kind === 'null' || b.kind === 'null') return a.kind === b.kind || a.kind === 'message' || b.kind === 'message';
  if ((a.kind === 'message' || a.kind === 'map') && (b.kind === 'message' || b.kind === 'map')) return true;
  if (a.kind === 'list' && b.kind === 'list') return comparable(a.elem, b.elem);
  return a.kind === b.kind;
}

function join(a: InvariantType, b: InvariantType): InvariantType {
  if (a.kind === 'dyn') return b;
  if (b.kind === 'dyn') return a;
  if (a.kind === 'list' && b.kind === 'list') return T.list(join(a.elem, b.elem));
  return typeName(a) === typeName(b) ? a : T.dyn;
}

function fromLib(t: LibType): InvariantType {
  switch (t.kind) {
    case 'list':
      return T.list(fromLib(t.element));
    case 'map':
      return T.map(fromLib(t.key), fromLib(t.value));
    case 'object':
      return { kind: 'message', name: t.name, fields: {} };
    default:
      return t.scalar === 'null_type' || t.scalar === 'type' ? (t.scalar === 'type' ? T.dyn : T.null) : ({ kind: t.scalar } as InvariantType);
  }
}

/** Whether a parameter of the library's overload takes a value of type `t`. */
function accepts(p: LibType, t: InvariantType): boolean {
  if (t.kind === 'dyn' || t.kind === 'absent') return true;
  switch (p.kind) {
    case 'scalar':
      return p.scalar === 'dyn' || p.scalar === t.kind || (p.scalar === 'null_type' && t.kind === 'null');
    case 'list':
      return t.kind === 'list' && accepts(p.element, t.elem);
    case 'map':
      // A message is a map from field names at run time.
      return (t.kind === 'map' && accepts(p.key, t.key) && accepts(p.value, t.value)) || (t.kind === 'message' && accepts(p.key, T.string));
    case 'object':
      return t.kind === 'message' && t.name === p.name;
  }
}

/** A value as CEL sees it, following its declared type: integers become bigint, unsigned ones CEL uint. */
export function toCel(v: unknown, t: InvariantType): unknown {
  if (v === undefined || v === null) return null;
  switch (t.kind) {
    case 'int':
      return typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? Math.trunc(v) : String(v));
    case 'uint':
      return celUint(typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? Math.trunc(v) : String(v)));
    case 'double':
      return Number(v);
    case 'bytes':
      return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : v;
    case 'list':
      return Array.isArray(v) ? v.map((x) => toCel(x, t.elem)) : v;
    case 'map': {
      const entries = Object.entries(v as object).map(([k, x]) => [toCel(k, t.key), toCel(x, t.value)] as const);
      return t.key.kind === 'string' || t.key.kind === 'dyn' ? Object.fromEntries(entries) : new Map(entries);
    }
    case 'message':
      return Object.fromEntries(Object.entries(t.fields).map(([k, ft]) => [k, toCel((v as Record<string, unknown>)[k], ft)]));
    case 'dyn':
      return Array.isArray(v) ? v.map((x) => toCel(x, T.dyn)) : typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toCel(x, T.dyn)])) : v;
    default:
      return v;
  }
}

/** A CEL result as plain data: bigint and uint become numbers (strings above 2^53), lists arrays, maps objects. */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (isCelUint(v)) return fromCel(v.value);
  if (isCelList(v)) return [...v].map(fromCel);
  if (isCelMap(v)) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(fromCel(k)), fromCel(x)]));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

export interface Expression {
  readonly source: string;
  /** The type the check gave the whole expression (`bool`, or `dyn` when only the data tells). */
  readonly type: InvariantType;
  /** Evaluates over plain data (the report's scope); converted to CEL values by the declared types. */
  evaluate(scope: Scope): unknown;
  /** For `observed == expected` at the top, each side's value (numbers), or undefined. */
  sides(scope: Scope): { observed: number; expected: number } | undefined;
}

/**
 * Parses and checks a CEL invariant against the declared variables; `bind` turns the report's plain scope into
 * CEL values (by default, each variable by its declared type).
 */
export function parseExpression(source: string, vars: Readonly<Record<string, InvariantType>>, what = 'invariant', bind?: (scope: Scope) => Record<string, unknown>): Expression {
  if (!source.trim()) throw new RacelabError('BAD_OPTION', 'empty expression; write e.g. "after.value - before.value == ok"', { subject: what });
  let parsed: Parsed;
  try {
    parsed = parse(source);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const m = /^<input>:(\d+):(\d+): (.*)$/s.exec(text);
    throw new RacelabError('BAD_OPTION', `not valid CEL: ${m ? `${m[3]} (column ${m[2]} of "${source}")` : text}`, { subject: what });
  }
  const checker = new Checker(parsed, source, vars, what);
  const type = checker.check(parsed.expr);
  if (type.kind !== 'bool' && type.kind !== 'dyn') {
    throw new RacelabError('BAD_OPTION', `"${source}" gives ${typeName(type)}, not true or false; write a comparison such as "after.value - before.value == ok"`, { subject: what });
  }
  const toBindings = bind ?? ((scope: Scope) => Object.fromEntries(Object.entries(vars).filter(([k, t]) => t.kind !== 'absent' && scope[k] !== undefined).map(([k, t]) => [k, toCel(scope[k], t)])));
  const run = (e: Expr, bindings: Record<string, unknown>): unknown => {
    const out = plan(env, e)(bindings as never);
    if (isCelError(out)) {
      const at = out.exprId !== undefined ? ` at column ${(parsed.sourceInfo?.positions[String(out.exprId)] ?? 0) + 1}` : '';
      throw new RacelabError('BAD_OPTION', `"${source}" cannot be evaluated: ${out.message}${at}; fix the expression (an error is never read as a race)`, { subject: what });
    }
    return out;
  };
  const whole = parsed.expr;
  const top = whole.exprKind.case === 'callExpr' && whole.exprKind.value.function === '_==_' ? whole.exprKind.value.args : undefined;
  return {
    source,
    type,
    evaluate: (scope) => fromCel(run(whole, toBindings(scope))),
    sides: (scope) => {
      if (!top || top.length !== 2) return undefined;
      const bindings = toBindings(scope);
      const side = (e: Expr): number | undefined => {
        try {
          const v = fromCel(run(e, bindings));
          return typeof v === 'number' ? v : undefined;
        } catch {
          return undefined;
        }
      };
      const observed = side(top[0] as Expr);
      const expected = side(top[1] as Expr);
      return observed !== undefined && expected !== undefined ? { observed, expected } : undefined;
    },
  };
}
