import { ownPromise } from '../sched/promise-watch.js';
import { realTimers } from './real-timers.js';

/** A run in progress, told when the promise job queue has drained; true when that let it make progress. */
export interface DrainListener {
  onDrained(): boolean;
}

/**
 * One heartbeat for every run in progress in this process: a `process.nextTick` callback. Node runs queued
 * ticks only once the promise job queue is empty, and keeps alternating ticks and promise jobs without going
 * back to the event loop while ticks keep coming. So while a run is in progress the heartbeat (1) tells the run
 * when its promise jobs have all run, at no cost while they have not, and (2) by re-queueing itself, keeps every
 * timer and I/O callback from running until the run ends or is aborted.
 */
export const heartbeat = {
  // An array, not a Set: every run is added and removed once, and there are rarely more than one or two at a time.
  runs: [] as DrainListener[],
  armed: false,
  watch(s: DrainListener): void {
    this.runs.push(s);
    this.arm();
  },
  unwatch(s: DrainListener): void {
    // Swap with the last and pop: no array made per run (splice returns one), and the order does not matter.
    const i = this.runs.indexOf(s);
    if (i < 0) return;
    this.runs[i] = this.runs[this.runs.length - 1] as DrainListener;
    this.runs.pop();
  },
  arm(): void {
    if (this.armed) return;
    this.armed = true;
    // Queued from a promise job, never directly: a tick queued from a timer or I/O callback would run before
    // the promise jobs that callback queued (Node runs ticks first there), and the run would look stalled.
    void settled.then(queueBeat);
  },
};

const settled = ownPromise(Promise.resolve());
const queueBeat = (): void => realTimers.nextTick(beat);

function beat(): void {
  heartbeat.armed = false;
  let progress = false;
  for (const s of heartbeat.runs.slice()) if (s.onDrained()) progress = true;
  // A run that waits for nothing would make the heartbeat spin; it cannot happen, but never risk a busy loop.
  if (progress) heartbeat.arm();
}
