import { RacelabError } from '../core/errors.js';
import { EdnKeyword, EdnMap, EdnReadStopped, EdnSyntaxError, EdnTagged, ednToJson, readEdn, readEdnForms, type EdnValue } from './edn.js';
import { HistoryReadStopped, STOP_EVERY } from './stopped.js';
import type { EventType, HistoryEvent } from './event.js';

/**
 * Importers for the two formats most public histories exist in. Jepsen's processes are integers; the nemesis
 * (the fault injector, `:process :nemesis`) is not a client, so its events are left out, as Knossos does.
 */

const TYPES = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);
const EDN_EXAMPLE = '{:process 0, :type :invoke, :f :read, :value nil}';

function badEdn(line: number, message: string): RacelabError {
  return new RacelabError('BAD_HISTORY', `line ${line}: ${message}`);
}

function show(v: EdnValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v instanceof EdnKeyword) return String(v);
  return JSON.stringify(ednToJson(v)) ?? String(v);
}

/** Jepsen EDN maps to events; `timeNanos` holds `:time` (nanoseconds) until we know every event has one. */
function ednEvent(map: EdnMap, line: number): (HistoryEvent & { timeNanos?: number }) | undefined {
  const process = map.get('process');
  if (process instanceof EdnKeyword || process instanceof EdnTagged) return undefined; // :nemesis
  if (!(typeof process === 'number' && Number.isSafeInteger(process)) && typeof process !== 'string') {
    throw badEdn(line, `:process is ${show(process)}; it must be an integer (Jepsen's client process), as in ${EDN_EXAMPLE}`);
  }
  const type = map.get('type');
  if (!(type instanceof EdnKeyword) || !TYPES.has(type.name as EventType)) {
    throw badEdn(line, `:type is ${show(type)}; it must be one of :invoke, :ok, :fail, :info`);
  }
  const f = map.get('f');
  const fName = f instanceof EdnKeyword ? f.name : typeof f === 'string' ? f : undefined;
  if (!fName) throw badEdn(line, `:f is ${show(f)}; it must name the operation, e.g. :read`);
  const time = map.get('time');
  const error = map.get('error');
  // Jepsen's key-value workloads write the key apart (`:key "x", :value "a"`); racelab's kv model reads
  // Jepsen's independent tuples `[key value]`, the same operation.
  const key = map.get('key');
  const value = ednToJson(map.get('value') ?? null);
  return {
    type: type.name as EventType,
    process,
    f: fName,
    value: key !== undefined ? [ednToJson(key), value] : value,
    ...(typeof time === 'number' ? { timeNanos: time } : {}),
    ...(error !== undefined && error !== null ? { error: typeof error === 'string' ? error : show(error) } : {}),
    line,
  };
}

/** Keeps Jepsen's `:time` (ns, converted to µs) only when every client event has one; else file order is time. */
function settleTimes(events: Array<HistoryEvent & { timeNanos?: number }>): HistoryEvent[] {
  const allTimed = events.length > 0 && events.every((e) => e.timeNanos !== undefined);
  return events.map(({ timeNanos, ...e }) => (allTimed ? { ...e, time: timeNanos! / 1000 } : e));
}

/**
 * Jepsen/Knossos EDN histories: a sequence of op maps, either top-level (one per line, as Jepsen's
 * `history.edn`) or inside one vector or list (as Knossos's test data), tagged (`#jepsen.history.Op{…}`) or not.
 */
export function parseJepsenEdn(text: string, stop?: () => boolean): HistoryEvent[] {
  let forms;
  try {
    forms = readEdnForms(text, stop);
  } catch (e) {
    if (e instanceof EdnSyntaxError) throw badEdn(e.line, `malformed EDN: ${e.message}`);
    if (e instanceof EdnReadStopped) throw new HistoryReadStopped('', e.forms.filter((f) => isInvoke(f.value)).length);
    throw e;
  }
  const events: Array<HistoryEvent & { timeNanos?: number }> = [];
  // Nested maps do not carry their own line, so a vector's items are placed by scanning for their braces.
  const lineStarts = braceLines(text);
  let brace = 0;
  const take = (value: EdnValue, fallbackLine: number): void => {
    const inner = value instanceof EdnTagged ? value.value : value;
    if (!(inner instanceof EdnMap)) {
      throw badEdn(fallbackLine, `expected an operation map like ${EDN_EXAMPLE}, found ${show(inner)}`);
    }
    const line = lineStarts[brace++] ?? fallbackLine;
    const event = ednEvent(inner, line);
    if (event) events.push(event);
    // Skip the braces of maps nested inside this one (e.g. an :error map), so the next op gets its own line.
    brace += nestedMaps(inner);
  };
  for (const form of forms) {
    if (Array.isArray(form.value)) for (const item of form.value) take(item, form.line);
    else take(form.value, form.line);
  }
  return settleTimes(events);
}

