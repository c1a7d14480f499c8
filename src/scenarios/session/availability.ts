import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { RacelabError } from '../../core/errors.js';
import { builtinProtoPath, loadProto } from '../../grpc/proto.js';
import type { AvailabilityPhases, CallsAnswered } from '../impacts/scenario.js';

export interface DoubleEndBurstOptions {
  /** A server of racelab.session.v1.Sessions (`racelab serve --scenario session --variant crash-…`). */
  readonly target: string;
  /** Sessions opened before the burst, each then ended twice at once; default 6. */
  readonly sessions?: number;
  /** Opens after the burst; default 4. */
  readonly after?: number;
  /** Each call's deadline; default 10 s. */
  readonly deadlineMs?: number;
}

type Unary = (request: unknown, options: grpc.CallOptions, callback: (e: grpc.ServiceError | null, r: unknown) => void) => void;

/**
 * Availability of a session server over gRPC: `sessions` Opens at once (before), then every one of those sessions
 * ended twice at once, as two tabs logging out do (the burst of End calls), then `after` Opens of new sessions.
 * A call is answered when it returns OK. Session names are new in every run, so runs against one server never
 * meet. Against crash-vulnerable the double Ends crash the session table until its supervisor gives up, and the
 * Opens after are answered UNAVAILABLE ("service down"); against crash-fixed every call is answered.
 */
export async function measureDoubleEndBurstOverGrpc(o: DoubleEndBurstOptions): Promise<AvailabilityPhases> {
  const sessions = o.sessions ?? 6;
  const later = o.after ?? 4;
  const deadlineMs = o.deadlineMs ?? 10_000;
  const proto = loadProto(builtinProtoPath('session.proto'));
  const Client = ['racelab', 'session', 'v1', 'Sessions'].reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], proto.grpcObject) as grpc.ServiceClientConstructor;
  const client = new Client(o.target, grpc.credentials.createInsecure());
  const call = (method: 'Open' | 'End', session: string): Promise<{ code: number; details: string }> =>
    new Promise((resolve) => {
      const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
      fn.call(client, { session }, { deadline: Date.now() + deadlineMs }, (e) => resolve(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, details: '' }));
    });
  const phase = (outcomes: ReadonlyArray<{ code: number }>): CallsAnswered => ({ calls: outcomes.length, answered: outcomes.filter((x) => x.code === grpc.status.OK).length });
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + deadlineMs, (e) => (e ? reject(new RacelabError('UNREACHABLE', `target: could not connect to ${o.target} (${e.message})`)) : resolve())),
    );
    const run = randomBytes(4).toString('hex');
    const names = Array.from({ length: sessions }, (_, i) => `user-${run}-${i}`);
    const before = await Promise.all(names.map((s) => call('Open', s)));
    const during = await Promise.all(names.flatMap((s) => [call('End', s), call('End', s)]));
    const after = await Promise.all(Array.from({ length: later }, (_, i) => call('Open', `late-${run}-${i}`)));
    const refusal = after.find((x) => x.code === grpc.status.UNAVAILABLE)?.details;
    return { before: phase(before), during: phase(during), after: phase(after), ...(refusal ? { afterRefusal: refusal } : {}) };
  } finally {
    client.close();
  }
}
