import { Option, type Command } from 'commander';
import { createInterface } from 'node:readline';
import { EXIT_CALL_FAILED } from '../errors.js';
import { checkHost, ensureWritableFile } from '../files.js';
import { printJson, printResult } from '../output.js';

export function register(program: Command): void {
  program
    .command('client')
    .description("the seed's client: increments one after another, then prints the counter's value")
    .option('--target <host:port>', 'the Counter server', 'localhost:50051')
    .option('--targets <list>', 'replicas to spread the increments over, round-robin: host:port,host:port,…')
    .option('--increments <n>', 'increments to send', '10')
    .option('--deadline <duration>', 'per-call deadline', '30s')
    .option('--connect-timeout <duration>', 'how long to wait for the server to answer', '5s')
    .option('--json', 'print the result as JSON')
    .option('--record <file>', 'write every call as a history (JSON Lines) for racelab check --model counter')
    .addOption(new Option('--wait-for-go', 'once connected, print "ready" to stderr and wait for a line on stdin').hideHelp())
    .action(async (opts: { target: string; targets?: string; increments: string; deadline: string; connectTimeout: string; json?: boolean; waitForGo?: boolean; record?: string }) => {
      const { runCounterClient, failedIncrements, parseCount, parseDuration, parseTarget, HistoryRecorder, RacelabError } = await loadLib();
      const target = parseTarget(opts.target);
      const targets = opts.targets !== undefined ? opts.targets.split(',').map((t) => parseTarget(t, '--targets')) : undefined;
      const increments = parseCount(opts.increments, '--increments', 0, 1_000_000);
      const deadlineMs = parseDuration(opts.deadline, '--deadline', { maxMs: 3_600_000 });
      if (deadlineMs < 1) throw new RacelabError('BAD_DURATION', `--deadline: ${opts.deadline} leaves no time for a call; give at least 1ms`);
      const connectTimeoutMs = parseDuration(opts.connectTimeout, '--connect-timeout', { maxMs: 600_000 });
      if (opts.record !== undefined) await ensureWritableFile(opts.record, '--record');
      for (const [t, flag] of [[target, '--target'], ...(targets ?? []).map((x) => [x, '--targets'])] as Array<[string, string]>) await checkHost(hostOf(t), flag);
      const recorder = opts.record !== undefined ? new HistoryRecorder() : undefined;
      const result = await runCounterClient({
        target,
        ...(targets !== undefined ? { targets } : {}),
        increments,
        deadlineMs,
        connectTimeoutMs,
        ...(opts.waitForGo ? { beforeFirstCall: readyThenWaitForGo } : {}),
        ...(recorder ? { recorder, process: 0 } : {}),
      });
      if (recorder && opts.record !== undefined) await recorder.writeFile(opts.record);
      if (opts.json) printJson(result);
      else printResult(`Current value: ${result.value}`);
      // The value was read, but not every increment went through: a runtime failure, not bad input (2).
      const failed = failedIncrements(result);
      if (failed !== undefined) {
        process.stderr.write(`racelab: ${failed}\n`);
        process.exitCode = EXIT_CALL_FAILED;
      }
    });
}

/** The demo's start barrier: every client process connects first, then all start on one "go". */
async function readyThenWaitForGo(): Promise<void> {
  process.stderr.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => {
    lines.once('line', () => resolve());
    lines.once('close', () => resolve());
  });
  lines.close();
}

/** The host of `host:port` or `[v6]:port`. */
function hostOf(target: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(target);
  if (v6) return v6[1]!;
  const colon = target.lastIndexOf(':');
  return colon > 0 ? target.slice(0, colon) : target;
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../grpc/client.js')),
    ...(await import('../../history/recorder.js')),
    ...(await import('../../scenarios/counter/client.js')),
  };
}
