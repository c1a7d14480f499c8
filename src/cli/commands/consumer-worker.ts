import type { Command } from 'commander';

/** The hidden `racelab consumer-worker`: one consumer process that `demo brokers --kill-processes` starts and kills. */
export function register(program: Command): void {
  program
    .command('consumer-worker', { hidden: true })
    .requiredOption('--broker <url>')
    .requiredOption('--namespace <ns>')
    .requiredOption('--variant <name>')
    .requiredOption('--keys <list>')
    .requiredOption('--ack-wait <duration>')
    .requiredOption('--store <url>')
    .requiredOption('--window <duration>')
    .requiredOption('--name <name>')
    .requiredOption('--hold <ids>')
    .action(async (opts: { broker: string; namespace: string; variant: string; keys: string; ackWait: string; store: string; window: string; name: string; hold: string }) => {
      const { runConsumerWorker } = await import('../../scenarios/consumer/worker.js');
      const { parseDuration } = await import('../../core/units.js');
      const stopped = new Promise<void>((resolve) => {
        process.stdin.on('end', resolve).on('close', resolve).resume();
      });
      await runConsumerWorker({
        broker: opts.broker,
        namespace: opts.namespace,
        variant: opts.variant,
        keys: opts.keys.split(','),
        ackWaitMs: parseDuration(opts.ackWait, '--ack-wait', { maxMs: 600_000 }),
        store: opts.store,
        windowMs: parseDuration(opts.window, '--window', { maxMs: 10_000 }),
        name: opts.name,
        hold: opts.hold === '-' ? [] : opts.hold.split(','),
        write: (line) => process.stdout.write(`${line}\n`),
        stopped,
      });
    });
}
