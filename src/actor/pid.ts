import { formatReason, type ExitReason } from './reason.js';
import type { Process } from './process.js';

/** A process identifier. Holding one lets you send to the process; it stays valid (and dead) after it exits. */
export class Pid {
  /** @internal the process behind the id; use the ActorSystem's functions, not this. */
  readonly process: Process;

  /** Only the ActorSystem makes pids. */
  constructor(
    readonly id: number,
    process: Process,
  ) {
    this.process = process;
  }

  toString(): string {
    return `<0.${this.id}.0>`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Where a message goes: a pid, or a name registered with `register` / the `name` spawn option. */
export type Dest = Pid | string;

/** A selective-receive pattern: the oldest message it accepts is taken; the others stay, in order. */
export type Matcher = (message: unknown) => boolean;

/**
 * What a process that traps exits receives when a linked process exits (`from` is null when the signal came
 * from outside any process, e.g. `system.sendExit`).
 */
export class ExitMessage {
  readonly type = 'EXIT';
  constructor(
    readonly from: Pid | null,
    readonly reason: ExitReason,
  ) {}

  toString(): string {
    return `{EXIT, ${String(this.from ?? 'external')}, ${formatReason(this.reason)}}`;
  }
}

/** What a monitoring process receives when the monitored process exits (or was already gone: `noproc`). */
export class DownMessage {
  readonly type = 'DOWN';
  constructor(
    readonly ref: number,
    readonly pid: Pid,
    readonly reason: ExitReason,
  ) {}

  toString(): string {
    return `{DOWN, ${this.ref}, ${String(this.pid)}, ${formatReason(this.reason)}}`;
  }
}