/** Whether a form is an op map (tagged or not) of type :invoke. */
export function isInvoke(value: EdnValue): boolean {
  const inner = value instanceof EdnTagged ? value.value : value;
  const type = inner instanceof EdnMap ? inner.get('type') : undefined;
  return type instanceof EdnKeyword && type.name === 'invoke';
}

function nestedMaps(value: EdnValue): number {
  let n = 0;
  const visit = (v: EdnValue, top: boolean): void => {
    if (v instanceof EdnMap) {
      if (!top) n++;
      for (const [k, x] of v.entries) {
        visit(k, false);
        visit(x, false);
      }
    } else if (v instanceof EdnTagged) visit(v.value, false);
    else if (Array.isArray(v)) v.forEach((x) => visit(x, false));
  };
  visit(value, true);
  return n;
}

/** The line of every `{` that opens a map (outside strings and comments), in order. */
function braceLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let inString = false;
  let inComment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      inComment = false;
    } else if (inComment) continue;
    else if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ';') inComment = true;
    else if (c === '{' && text[i - 1] !== '#') lines.push(line);
    else if (c === '\\') i++;
  }
  return lines;
}

const OP_LINE = '"<process> :invoke|:ok|:fail|:info :<f> <value>"';
// What a log's other lines start with: a level or a timestamp (a log line), indentation (a stack trace or a
// pretty-printed map continuing the line above), EDN data, or the Java words of a stack trace.
const LOG_LINE = /^(?:\s|$|(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\b|\d{4}-\d{2}-\d{2}[ T]\d|[[{(:"}\])]|Caused by:|Exception in|(?:java|clojure|jepsen)\.|\.\.\. \d+ more)/;

/**
 * A line that is neither an operation nor anything a Jepsen log holds is refused, with its number: a damaged
 * file checked as if whole could give a verdict on a history nobody recorded.
 */
function refuseIfGarbage(text: string, line: number): void {
  // An op line cut short (no :f) still names jepsen.util and a process and an event keyword.
  if (/jepsen\.util\s*[-:]\s+\S+\s+:(?:invoke|ok|fail|info)\b/.test(text)) throw badEdn(line, `a damaged operation line; a Jepsen op line reads ${OP_LINE}`);
  if (!LOG_LINE.test(text)) {
    throw badEdn(line, `"${text.length > 40 ? `${text.slice(0, 37)}...` : text}" is not a line of a Jepsen log (neither an operation nor a log line); remove it, or give the history as EDN or JSON Lines`);
  }
}

/**
 * Jepsen's text log, e.g. `INFO  jepsen.util - 3	:invoke	:write	4` (older Jepsen) or with a timestamp and
 * thread prefix (`… INFO [jepsen worker 3] jepsen.util: 3	:ok	:read	2`). Only `jepsen.util` operation
 * lines are read; every other log line is skipped. Times are the order of the lines.
 */
export function parseJepsenLog(text: string, stop?: () => boolean): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  const marker = /jepsen\.util\s*[-:]\s+(\S+)\s+:(\S+)\s+(\S+)[ \t]*(.*)$/;
  let invokes = 0;
  for (let i = 0; i < lines.length; i++) {
    if (stop && i > 0 && i % STOP_EVERY === 0 && stop()) throw new HistoryReadStopped('', invokes);
    const line = i + 1;
    const text = lines[i]!.replace(/\r$/, '');
    const m = marker.exec(text);
    if (!m) {
      refuseIfGarbage(text, line);
      continue;
    }
    const [, processText, typeText, fText, rest] = m as unknown as [string, string, string, string, string];
    if (processText.startsWith(':')) continue; // :nemesis
    if (!TYPES.has(typeText as EventType)) {
      // A jepsen.util line whose second column is a keyword but not an event type is a damaged op line.
      throw badEdn(line, `:${typeText} is not an event type; a Jepsen op line reads "<process> :invoke|:ok|:fail|:info :<f> <value>"`);
    }
    if (!/^-?\d+$/.test(processText)) {
      throw badEdn(line, `process "${processText}" is not an integer; a Jepsen op line reads "<process> :invoke|:ok|:fail|:info :<f> <value>"`);
    }
    if (!fText.startsWith(':') || fText.length < 2) throw badEdn(line, `"${fText}" is not an operation keyword such as :read`);
    const type = typeText as EventType;
    let value: unknown = null;
    const valueText = rest.trim();
    if (valueText !== '') {
      try {
        value = ednToJson(readEdn(valueText, line));
      } catch (e) {
        if (!(e instanceof EdnSyntaxError)) throw e;
        // An unknown outcome's value is only an explanation (`:timed-out`, an exception message): keep its text.
        if (type === 'info' || type === 'fail') value = valueText;
        else throw badEdn(line, `the value "${valueText}" is not EDN (${e.message})`);
      }
    }
    if (type === 'invoke') invokes++;
    events.push({ type, process: Number(processText), f: fText.slice(1), value, ...(type === 'info' && typeof value === 'string' ? { error: value } : {}), line });
  }
  return events;
}
