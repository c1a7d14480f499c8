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
    .option('--hold <ids>', 'message ids to stop at between effect and ack', '-')
    .option('--standby', 'open the store and the broker, then wait for a line `go <ids to hold|->` on stdin')
    .action(async (opts: { broker: string; namespace: string; variant: string; keys: string; ackWait: string; store: string; window: string; name: string; hold: string; standby?: boolean }) => {
      const { runConsumerWorker } = await import('../../scenarios/consumer/worker.js');
      const { parseDuration } = await import('../../core/units.js');
      const { createInterface } = await import('node:readline');
      const ids = (list: string): string[] => (list === '-' ? [] : list.split(','));
      let go: (hold: readonly string[] | undefined) => void = () => undefined;
      const armed = new Promise<readonly string[] | undefined>((resolve) => (go = resolve));
      const stopped = new Promise<void>((resolve) => {
        const lines = createInterface({ input: process.stdin });
        lines.on('line', (line) => {
          const [word, list = '-'] = line.trim().split(' ');
          if (word === 'go') go(ids(list));
        });
        lines.on('close', () => {
          go(undefined);
          resolve();
        });
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
        hold: ids(opts.hold),
        ...(opts.standby ? { go: armed } : {}),
        write: (line) => process.stdout.write(`${line}\n`),
        stopped,
      });
    });
}
