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
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Resolves with the next SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    waiter = resolve;
  });
}
