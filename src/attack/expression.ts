import { RacelabError } from '../core/errors.js';

/**
 * A small, safe expression language for invariants such as `after.value - before.value == ok`. It is parsed
 * into a tree and evaluated over plain data: no `eval`, no `Function`, no prototype access, no assignment, no
 * loops, only the functions listed in FUNCTIONS. Numbers, strings, booleans, null, arrays;
 * `+ - * / %`, comparisons, `== !=` (numbers compare with numeric strings, so int64 fields work), `&& || !`,
 * `cond ? a : b`, member access `.name` and `[index]`.
 */
export type Node =
  | { kind: 'literal'; value: unknown; start: number; end: number }
  | { kind: 'ident'; name: string; start: number; end: number }
  | { kind: 'member'; object: Node; property: Node; computed: boolean; start: number; end: number }
  | { kind: 'call'; callee: string; args: Node[]; start: number; end: number }
  | { kind: 'unary'; op: string; arg: Node; start: number; end: number }
  | { kind: 'binary'; op: string; left: Node; right: Node; start: number; end: number }
  | { kind: 'ternary'; test: Node; then: Node; otherwise: Node; start: number; end: number }
  | { kind: 'array'; items: Node[]; start: number; end: number };

interface Token {
  type: 'num' | 'str' | 'ident' | 'op' | 'eof';
  value: string;
  pos: number;
}

const OPERATORS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '.', ',', '(', ')', '[', ']'];

type Scope = Readonly<Record<string, unknown>>;

function fail(what: string, source: string, pos: number, message: string): never {
  throw new RacelabError('BAD_OPTION', `${what}: ${message} at column ${pos + 1} of "${source}"`);
}

