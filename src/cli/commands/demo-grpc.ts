import type { Command } from 'commander';
import { ensureWritableFile } from '../files.js';
import { printJson, printProgress, printResult } from '../output.js';

export function register(demo: Command): void {
  demo
    .command('grpc', { isDefault: true })
    .description("the seed's gRPC counter: vulnerable vs mutex server, hit by concurrent client processes")
    .option('--clients <n>', 'client processes run at once', '4')
    .option('--increments <n>', 'increments per client', '10')
    .option('--delay <duration>', 'the read-modify-write window', '100ms')
    .option('--variants <list>', 'comma-separated counter variants to compare', 'vulnerable,mutex')
    .option('--store <spec>', "the server's store: memory, postgres, redis (URLs from RACELAB_PG_URL / RACELAB_REDIS_URL) or a URL; each variant runs on a fresh namespace", 'memory')
    .option('--json', 'print the report as JSON')
    .option('--record <file>', 'record every call as a history for racelab check (several variants: file.<variant>.jsonl)')
    // `grpc` is demo's default subcommand: `racelab demo nope` lands here, and is named as an unknown demo.
    .allowExcessArguments(true)
    .action(async (opts: { clients: string; increments: string; delay: string; variants: string; store: string; json?: boolean; record?: string }, cmd: Command) => {
      const { runGrpcDemo, renderGrpcDemo, parseCount, parseDuration, RacelabError } = await import('../../index.js');
      const [name] = cmd.args;
      if (name !== undefined) {
        const names = demo.commands.map((c) => c.name());
        throw new RacelabError('BAD_OPTION', `demo: "${name}" is not a demo; run one of ${names.join(', ')}, e.g. racelab demo ${names[0]}`);
      }
      const clients = parseCount(opts.clients, '--clients', 1, 64);
      const increments = parseCount(opts.increments, '--increments', 1, 10_000);
      const delayMs = parseDuration(opts.delay, '--delay', { maxMs: 10_000 });
      // Several variants write file.<variant>.jsonl beside it: the same folder.
      if (opts.record !== undefined) await ensureWritableFile(opts.record, '--record');
      const report = await runGrpcDemo({
        clients,
        increments,
        delayMs,
        variants: opts.variants.split(',').map((v) => v.trim()).filter(Boolean),
        store: opts.store,
        onProgress: opts.json ? undefined : printProgress,
        ...(opts.record !== undefined ? { record: opts.record } : {}),
      });
      if (opts.json) printJson(report);
      else printResult(renderGrpcDemo(report));
    });
}
