import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actor/index.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, cliMessage, exitStatusFor } from '../../src/cli/errors.js';
import { RacelabError, parsePort } from '../../src/core/index.js';
import { parseTarget } from '../../src/grpc/index.js';

const thrown = (f: () => unknown): RacelabError => {
  try {
    f();
  } catch (e) {
    if (e instanceof RacelabError) return e;
    throw e;
  }
  throw new Error('expected a RacelabError');
};

describe('library errors in the CLI: codes to exit statuses, subjects to flags', () => {
  it('a library error names its parameter in library terms; the CLI shows the flag', () => {
    const e = thrown(() => parsePort('http'));
    expect(e.code).toBe('BAD_PORT');
    expect(e.message).toBe('port: "http" is not a TCP port; use a number from 1 to 65535 (0 picks a free one)');
    expect(e.message).not.toMatch(/--/);
    expect(cliMessage(e)).toBe('--port: "http" is not a TCP port; use a number from 1 to 65535 (0 picks a free one)');
    expect(exitStatusFor(e)).toBe(EXIT_BAD_INPUT);
  });

  it('an error that crossed a worker thread or an agent keeps its subject, so the CLI still names the flag', async () => {
    const { errorFields, errorFromFields } = await import('../../src/core/errors.js');
    const { checkSizes } = await import('../../src/scenarios/consumer/run.js');
    const e = thrown(() => checkSizes(0, 1, undefined));
    expect(e.message).toBe('messages: "0" must be a whole number from 1 to 100000');
    // What a worker posts is plain data (structured clone / JSON).
    const sent = JSON.parse(JSON.stringify({ message: e.message, ...errorFields(e) })) as { message: string };
    const again = errorFromFields(sent)!;
    expect([again.code, again.message, cliMessage(again)]).toEqual(['BAD_COUNT', e.message, '--messages: "0" must be a whole number from 1 to 100000']);
    expect(errorFromFields({ message: 'TypeError: x is undefined', ...errorFields(new TypeError('x')) })).toBeUndefined();
  });

  it('keeps a flag the CLI passed as the subject, and adds its own hint for an unreachable target', () => {
    expect(cliMessage(thrown(() => parseTarget('nohost', '--targets')))).toMatch(/^--targets: "nohost" is not host:port/);
    const down = new RacelabError('UNREACHABLE', 'nothing answers gRPC at 127.0.0.1:1 (waited 5ms); start a server there or check host and port', { subject: 'target' });
    expect(down.message).not.toContain('racelab serve');
    expect(cliMessage(down)).toBe('--target: nothing answers gRPC at 127.0.0.1:1 (waited 5ms); start a server there or check host and port (`racelab serve` starts one)');
  });

  it('a library error names other options in backticks, or has a phrase for its subject; the CLI shows flags', async () => {
    const { storeKind } = await import('../../src/store/open.js');
    const { consumerWorkload } = await import('../../src/scenarios/consumer/workload.js');
    const notStore = thrown(() => storeKind('mysql://db'));
    expect(notStore.message).toBe('store: "mysql://db" is not a store; use memory, postgres://user@host:5432/db or redis://host:6379 (rediss:// TLS is not supported)');
    expect(cliMessage(notStore)).toBe('--store: "mysql://db" is not a store; use memory, postgres://user@host:5432/db or redis://host:6379 (rediss:// TLS is not supported)');
    const producer = thrown(() => consumerWorkload({ variant: 'outbox', ackTimeouts: 1 }));
    expect(producer.message).not.toMatch(/--/);
    expect(cliMessage(producer)).toBe('--ack-timeouts: does not apply to variant outbox (the producer side: one key, one idempotent consumer); it takes --messages and --crashes');
    const phrase = new RacelabError('BAD_DATA', 'unknown placeholder {{x}}', { subject: '`data` for Increment (call 2)' });
    expect(cliMessage(phrase)).toBe('--data for Increment (call 2): unknown placeholder {{x}}');
    expect(cliMessage(new RacelabError('BAD_DATA', 'not valid JSON', { subject: 'setup.data' }))).toBe('--setup-data: not valid JSON');
  });

  it('the actor runtime used against its rules is ACTOR_MISUSE: a bug in the calling code, exit 70 in the CLI', () => {
    const e = thrown(() => new ActorSystem({ callTimeoutMs: -1 }));
    expect(e.code).toBe('ACTOR_MISUSE');
    expect(exitStatusFor(e)).toBe(EXIT_INTERNAL);
  });
});
