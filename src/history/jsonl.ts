import { messageOf, RacelabError } from '../core/errors.js';
import type { History, HistoryEvent } from './event.js';
import { validateEvent } from './operations.js';
import { HistoryReadStopped, STOP_EVERY } from './stopped.js';

const EXAMPLE = '{"process":0,"type":"invoke","f":"read","value":null,"time":12}';

/**
 * A history's header, its optional first line `{"initial":5}`: the value the object held before the first
 * operation, read by the recorder before it started. Without it the checker cannot know where the object
 * started (a counter that did not start at 0 is not a race), so `racelab check` starts from "unknown" unless
 * told (`--initial`).
 */
export interface HistoryHeader {
  readonly initial?: unknown;
}

const isHeader = (o: Record<string, unknown>): boolean => !('type' in o) && 'initial' in o;

/** The header of a JSON Lines history: its first non-blank line when that is `{"initial": …}`, else {}. */
export function parseHistoryJsonlHeader(text: string): HistoryHeader {
  const first = /^\s*([^\n]*)/.exec(text)?.[1]?.trim();
  if (!first?.startsWith('{')) return {};
  try {
    const o: unknown = JSON.parse(first);
    if (typeof o === 'object' && o !== null && !Array.isArray(o) && isHeader(o as Record<string, unknown>)) return { initial: (o as { initial: unknown }).initial };
  } catch {
    // Not JSON: parseHistoryJsonl names the line.
  }
  return {};
}

/**
 * Reads racelab's history format: JSON Lines, one event per line,
 * `{"process":0,"type":"invoke","f":"write","value":3,"time":1520}` (`time` in microseconds, optional; other
 * fields are ignored), after an optional header line `{"initial":…}`. Blank lines are skipped. Every error
 * names its line. `stop` is asked every thousand lines or so; true stops the parse with `HistoryReadStopped`.
 */
export function parseHistoryJsonl(text: string, stop?: () => boolean): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const reader = new JsonlEventReader();
  // Line by line without splitting: a 50 MB history's 650,000 line strings would all be alive at once.
  for (let i = 0, start = 0; start <= text.length; i++) {
    if (stop && i % STOP_EVERY === 0 && i > 0 && stop()) throw new HistoryReadStopped('', events.filter((e) => e.type === 'invoke').length);
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const event = reader.line(text.slice(start, end), i + 1);
    start = end + 1;
    if (event) events.push(event);
  }
  return events;
}

/**
 * racelab's JSON Lines read one line at a time (`parseHistoryJsonl` over a text, or a file read in chunks, whose
 * events need never be all in memory at once).
 */
export class JsonlEventReader {
  private seenLine = false;
  /** Events read so far. */
  events = 0;
  /** The header, when the first non-blank line was one. */
  header: HistoryHeader = {};

  /** The event on this line (1-based `line`), or undefined for a blank line or the header. Throws naming the line. */
  line(text: string, line: number): HistoryEvent | undefined {
    const raw = text.trim();
    if (raw === '') return undefined;
    const first = !this.seenLine;
    this.seenLine = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw new RacelabError('BAD_HISTORY', `line ${line}: not valid JSON (${messageOf(e)}); each line is one event like ${EXAMPLE}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RacelabError('BAD_HISTORY', `line ${line}: expected a JSON object like ${EXAMPLE}`);
    }
    const o = parsed as Record<string, unknown>;
    if (first && isHeader(o)) {
      this.header = { initial: (o as { initial: unknown }).initial };
      return undefined;
    }
    const event = {
      type: o.type,
      process: o.process,
      f: o.f,
      // A key apart from the value (`"key":"x","value":"a"`) is the kv model's `[key, value]` pair.
      ...('key' in o ? { value: [o.key, o.value ?? null] } : 'value' in o ? { value: o.value } : {}),
      ...(o.time !== undefined && o.time !== null ? { time: o.time } : {}),
      ...(typeof o.error === 'string' ? { error: o.error } : {}),
      line,
    } as HistoryEvent;
    validateEvent(event, this.events);
    this.events++;
    return event;
  }
}

/** One event as a JSON line, fields in a fixed order; `line` is where it was read from, so it is not written. */
export function formatHistoryEvent(event: HistoryEvent): string {
  return JSON.stringify({
    process: event.process,
    type: event.type,
    f: event.f,
    value: event.value ?? null,
    ...(event.time !== undefined ? { time: event.time } : {}),
    ...(event.error !== undefined ? { error: event.error } : {}),
  });
}

export function formatHistoryJsonl(history: History, header: HistoryHeader = {}): string {
  const head = 'initial' in header && header.initial !== undefined ? `${JSON.stringify({ initial: header.initial })}\n` : '';
  return head + history.map((e) => `${formatHistoryEvent(e)}\n`).join('');
}
