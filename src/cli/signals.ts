import { killAllChildrenAndWait } from '../core/children.js';
import { runCleanups } from '../core/cleanup.js';
import { printProgress } from './output.js';

let waiter: ((signal: NodeJS.Signals) => void) | undefined;
let installed = false;
let stopping: Promise<never> | undefined;

/**
 * Ctrl+C and SIGTERM: a command that is waiting for them (`serve`) gets the signal and shuts down gracefully;
 * otherwise racelab kills its child processes, waits for them to exit, removes what the run created on shared
 * servers (namespaces, tables: src/core/cleanup.ts), and exits with 128+n. A second signal exits at once.
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
    const code = exitStatusForSignal(signal);
    if (stopping) process.exit(code); // a second Ctrl+C: no more waiting
    stopping = (async () => {
      await stopAndClean();
      process.exit(code);
    })();
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

/** Kills racelab's child processes, waits for them, and removes what the run made on shared servers. */
async function stopAndClean(): Promise<void> {
  await killAllChildrenAndWait();
  const failed = await runCleanups();
  if (failed.length) process.stderr.write(`racelab: stopped before removing ${failed.join(', ')}; the next run on this host removes it\n`);
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

/**
 * While a signal is being handled, the command's own work fails (its children are gone): that is not an error
 * to report, and its exit status is the signal's. main() awaits this before reporting or returning; it never
 * settles while a signal is handled (the handler exits), and resolves at once otherwise.
 */
export async function afterSignal(): Promise<void> {
  if (stopping) await stopping;
}

/**
 * For a command that reports what it did so far when stopped (the demos, publish): the first SIGINT/SIGTERM
 * aborts `signal` and, unless `quiet`, says so on stderr (`says`: what happens next); after the report is printed,
 * `finish()` kills what is still running (children, abandoned servers die with the process), removes what the run
 * made on shared servers, sets the exit status to 128+n, and resolves with the signal (undefined: none came).
 */
export function stopOnSignal(options: { quiet?: boolean; says?: string } = {}): { signal: AbortSignal; finish: () => Promise<NodeJS.Signals | undefined> } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  void untilSignal().then((s) => {
    received = s;
    if (!options.quiet) printProgress(`racelab: ${s}: stopping; ${options.says ?? 'the summary so far follows'}`);
    controller.abort();
  });
  return {
    signal: controller.signal,
    finish: async () => {
      if (received === undefined) return undefined;
      await stopAndClean();
      process.exitCode = exitStatusForSignal(received);
      return received;
    },
  };
}
