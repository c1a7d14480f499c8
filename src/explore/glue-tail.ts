import { parseSync, type Expression, type FunctionBody } from 'oxc-parser';

/** Verdicts by source text: a workload's task functions are new closures each run, of a handful of sources. */
const bySource = new Map<string, boolean>();
const MAX_SOURCES = 1000;

/**
 * Whether a workload's async task function ends at an await: after its last await resumes, it only returns (its
 * body's last statement is `await x;`, `void (await x);`, `return await x;` or `return;`, or an arrow's body is
 * `await x` or `void (await x)`), or it has no await of its own. Then its last resumption, which racelab does not
 * see as a point when the function is not instrumented, runs none of its code, and is not counted (the workload's
 * glue returning). Otherwise (`if (await w()) paid += 70`, a loop, a write after the await) the code after its last
 * await is code under test too: racelab cannot put a point before it, and a resumption of it glued to a step
 * counts like any other code racelab did not instrument. Unparsable source (a native or bound function) is not
 * taken to end at an await.
 */
export function endsAtAwait(fn: (...args: never[]) => unknown): boolean {
  const source = Function.prototype.toString.call(fn);
  let known = bySource.get(source);
  if (known === undefined) {
    known = judge(source);
    if (bySource.size >= MAX_SOURCES) bySource.clear();
    bySource.set(source, known);
  }
  return known;
}

function judge(source: string): boolean {
  let program;
  try {
    program = parseSync('task.js', `(${source})`, { sourceType: 'module', lang: 'js' }).program;
  } catch {
    return false;
  }
  const statement = program.body[0];
  if (!statement || statement.type !== 'ExpressionStatement') return false;
  let fn: Expression = statement.expression;
  while (fn.type === 'ParenthesizedExpression') fn = fn.expression;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') return false;
  const body = fn.body;
  if (!body) return false;
  // No await of its own: it never resumes.
  if (!hasAwait(body)) return true;
  if (fn.type === 'ArrowFunctionExpression' && fn.expression) return awaitTail(body as Expression);
  const last = (body as FunctionBody).body.at(-1);
  if (!last) return true;
  if (last.type === 'ExpressionStatement') return awaitTail(last.expression);
  if (last.type === 'ReturnStatement') return last.argument === null || awaitTail(last.argument);
  return false;
}

/** `await x` or `void (await x)`: nothing left to run once it resumes. */
function awaitTail(e: Expression): boolean {
  while (e.type === 'ParenthesizedExpression') e = e.expression;
  if (e.type === 'UnaryExpression' && e.operator === 'void') return awaitTail(e.argument);
  return e.type === 'AwaitExpression';
}

/** Whether the node has an await of the function's own (not one of a function nested in it). */
function hasAwait(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(hasAwait);
  const type = (node as { type?: unknown }).type;
  if (type === 'AwaitExpression' || (type === 'ForOfStatement' && (node as { await?: boolean }).await === true)) return true;
  if (type === 'FunctionExpression' || type === 'FunctionDeclaration' || type === 'ArrowFunctionExpression') return false;
  for (const [key, value] of Object.entries(node)) if (key !== 'parent' && hasAwait(value)) return true;
  return false;
}
