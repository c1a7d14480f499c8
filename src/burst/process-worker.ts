import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type * as grpc from '@grpc/grpc-js';
import { messageOf } from '../core/errors.js';
import { toGrpcMetadata, type TlsMaterial } from '../grpc/transport.js';
import type { BurstCall, CallOutcome } from './call.js';
import { connectChannel, openChannel, sendUnary } from './grpc-call.js';
import type { BurstTransport } from './sync-policy.js';
import { byOffset, untilMicros, untilMicrosBlocking } from './timing.js';

/**
 * The line protocol between `racelab attack --sync processes` and its worker processes (`racelab attack-worker`,
 * hidden): one JSON object per line. The parent sends a setup, then one burst per round with a start time on
 * the machine's monotonic clock, which every process on the machine reads the same; each worker connects
 * before the first burst, waits for the start time, fires its calls and answers with their outcomes.
 */
export interface WorkerSetup {
  type: 'setup';
  target: string;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string };
  metadata: Array<[string, string]>;
  deadlineMs: number;
  connectTimeoutMs: number;
}

export interface WorkerCall {
  index: number;
  client: number;
  path: string;
  /** base64 */
  request: string;
  offsetMicros: number;
}

export interface WorkerBurst {
  type: 'burst';
  id: number;
  atMicros: number;
  calls: WorkerCall[];
}

export type WorkerOutcome = Omit<CallOutcome, 'response'> & { response?: string };

export type ToWorker = WorkerSetup | WorkerBurst | { type: 'quit' };
export type FromWorker = { type: 'ready' } | { type: 'error'; message: string } | { type: 'result'; id: number; outcomes: WorkerOutcome[] };

const b64 = (b: Buffer | undefined): string | undefined => (b ? b.toString('base64') : undefined);

export function tlsToWire(tls: TlsMaterial | undefined): WorkerSetup['tls'] {
  if (!tls) return undefined;
  return {
    ...(tls.ca ? { ca: b64(tls.ca) } : {}),
    ...(tls.cert ? { cert: b64(tls.cert) } : {}),
    ...(tls.key ? { key: b64(tls.key) } : {}),
    ...(tls.serverName ? { serverName: tls.serverName } : {}),
  };
}

function tlsFromWire(t: WorkerSetup['tls']): TlsMaterial | undefined {
  if (!t) return undefined;
  const buf = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, 'base64') : undefined);
  return {
    ...(t.ca ? { ca: buf(t.ca) } : {}),
    ...(t.cert ? { cert: buf(t.cert) } : {}),
    ...(t.key ? { key: buf(t.key) } : {}),
    ...(t.serverName ? { serverName: t.serverName } : {}),
  };
}

/** The worker side: reads the protocol from `input`, writes answers to `output`, returns on quit or end of input. */
export async function runBurstWorker(input: Readable, output: Writable): Promise<void> {
  const say = (m: FromWorker): void => {
    output.write(`${JSON.stringify(m)}\n`);
  };
  const lines = createInterface({ input });
  let client: grpc.Client | undefined;
  let transport: BurstTransport | undefined;
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let msg: ToWorker;
      try {
        msg = JSON.parse(line) as ToWorker;
      } catch {
        say({ type: 'error', message: `worker: not JSON: ${line.slice(0, 80)}` });
        continue;
      }
      if (msg.type === 'quit') break;
      if (msg.type === 'setup') {
        const tls = tlsFromWire(msg.tls);
        transport = { target: msg.target, ...(tls ? { tls } : {}), metadata: msg.metadata, deadlineMs: msg.deadlineMs, connectTimeoutMs: msg.connectTimeoutMs };
        client = openChannel(transport, true);
        try {
          await connectChannel(client, transport);
          say({ type: 'ready' });
        } catch (e) {
          say({ type: 'error', message: `could not connect to ${msg.target}: ${messageOf(e)}` });
        }
        continue;
      }
      if (!client || !transport) {
        say({ type: 'error', message: 'worker: burst before setup' });
        continue;
      }
      const md = toGrpcMetadata(transport.metadata);
      const calls: BurstCall[] = msg.calls.map((c) => ({ ...c, request: Buffer.from(c.request, 'base64') }));
      const pending: Array<Promise<CallOutcome>> = [];
      let first = true;
      for (const group of byOffset(calls)) {
        const at = msg.atMicros + (group[0]?.offsetMicros ?? 0);
        if (first) await untilMicrosBlocking(at);
        else await untilMicros(at);
        first = false;
        for (const c of group) pending.push(sendUnary(client, c, transport, md));
      }
      const outcomes = await Promise.all(pending);
      say({
        type: 'result',
        id: msg.id,
        outcomes: outcomes.map(({ response, ...rest }) => ({ ...rest, ...(response ? { response: response.toString('base64') } : {}) })),
      });
    }
  } finally {
    lines.close();
    client?.close();
  }
}
