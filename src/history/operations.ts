import { RacelabError } from '../core/errors.js';
import { EVENT_TYPES, type History, type HistoryEvent, type HistoryOperation, type PairedHistory, type ProcessId } from './event.js';

/** Where an event is, for an error message: its file line when it was read from a file, else its position. */
export function eventPlace(event: HistoryEvent, index: number): string {
  return event.line !== undefined ? `line ${event.line}` : `event ${index + 1}`;
}

function bad(event: HistoryEvent, index: number, message: string): RacelabError {
  return new RacelabError('BAD_HISTORY', `${eventPlace(event, index)}: ${message}`);
}

/** Checks one event's shape (for events built by library users; the file readers check as they parse). */
export function validateEvent(event: HistoryEvent, index: number): void {
  if (!EVENT_TYPES.includes(event.type)) {
    throw bad(event, index, `"type" is ${JSON.stringify(event.type)}; it must be one of ${EVENT_TYPES.join(', ')}`);
  }
  const p = event.process as unknown;
  if (!((typeof p === 'number' && Number.isSafeInteger(p)) || (typeof p === 'string' && p !== ''))) {
    throw bad(event, index, `"process" must be a whole number or a non-empty string, not ${JSON.stringify(p)}`);
  }
  if (typeof event.f !== 'string' || event.f === '') {
    throw bad(event, index, `"f" (the operation's name, e.g. "read") must be a non-empty string, not ${JSON.stringify(event.f)}`);
  }
  if (event.time !== undefined && !(typeof event.time === 'number' && Number.isFinite(event.time))) {
    throw bad(event, index, `"time" must be a number of microseconds, not ${JSON.stringify(event.time)}`);
  }
}

const label = (p: ProcessId): string => `process ${p}`;

interface Open {
  readonly event: HistoryEvent;
  readonly index: number;
  readonly at: number;
}

type DraftOperation = { -readonly [K in keyof HistoryOperation]: HistoryOperation[K] };

/**
 * Pairs each invoke with its completion on the same process, checking the history is well formed: a process
 * runs one operation at a time, completes what it invoked, and completes it once. An operation still open at
 * the end of the history is `info`: whatever happened to it, nobody saw.
 *
 * Events are given one at a time (`add`), so a file reader can pair them as its lines arrive and keep only the
 * operations, never the whole list of events; `pairOperations` gives it a list.
 */
export class OperationPairer {
  private timed: boolean | undefined;
  private readonly open = new Map<ProcessId, Open>();
  private readonly closed = new Map<ProcessId, { invoke: Open; completeAt: string }>();
  private readonly lastTime = new Map<ProcessId, { time: number; place: string }>();
  private readonly draft: Array<{ order: number; op: DraftOperation }> = [];
  private readonly processes: ProcessId[] = [];
  private readonly seen = new Set<ProcessId>();

  /** Takes the history's event at `index` (0-based, every event counted); throws on a malformed history. */
  add(event: HistoryEvent, index: number): void {
    validateEvent(event, index);
    const timed = (this.timed ??= event.time !== undefined);
    if ((event.time !== undefined) !== timed) {
      throw bad(event, index, timed ? 'has no "time" but earlier events do; give every event a time or none' : 'has a "time" but earlier events do not; give every event a time or none');
    }
    const at = timed ? event.time! : index;
    const place = eventPlace(event, index);
    const previous = this.lastTime.get(event.process);
    if (previous && at < previous.time) {
      throw bad(event, index, `${label(event.process)}'s time goes backwards (${at} after ${previous.time} on ${previous.place}); times must come from a monotonic clock`);
    }
    this.lastTime.set(event.process, { time: at, place });

    if (event.type === 'invoke') {
      const pending = this.open.get(event.process);
      if (pending) {
        throw bad(
          event,
          index,
          `${label(event.process)} invokes ${event.f} while its ${pending.event.f} from ${eventPlace(pending.event, pending.index)} has not completed; a process runs one operation at a time (complete it with "info" if its outcome is unknown)`,
        );
      }
      this.open.set(event.process, { event, index, at });
      if (!this.seen.has(event.process)) {
        this.seen.add(event.process);
        this.processes.push(event.process);
      }
      return;
    }

    const pending = this.open.get(event.process);
    if (!pending) {
      const last = this.closed.get(event.process);
      if (last && last.invoke.event.f === event.f) {
        throw bad(
          event,
          index,
          `${label(event.process)}'s ${event.f} returns twice: it was invoked on ${eventPlace(last.invoke.event, last.invoke.index)} and already completed on ${last.completeAt}`,
        );
      }
      throw bad(event, index, `${label(event.process)} completes ${event.f} (${event.type}) without an invoke before it`);
    }
    if (pending.event.f !== event.f) {
      throw bad(event, index, `${label(event.process)} completes ${event.f} but invoked ${pending.event.f} on ${eventPlace(pending.event, pending.index)}`);
    }
    this.open.delete(event.process);
    this.closed.set(event.process, { invoke: pending, completeAt: place });
    const error = event.error ?? pending.event.error;
    this.draft.push({ order: pending.index, op: {
      id: 0,
      process: event.process,
      f: event.f,
      invokeValue: pending.event.value ?? null,
      completeValue: event.type === 'ok' ? (event.value ?? null) : undefined,
      status: event.type,
      call: pending.at,
      return: event.type === 'info' ? Infinity : at,
      ...(pending.event.line !== undefined ? { invokeLine: pending.event.line } : {}),
      ...(event.line !== undefined ? { completeLine: event.line } : {}),
      ...(error !== undefined ? { error } : {}),
    } });
  }

  /** Operations taken so far: every invocation, completed or not. */
  get operations(): number {
    return this.draft.length + this.open.size;
  }

  /** The operations, once every event has been given; the pairer is spent. */
  finish(): PairedHistory {
    const draft = this.draft;
    for (const pending of this.open.values()) {
      draft.push({ order: pending.index, op: {
        id: 0,
        process: pending.event.process,
        f: pending.event.f,
        invokeValue: pending.event.value ?? null,
        completeValue: undefined,
        status: 'info',
        call: pending.at,
        return: Infinity,
        ...(pending.event.line !== undefined ? { invokeLine: pending.event.line } : {}),
        error: 'no completion before the history ends',
      } });
    }
    this.open.clear();
    this.closed.clear();
    this.lastTime.clear();

    // Ids follow invocation order; a stable sort keeps the file's order for equal call times.
    // The id is set in place: a copy of every operation would double a large history's memory for a moment.
    const operations = draft
      .sort((a, b) => a.op.call - b.op.call || a.order - b.order)
      .map(({ op }, id) => {
        op.id = id;
        return op as HistoryOperation;
      });
    draft.length = 0;
    return { operations, timeUnit: this.timed === true ? 'us' : 'event', processes: this.processes };
  }
}

/** Pairs a whole list of events (see `OperationPairer`). */
export function pairOperations(history: History): PairedHistory {
  const pairer = new OperationPairer();
  history.forEach((event, index) => pairer.add(event, index));
  return pairer.finish();
}
