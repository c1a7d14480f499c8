import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';

const PROTO = join(import.meta.dirname, '../../../proto/bank.proto');

interface PlainBank {
  target: string;
  close(): Promise<void>;
}

/**
 * A bank written the way a team would, with grpc-js and nothing of racelab's: balances in a Map, the vulnerable
 * handler reads, checks, awaits a timer (the fraud check), writes; the fixed one checks and writes with no await
 * between them. Reflection is served with @grpc/reflection, as a real service might.
 */
async function startPlainBank(fixed: boolean): Promise<PlainBank> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { racelab: { bank: { v1: { Bank: grpc.ServiceClientConstructor } } } };
  const balances = new Map([
    ['alice', 100_000],
    ['bob', 100_000],
  ]);
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 60));
  const debit = async (account: string, amount: number): Promise<number> => {
    if (fixed) {
      await pause();
      const b = balances.get(account) ?? 0;
      if (b < amount) throw Object.assign(new Error('insufficient funds'), { code: grpc.status.FAILED_PRECONDITION });
      balances.set(account, b - amount);
      return b - amount;
    }
    const b = balances.get(account) ?? 0;
    if (b < amount) throw Object.assign(new Error('insufficient funds'), { code: grpc.status.FAILED_PRECONDITION });
    await pause();
    balances.set(account, b - amount);
    return b - amount;
  };
  type Call<T> = grpc.ServerUnaryCall<T, unknown>;
  const unary =
    <T>(fn: (req: T) => Promise<unknown>) =>
    (call: Call<T>, cb: grpc.sendUnaryData<unknown>): void => {
      fn(call.request).then(
        (r) => cb(null, r),
        (e: grpc.ServiceError) => cb(e),
      );
    };
  const server = new grpc.Server();
  server.addService(pkg.racelab.bank.v1.Bank.service, {
    Withdraw: unary(async (r: { account: string; amount: number }) => ({ balance: await debit(r.account, r.amount) })),
    Transfer: unary(async (r: { from: string; to: string; amount: number }) => {
      const left = await debit(r.from, r.amount);
      balances.set(r.to, (balances.get(r.to) ?? 0) + r.amount);
      return { balance: left };
    }),
    Balance: unary(async (r: { account: string }) => ({ balance: balances.get(r.account) ?? 0 })),
    Audit: unary(async () => {
      const values = [...balances.values()];
      return { total: values.reduce((s, v) => s + v, 0), minimum: Math.min(...values), accounts: values.length };
    }),
  });
  new ReflectionService(definition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { target: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

describe('racelab attack --scenario bank against a plain grpc-js bank (types through reflection)', () => {
  let bank: PlainBank | undefined;
  afterEach(async () => {
    await bank?.close();
    bank = undefined;
  });

  it('vulnerable: race, as against racelab serve', async () => {
    bank = await startPlainBank(false);
    const report = await runAttack({ target: bank.target, scenario: 'bank', sync: 'last-frame', count: 4, rounds: 2, pauseMs: 0 });
    expect(report.schemaSource).toMatch(/^server reflection/);
    expect(report.verdict, report.warnings.join('\n')).toBe('race');
  }, 60_000);

  it('check and write with no await between: no race', async () => {
    bank = await startPlainBank(true);
    const report = await runAttack({ target: bank.target, scenario: 'bank', sync: 'last-frame', count: 4, rounds: 2, pauseMs: 0 });
    expect(report.verdict, report.warnings.join('\n')).toBe('no-race');
    expect(report.totals.ok).toBe(16);
  }, 60_000);
});
