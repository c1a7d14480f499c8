import type { Random } from '../core/random.js';
import { encodeJsonMessage } from '../grpc/json-message.js';
import type { MethodSchema } from '../grpc/schema.js';
import type { BurstCall } from '../burst/call.js';
import { applyTemplate, CHECK_VARS, templatePlaceholders } from './template.js';

/** One method in a burst: a single endpoint for the classic race, several for multi-endpoint races. */
export interface Endpoint {
  readonly method: MethodSchema;
  /** Calls of this method per burst. */
  readonly count: number;
  /** When, after the burst's start, this endpoint's calls are sent (e.g. `Cancel` 2 ms after `Redeem`). */
  readonly offsetMicros: number;
  /** Request JSON, possibly with placeholders. */
  readonly data: unknown;
  /** What the option was called, for error messages: the subject (`data`, or the CLI's `--data-file 2`). */
  readonly dataSource: string;
}

export interface BuiltBurst {
  readonly calls: BurstCall[];
  /** The request JSON each call carried (after templating), by index, for the history. */
  readonly requests: unknown[];
  /** The endpoint of each call, by index. */
  readonly endpointOf: Endpoint[];
}

/** Checks every endpoint's data against its request type once, before anything connects. */
export function validateEndpoints(endpoints: readonly Endpoint[]): void {
  for (const e of endpoints) {
    templatePlaceholders(e.data, e.dataSource);
    encodeJsonMessage(e.method.requestType, applyTemplate(e.data, CHECK_VARS), e.dataSource);
  }
}

/** Lays out one burst: endpoints in order, each call templated and encoded, assigned to its client. */
export function buildBurst(endpoints: readonly Endpoint[], clientOf: (index: number) => number, round: number, random: Random, run: string): BuiltBurst {
  const calls: BurstCall[] = [];
  const requests: unknown[] = [];
  const endpointOf: Endpoint[] = [];
  let index = 0;
  for (const e of endpoints) {
    const templated = templatePlaceholders(e.data, e.dataSource).size > 0;
    const fixed = templated ? undefined : encodeJsonMessage(e.method.requestType, e.data, e.dataSource);
    for (let k = 0; k < e.count; k++, index++) {
      const client = clientOf(index);
      const json = templated ? applyTemplate(e.data, { index, client, round, uuid: () => random.uuid(), run }) : e.data;
      calls.push({
        index,
        client,
        path: e.method.path,
        request: fixed ?? encodeJsonMessage(e.method.requestType, json, e.dataSource),
        offsetMicros: e.offsetMicros,
      });
      requests.push(json);
      endpointOf.push(e);
    }
  }
  return { calls, requests, endpointOf };
}
