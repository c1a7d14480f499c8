import type * as grpc from '@grpc/grpc-js';
import type { CallOutcome } from '../burst/call.js';
import { connectChannel, openChannel, sendUnary } from '../burst/grpc-call.js';
import type { BurstTransport } from '../burst/sync-policy.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { decodeMessage, encodeJsonMessage } from '../grpc/json-message.js';
import type { MethodSchema } from '../grpc/schema.js';
import { status, statusName } from '../grpc/status.js';

/** A check call the target answered with an error status: `status` is the gRPC code it sent. */
export class CheckCallFailed extends RacelabError {
  readonly status: number;
  constructor(detail: string, code: number, subject: string) {
    super(code === status.UNAVAILABLE ? 'UNREACHABLE' : 'BAD_OPTION', detail, { subject });
    this.status = code;
  }
}

/** A channel of its own for the before/after reads, so they never share a connection with the burst. */
export class CheckChannel {
  private client: grpc.Client | undefined;
  constructor(private readonly transport: BurstTransport) {}
  /** `what` names the call in errors: an option (`before`, `setup`), or a phrase such as the scenario's setup call. */
  async read(check: { method: MethodSchema; data: unknown }, what: string): Promise<{ value: Record<string, unknown>; outcome: CallOutcome }> {
    if (!this.client) {
      this.client = openChannel(this.transport, true);
      await connectChannel(this.client, this.transport).catch((e: unknown) => {
        throw new RacelabError('UNREACHABLE', `could not connect to ${this.transport.target} (${messageOf(e)})`, { subject: what });
      });
    }
    const request = encodeJsonMessage(check.method.requestType, check.data, /^[A-Za-z]+$/.test(what) ? `${what}.data` : `${what} data`);
    const outcome = await sendUnary(this.client, { index: -1, client: -1, path: check.method.path, request, offsetMicros: 0 }, this.transport);
    if (outcome.code !== status.OK || !outcome.response) {
      throw new CheckCallFailed(`${check.method.path} failed with ${statusName(outcome.code)}: ${outcome.details}`, outcome.code, what);
    }
    return { value: decodeMessage(check.method.responseType, outcome.response), outcome };
  }
  close(): void {
    this.client?.close();
  }
}
