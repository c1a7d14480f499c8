import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { isRacelabError } from '../core/errors.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, cliMessage, commanderLine, exitStatusFor, usageCode } from './errors.js';
import { killAllChildren } from '../core/children.js';
import { JSON_SCHEMA_VERSION } from './output.js';
import { afterSignal, installSignalHandlers } from './signals.js';
import { stopProgress } from './progress.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerClient } from './commands/client.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerProxy } from './commands/proxy.js';
import { register as registerAttack } from './commands/attack.js';
import { register as registerInspect } from './commands/inspect.js';
import { register as registerExplore } from './commands/explore.js';
import { register as registerReplay } from './commands/replay.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerTxn } from './commands/txn.js';
import { register as registerConsumerWorker } from './commands/consumer-worker.js';
import { register as registerPublish } from './commands/publish.js';
import { register as registerAgent } from './commands/agent.js';

/** The package's own version (dist/cli/main.js → ../../package.json), so `--version` cannot drift from it. */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;


export function buildProgram(): Command {
  const program = new Command('racelab')
    .description('simulate, find and prove fixes for race conditions in gRPC services and message-passing systems')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      // Commander's errors, as one line like racelab's own: its suggestion joins the same line.
      outputError: (str, write) => write(`racelab: ${commanderLine(str)}\n`),
    });
  registerServe(program);
  registerClient(program);
  registerDemo(program);
  registerProxy(program);
  registerAttack(program);
  registerInspect(program);
  registerExplore(program);
  registerReplay(program);
  registerCheck(program);
  registerTxn(program);
  registerPublish(program);
  registerConsumerWorker(program);
  registerAgent(program);
  return program;
}

function printJsonError(code: string, message: string): void {
  process.stdout.write(`${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, error: { code, message } })}\n`);
}

/** Runs the CLI; resolves with the exit code. Commands set `process.exitCode` for verdicts (1 = race found). */
export async function main(argv: string[]): Promise<number> {
  // grpc-js logs failures (a port in use) on its own line before racelab's one-line error; it reads this when
  // first imported, which the lazily imported commands do after this line. GRPC_VERBOSITY=DEBUG brings it back.
  process.env.GRPC_VERBOSITY ??= 'NONE';
  installSignalHandlers();
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    await afterSignal();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    await afterSignal();
    // A command that failed mid-run may have left its progress line drawn: the error starts on a clean line.
    stopProgress();
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // Commander printed its one line on stderr already (outputError); a command line it refused never reached
      // a command, so the JSON a CI job parses is written here, as for racelab's own errors.
      if (argv.includes('--json')) printJsonError(usageCode(e.code), commanderLine(e.message));
      return EXIT_BAD_INPUT;
    }
    if (isRacelabError(e)) {
      // A CI job that asked for JSON parses stdout: the error is JSON there too (and one line on stderr).
      if (argv.includes('--json')) printJsonError(e.code, cliMessage(e));
      process.stderr.write(`racelab: ${cliMessage(e)}\n`);
      return exitStatusFor(e);
    }
    process.stderr.write(`racelab: internal error (please report it):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_INTERNAL;
  } finally {
    stopProgress();
    killAllChildren();
  }
}
