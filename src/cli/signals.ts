import { killAllChildren } from '../core/children.js';

let waiter: ((signal: NodeJS.Signals) => void) | undefined;
let installed = false;

/**
 * Ctrl+C and SIGTERM: a command that is waiting for them (`serve`) gets the signal and shuts down gracefully;
 * otherwise racelab exits at once with 128+n, and the exit hook kills any child process still running.
 */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(signal);
      return;
    }
    killAllChildren();
    process.exit(exitStatusForSignal(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed pipe (`racelab … | head -1`, a terminal gone): Node does not die of SIGPIPE, it fails the write with
  // EPIPE, which would end the process from inside an event with nothing cleaned up. It is handled as the signal
  // it stands for: a command waiting for signals stops and deletes what it made, then exits 141 (128 + SIGPIPE).
  let pipeBroken = false;
  const onStreamError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
    if (pipeBroken) return;
    pipeBroken = true;
    onSignal('SIGPIPE');
  };
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
}

/** The exit status of a command stopped by a signal: 128 + its number. */
export function exitStatusForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGPIPE' ? 141 : 143;
}

/** Resolves with the next SIGINT, SIGTERM, or SIGPIPE (a closed stdout or stderr). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    waiter = resolve;
  });
}
