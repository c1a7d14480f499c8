import * as timers from 'node:timers';

/**
 * The event loop's own timers, taken when racelab loads. Under `ambient` virtual time a run fakes the globals and
 * node:timers' exports while it is driven, so a timer of racelab's own (a world wait, a time limit) armed then
 * through them would be virtual and never fire (a world wait so armed once left a stuck run waiting for ever:
 * virtual time does not move while the driver waits for real I/O).
 */
export const realTimers = {
  setTimeout: timers.setTimeout,
  clearTimeout: timers.clearTimeout,
  setImmediate: timers.setImmediate,
  // A run's code defers with these as steps (RunTimers); racelab's own deferred work (the heartbeat) must not.
  nextTick: process.nextTick.bind(process),
  queueMicrotask: globalThis.queueMicrotask.bind(globalThis),
};
