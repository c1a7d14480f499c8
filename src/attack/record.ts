import { status } from '@grpc/grpc-js';
import type { CallOutcome } from '../burst/call.js';
import { callEffect, statusName } from '../grpc/status.js';
import type { HistoryEvent } from '../history/event.js';
import { formatHistoryJsonl } from '../history/jsonl.js';
import type { MethodSchema } from '../grpc/schema.js';
import { writeFile } from 'node:fs/promises';
import { RacelabError, messageOf } from '../core/errors.js';
import type { AttackScenario } from './builtins.js';

const shortName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * The attack's history for `racelab check`: every burst call is an operation of its own process (the calls of
 * a burst all run at once), invoked when it left racelab and completed when its status came back: `ok`, `fail`
 * (the server refused it) or `info` (nobody knows whether it took effect). The before/after reads are
 * operations of the process `check`. A scenario names operations in its model's vocabulary (the counter's
 * `increment` and `get`); other methods keep their own names, with the request and response JSON as values.
 */
export class HistoryLog {
  private readonly log: Array<HistoryEvent & { seq: number }> = [];
  private seq = 0;
  private initial: { initial?: unknown } = {};

  constructor(private readonly scenario?: AttackScenario) {}

  private op(path: string, request: unknown, response: unknown): { f: string; invokeValue: unknown; okValue: unknown } {
    const method = shortName(path);
    return this.scenario?.historyOp?.(method, request, response) ?? { f: method, invokeValue: request ?? null, okValue: response ?? null };
  }

  private push(e: HistoryEvent): void {
    this.log.push({ ...e, seq: this.seq++ });
  }

  call(out: CallOutcome, request: unknown, response: unknown): void {
    const { f, invokeValue, okValue } = this.op(out.path, request, response);
    const process = out.index;
    this.push({ type: 'invoke', process, f, value: invokeValue, time: out.sentMicros });
    const type = callEffect(out.code);
    this.push({
      type,
      process,
      f,
      value: type === 'ok' ? okValue : invokeValue,
      time: Math.max(out.doneMicros, out.sentMicros),
      ...(out.code !== status.OK ? { error: `${statusName(out.code)}: ${out.details}` } : {}),
    });
  }

  check(method: MethodSchema, request: unknown, response: unknown, out: CallOutcome, which?: 'before' | 'after'): void {
    const { f, invokeValue, okValue } = this.op(method.path, request, response);
    // The first `before` read, taken before any burst call, is where the object started: the history's header.
    if (which === 'before' && this.log.length === 0 && this.scenario?.initialFrom) {
      const initial = this.scenario.initialFrom(response, request);
      if (initial !== undefined) this.initial = { initial };
    }
    this.push({ type: 'invoke', process: 'check', f, value: invokeValue, time: out.sentMicros });
    this.push({ type: 'ok', process: 'check', f, value: okValue, time: Math.max(out.doneMicros, out.sentMicros) });
  }

  /** Events in real-time order (a completion never before its own invoke). */
  events(): HistoryEvent[] {
    return [...this.log]
      .sort((a, b) => (a.time ?? 0) - (b.time ?? 0) || a.seq - b.seq)
      .map(({ seq: _seq, ...e }) => e);
  }

  async write(path: string): Promise<void> {
    try {
      await writeFile(path, formatHistoryJsonl(this.events(), this.initial));
    } catch (e) {
      throw new RacelabError('BAD_OPTION', `cannot write ${path} (${messageOf(e)})`, { subject: 'record' });
    }
  }
}