function tokenize(src: string, what: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const num = /^(?:\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num) {
      out.push({ type: 'num', value: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i));
    if (id) {
      out.push({ type: 'ident', value: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== ch) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) fail(what, src, i, 'unterminated string');
      out.push({ type: 'str', value: s, pos: i });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) fail(what, src, i, `unexpected "${ch}"`);
    out.push({ type: 'op', value: op === '===' ? '==' : op === '!==' ? '!=' : op, pos: i });
    i += op.length;
  }
  out.push({ type: 'eof', value: '', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
    private readonly what: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.value === v;
  }
  private expect(v: string): Token {
    const t = this.next();
    if (t.type !== 'op' || t.value !== v) fail(this.what, this.src, t.pos, `expected "${v}" but found ${t.type === 'eof' ? 'the end' : `"${t.value}"`}`);
    return t;
  }

  parseAll(): Node {
    const n = this.ternary();
    const t = this.peek();
    if (t.type !== 'eof') fail(this.what, this.src, t.pos, `unexpected "${t.value}"`);
    return n;
  }

  private ternary(): Node {
    const test = this.binary(0);
    if (!this.isOp('?')) return test;
    this.next();
    const then = this.ternary();
    this.expect(':');
    const otherwise = this.ternary();
    return { kind: 'ternary', test, then, otherwise, start: test.start, end: otherwise.end };
  }

  private static readonly LEVELS: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): Node {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    const ops = Parser.LEVELS[level] as string[];
    while (this.peek().type === 'op' && ops.includes(this.peek().value)) {
      const op = this.next().value;
      const right = this.binary(level + 1);
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): Node {
    const t = this.peek();
    if (t.type === 'op' && ['!', '-', '+'].includes(t.value)) {
      this.next();
      const arg = this.unary();
      return { kind: 'unary', op: t.value, arg, start: t.pos, end: arg.end };
    }
    return this.postfix();
  }

  private postfix(): Node {
    let n = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.type !== 'ident') fail(this.what, this.src, t.pos, 'expected a field name after "."');
        n = { kind: 'member', object: n, property: { kind: 'literal', value: t.value, start: t.pos, end: t.pos + t.value.length }, computed: false, start: n.start, end: t.pos + t.value.length };
      } else if (this.isOp('[')) {
        this.next();
        const property = this.ternary();
        const close = this.expect(']');
        n = { kind: 'member', object: n, property, computed: true, start: n.start, end: close.pos + 1 };
      } else if (this.isOp('(')) {
        if (n.kind !== 'ident') fail(this.what, this.src, this.peek().pos, 'only the built-in functions can be called');
        this.next();
        const args: Node[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            args.push(this.ternary());
            if (!this.isOp(',')) break;
            this.next();
          }
        }
        const close = this.expect(')');
        if (!Object.hasOwn(FUNCTIONS, n.name)) fail(this.what, this.src, n.start, `${n.name}() is not a function here; use ${Object.keys(FUNCTIONS).join(', ')}`);
        n = { kind: 'call', callee: n.name, args, start: n.start, end: close.pos + 1 };
      } else return n;
    }
  }

  private primary(): Node {
    const t = this.next();
    const end = t.pos + t.value.length;
    if (t.type === 'num') return { kind: 'literal', value: Number(t.value), start: t.pos, end };
    if (t.type === 'str') return { kind: 'literal', value: t.value, start: t.pos, end: end + 2 };
    if (t.type === 'ident') {
      if (t.value === 'true') return { kind: 'literal', value: true, start: t.pos, end };
      if (t.value === 'false') return { kind: 'literal', value: false, start: t.pos, end };
      if (t.value === 'null') return { kind: 'literal', value: null, start: t.pos, end };
      return { kind: 'ident', name: t.value, start: t.pos, end };
    }
    if (t.type === 'op' && t.value === '(') {
      const n = this.ternary();
      this.expect(')');
      return n;
    }
    if (t.type === 'op' && t.value === '[') {
      const items: Node[] = [];
      if (!this.isOp(']')) {
        for (;;) {
          items.push(this.ternary());
          if (!this.isOp(',')) break;
          this.next();
        }
      }
      const close = this.expect(']');
      return { kind: 'array', items, start: t.pos, end: close.pos + 1 };
    }
    return fail(this.what, this.src, t.pos, t.type === 'eof' ? 'the expression ends too early' : `unexpected "${t.value}"`);
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

function getPath(v: unknown, path: string): unknown {
  let cur = v;
  for (const key of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The only functions an expression can call. Each takes plain data and returns plain data. */
const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  len: ([x]) => (Array.isArray(x) || typeof x === 'string' ? x.length : x && typeof x === 'object' ? Object.keys(x).length : undefined),
  sum: ([xs, field]) => (Array.isArray(xs) ? xs.reduce((s: number, x) => s + (num(typeof field === 'string' ? getPath(x, field) : x) ?? NaN), 0) : undefined),
  min: (args) => Math.min(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map((x) => num(x) ?? NaN)),
  max: (args) => Math.max(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map((x) => num(x) ?? NaN)),
  abs: ([x]) => Math.abs(num(x) ?? NaN),
  number: ([x]) => num(x) ?? (typeof x === 'boolean' ? Number(x) : NaN),
  /** `pluck(results, 'response.id')`: one field of every element. */
  pluck: ([xs, field]) => (Array.isArray(xs) && typeof field === 'string' ? xs.map((x) => getPath(x, field)) : undefined),
  /** `unique(xs)`: how many distinct values (by their JSON text). */
  unique: ([xs]) => (Array.isArray(xs) ? new Set(xs.map((x) => JSON.stringify(x))).size : undefined),
  /** `count(xs, 'field', value)`: elements whose field equals value; `count(xs)` = len. */
  count: ([xs, field, value]) =>
    Array.isArray(xs) ? (typeof field === 'string' ? xs.filter((x) => looseEquals(getPath(x, field), value)).length : xs.length) : undefined,
};

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined && (typeof a === 'number' || typeof b === 'number')) return na === nb;
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export interface Expression {
  readonly source: string;
  readonly ast: Node;
  evaluate(scope: Scope): unknown;
  /** Evaluates one sub-tree of `ast` (for the sides of an equality). */
  evaluateNode(node: Node, scope: Scope): unknown;
  /** The text of a node, for messages. */
  textOf(node: Node): string;
}

export function parseExpression(source: string, what = '--invariant'): Expression {
  if (!source.trim()) throw new RacelabError('BAD_OPTION', `${what}: empty expression; write e.g. "after.value - before.value == ok"`);
  const ast = new Parser(tokenize(source, what), source, what).parseAll();
  const textOf = (n: Node): string => source.slice(n.start, n.end).trim();
  const evalError = (n: Node, message: string): never => {
    throw new RacelabError('BAD_OPTION', `${what}: ${textOf(n)} ${message}`);
  };
  const needNumber = (n: Node, v: unknown): number => {
    const x = num(v);
    if (x === undefined) evalError(n, v === undefined ? 'is undefined (no such field or variable)' : `is ${JSON.stringify(v)}, not a number`);
    return x as number;
  };
  const ev = (n: Node, scope: Scope): unknown => {
    switch (n.kind) {
      case 'literal':
        return n.value;
      case 'array':
        return n.items.map((x) => ev(x, scope));
      case 'ident':
        if (!Object.hasOwn(scope, n.name)) evalError(n, `is not defined; use ${Object.keys(scope).join(', ')}`);
        return scope[n.name];
      case 'member': {
        const obj = ev(n.object, scope);
        const key = n.computed ? ev(n.property, scope) : (n.property as { value: unknown }).value;
        if (obj === null || obj === undefined) evalError(n.object, `is ${String(obj)}, so it has no field ${String(key)}`);
        if (typeof key !== 'string' && typeof key !== 'number') return evalError(n.property, 'is not a field name or index');
        if ((Array.isArray(obj) || typeof obj === 'string') && key === 'length') return (obj as { length: number }).length;
        if (typeof obj !== 'object' || !Object.hasOwn(obj as object, key)) return undefined;
        return (obj as Record<string | number, unknown>)[key];
      }
      case 'call':
        return (FUNCTIONS[n.callee] as (a: unknown[]) => unknown)(n.args.map((a) => ev(a, scope)));
      case 'unary': {
        const v = ev(n.arg, scope);
        if (n.op === '!') return !v;
        const x = needNumber(n.arg, v);
        return n.op === '-' ? -x : x;
      }
      case 'ternary':
        return ev(n.test, scope) ? ev(n.then, scope) : ev(n.otherwise, scope);
      case 'binary': {
        if (n.op === '&&') return ev(n.left, scope) && ev(n.right, scope);
        if (n.op === '||') return ev(n.left, scope) || ev(n.right, scope);
        const a = ev(n.left, scope);
        const b = ev(n.right, scope);
        switch (n.op) {
          case '==':
            return looseEquals(a, b);
          case '!=':
            return !looseEquals(a, b);
          case '+':
            if (typeof a === 'string' && typeof b === 'string') return a + b;
            return needNumber(n.left, a) + needNumber(n.right, b);
          case '-':
            return needNumber(n.left, a) - needNumber(n.right, b);
          case '*':
            return needNumber(n.left, a) * needNumber(n.right, b);
          case '/':
          case '%': {
            // A division by zero has no value: evaluating it to Infinity or NaN would turn a bad invariant
            // into a verdict ("race"), so it is an error the user must fix.
            const divisor = needNumber(n.right, b);
            if (divisor === 0) evalError(n, `cannot be evaluated: ${textOf(n.right)} is 0`);
            const x = needNumber(n.left, a);
            return n.op === '/' ? x / divisor : x % divisor;
          }
          case '<':
            return needNumber(n.left, a) < needNumber(n.right, b);
          case '<=':
            return needNumber(n.left, a) <= needNumber(n.right, b);
          case '>':
            return needNumber(n.left, a) > needNumber(n.right, b);
          case '>=':
            return needNumber(n.left, a) >= needNumber(n.right, b);
        }
        return evalError(n, `uses an unknown operator ${n.op}`);
      }
    }
  };
  return { source, ast, evaluate: (scope) => ev(ast, scope), evaluateNode: ev, textOf };
}

/**
 * For an invariant written `observed == expected` with numbers on both sides, the two sides: the report then
 * says how many effects were lost (expected − observed) or extra (observed − expected).
 */
export function equalitySides(expr: Expression, scope: Scope): { observed: number; expected: number } | undefined {
  const n = expr.ast;
  if (n.kind !== 'binary' || n.op !== '==') return undefined;
  const sub = (node: Node): number | undefined => {
    try {
      return num(expr.evaluateNode(node, scope));
    } catch {
      return undefined;
    }
  };
  const observed = sub(n.left);
  const expected = sub(n.right);
  return observed !== undefined && expected !== undefined ? { observed, expected } : undefined;
}

/** Member chains like `after.value` or `by.Redeem.ok` (dot access only), for checking names before a run. */
export function memberChains(expr: Expression): Array<{ path: string[]; text: string }> {
  const out: Array<{ path: string[]; text: string }> = [];
  const chain = (n: Node): string[] | undefined => {
    if (n.kind === 'ident') return [n.name];
    if (n.kind === 'member' && !n.computed) {
      const head = chain(n.object);
      return head ? [...head, String((n.property as { value: unknown }).value)] : undefined;
    }
    return undefined;
  };
  const visit = (n: Node, inChain: boolean): void => {
    const c = chain(n);
    if (c && !inChain) out.push({ path: c, text: expr.textOf(n) });
    switch (n.kind) {
      case 'member':
        visit(n.object, c !== undefined);
        if (n.computed) visit(n.property, false);
        break;
      case 'call':
        n.args.forEach((a) => visit(a, false));
        break;
      case 'unary':
        visit(n.arg, false);
        break;
      case 'binary':
        visit(n.left, false);
        visit(n.right, false);
        break;
      case 'ternary':
        visit(n.test, false);
        visit(n.then, false);
        visit(n.otherwise, false);
        break;
      case 'array':
        n.items.forEach((a) => visit(a, false));
        break;
      default:
        break;
    }
  };
  visit(expr.ast, false);
  return out;
}
