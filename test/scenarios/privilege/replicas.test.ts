import * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openStore, startReplicaSet } from '../../../src/index.js';
import { runNamespace, withNamespace } from '../../../src/store/specs.js';
import { runScenarioBurst } from '../../../src/scenarios/impacts/burst.js';
import { loadScenarioProto } from '../../../src/scenarios/impacts/server.js';
import { privilegeScenario } from '../../../src/scenarios/privilege/scenario.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

type Unary = (q: unknown, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void;

function call(client: grpc.Client, method: string): Promise<{ code: number; response?: { actions?: number; after_revoke?: number } }> {
  return new Promise((resolve) => {
    ((client as unknown as Record<string, Unary>)[method] as Unary).call(client, { user: 'mallory' }, { deadline: Date.now() + 30_000 }, (e, r) =>
      resolve(e ? { code: e.code } : { code: 0, response: r as { actions?: number; after_revoke?: number } }),
    );
  });
}

/** `replicas` processes of the variant on a fresh namespace of the store, 1 s of work; the namespace is removed after. */
async function onReplicas<T>(storeUrl: string, variant: string, replicas: number, fn: (targets: readonly string[]) => Promise<T>): Promise<T> {
  const url = withNamespace(storeUrl, runNamespace(`privilege-${variant}-${replicas}`));
  const store = await openStore(url);
  try {
    const set = await startReplicaSet({ replicas, scenario: 'privilege', variant, store: url, delayMs: 1000, maxConcurrency: 50, startTimeoutMs: 60_000 });
    try {
      return await fn(set.targets);
    } finally {
      await set.stop(2000);
    }
  } finally {
    await store.reset();
    await store.close();
  }
}

/**
 * The multi-endpoint race laid out in time, so an in-process lock's failure does not hang on a coin flip: after
 * a Grant, one AdminAction on each replica but the last (1 s of work between check and effect), a Revoke on the
 * last replica 300 ms later, then the Audit. With one replica every call goes to it.
 */
async function revokeDuringActions(targets: readonly string[]): Promise<{ accepted: number; afterRevoke: number }> {
  const proto = loadScenarioProto(privilegeScenario);
  const Client = (proto.grpcObject as unknown as { racelab: { privilege: { v1: { Privileges: grpc.ServiceClientConstructor } } } }).racelab.privilege.v1.Privileges;
  const clients = targets.map((t) => new Client(t, grpc.credentials.createInsecure()));
  try {
    // A read (Audit) on every replica first, so each client is connected and each replica has a store connection
    // open: the 300 ms below then cover a call and a read, not a connect on a loaded machine (an action that
    // reaches its check after the revoke is refused).
    for (const audited of await Promise.all(clients.map((c) => call(c, 'Audit')))) expect(audited.code).toBe(0);
    expect((await call(clients[0]!, 'Grant')).code).toBe(0);
    const actions = (clients.length === 1 ? clients : clients.slice(0, -1)).map((c) => call(c, 'AdminAction'));
    await sleep(300);
    expect((await call(clients[clients.length - 1]!, 'Revoke')).code).toBe(0);
    const outcomes = await Promise.all(actions);
    const audit = await call(clients[0]!, 'Audit');
    return { accepted: outcomes.filter((o) => o.code === 0).length, afterRevoke: audit.response?.after_revoke ?? 0 };
  } finally {
    for (const c of clients) c.close();
  }
}

/** Then, on the same replicas, 8 AdminAction and 8 Revoke at once after a Grant: a fix stays exact. */
async function exactUnderBurst(targets: readonly string[]): Promise<void> {
  const r = await runScenarioBurst({ scenario: 'privilege', targets, count: 8 });
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(false);
  expect(r.accepted.Revoke).toBe(8);
}

const refusedThenExact = async (targets: readonly string[]): Promise<void> => {
  expect(await revokeDuringActions(targets)).toEqual({ accepted: 0, afterRevoke: 0 });
  await exactUnderBurst(targets);
};

describe.skipIf(!pg)('privilege on PostgreSQL', () => {
  it('mutex: the revoke waits for the action on 1 replica; on 3 it completes while the other replicas act, and both actions land after it', async () => {
    expect(await onReplicas(PG_URL, 'mutex', 1, revokeDuringActions)).toEqual({ accepted: 1, afterRevoke: 0 });
    expect(await onReplicas(PG_URL, 'mutex', 3, revokeDuringActions)).toEqual({ accepted: 2, afterRevoke: 2 });
  }, 240_000);
  it('epoch and txn (SERIALIZABLE, retried) on 3: the actions in flight are refused, and a burst stays exact', async () => {
    for (const variant of ['epoch', 'txn']) await onReplicas(PG_URL, variant, 3, refusedThenExact);
  }, 300_000);
});

describe.skipIf(!redis)('privilege on Redis, 3 replica processes', () => {
  it('vulnerable and mutex: both actions land after the revoke; epoch and txn (WATCH/MULTI): refused, and a burst stays exact', async () => {
    for (const variant of ['vulnerable', 'mutex']) expect(await onReplicas(REDIS_URL, variant, 3, revokeDuringActions)).toEqual({ accepted: 2, afterRevoke: 2 });
    for (const variant of ['epoch', 'txn']) await onReplicas(REDIS_URL, variant, 3, refusedThenExact);
  }, 300_000);
});
