import { RacelabError } from '../core/errors.js';
import type { Expression, Node } from './expression.js';

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

/**
 * What an invariant's top can be known to give without any data: `boolean` (a comparison, `!x`, `true`),
 * `other` (arithmetic, a number or string, a list) or `unknown` (a field, a function, a ternary: only the
 * data tells).
 */
function shapeOf(n: Node): 'boolean' | 'other' | 'unknown' {
  switch (n.kind) {
    case 'literal':
      return typeof n.value === 'boolean' ? 'boolean' : 'other';
    case 'array':
      return 'other';
    case 'unary':
      return n.op === '!' ? 'boolean' : 'other';
    case 'binary':
      return COMPARISONS.has(n.op) ? 'boolean' : ARITHMETIC.has(n.op) ? 'other' : 'unknown';
    case 'ternary': {
      const a = shapeOf(n.then);
      const b = shapeOf(n.otherwise);
      return a === 'other' || b === 'other' ? 'other' : a === 'boolean' && b === 'boolean' ? 'boolean' : 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** Divisions whose divisor is the literal 0 (or -0): they can never be evaluated, whatever the data. */
function zeroDivisions(n: Node, out: Node[]): Node[] {
  const isZero = (d: Node): boolean => (d.kind === 'literal' && d.value === 0) || (d.kind === 'unary' && d.op === '-' && isZero(d.arg));
  switch (n.kind) {
    case 'binary':
      if ((n.op === '/' || n.op === '%') && isZero(n.right)) out.push(n);
      zeroDivisions(n.left, out);
      zeroDivisions(n.right, out);
      break;
    case 'unary':
      zeroDivisions(n.arg, out);
      break;
    case 'member':
      zeroDivisions(n.object, out);
      zeroDivisions(n.property, out);
      break;
    case 'call':
      n.args.forEach((a) => zeroDivisions(a, out));
      break;
    case 'ternary':
      zeroDivisions(n.test, out);
      zeroDivisions(n.then, out);
      zeroDivisions(n.otherwise, out);
      break;
    case 'array':
      n.items.forEach((a) => zeroDivisions(a, out));
      break;
    default:
      break;
  }
  return out;
}

/**
 * Refuses, before any call is sent, an invariant that cannot be a verdict: one whose value is not true or false
 * (`after.value - before.value`), or one that divides by a literal zero. What only the data can tell (a field
 * that holds a string, a division by a count that is 0) is refused when the round is judged, also as bad input.
 */
export function checkInvariantShape(expr: Expression, what = '--invariant'): void {
  const [zero] = zeroDivisions(expr.ast, []);
  if (zero) {
    throw new RacelabError('BAD_OPTION', `${what}: ${expr.textOf(zero)} cannot be evaluated (a division by 0) at column ${zero.start + 1} of "${expr.source}"; divide by something that is not 0`);
  }
  if (shapeOf(expr.ast) === 'other') {
    throw new RacelabError('BAD_OPTION', `${what}: "${expr.source}" gives a value, not true or false; write a comparison such as "after.value - before.value == ok"`);
  }
}
