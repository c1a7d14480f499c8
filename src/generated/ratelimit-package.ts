import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CallRequest as _racelab_ratelimit_v1_CallRequest, CallRequest__Output as _racelab_ratelimit_v1_CallRequest__Output } from './racelab/ratelimit/v1/CallRequest.js';
import type { CallResponse as _racelab_ratelimit_v1_CallResponse, CallResponse__Output as _racelab_ratelimit_v1_CallResponse__Output } from './racelab/ratelimit/v1/CallResponse.js';
import type { RateLimiterClient as _racelab_ratelimit_v1_RateLimiterClient, RateLimiterDefinition as _racelab_ratelimit_v1_RateLimiterDefinition } from './racelab/ratelimit/v1/RateLimiter.js';
import type { UsageRequest as _racelab_ratelimit_v1_UsageRequest, UsageRequest__Output as _racelab_ratelimit_v1_UsageRequest__Output } from './racelab/ratelimit/v1/UsageRequest.js';
import type { UsageResponse as _racelab_ratelimit_v1_UsageResponse, UsageResponse__Output as _racelab_ratelimit_v1_UsageResponse__Output } from './racelab/ratelimit/v1/UsageResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    ratelimit: {
      v1: {
        CallRequest: MessageTypeDefinition<_racelab_ratelimit_v1_CallRequest, _racelab_ratelimit_v1_CallRequest__Output>
        CallResponse: MessageTypeDefinition<_racelab_ratelimit_v1_CallResponse, _racelab_ratelimit_v1_CallResponse__Output>
        RateLimiter: SubtypeConstructor<typeof grpc.Client, _racelab_ratelimit_v1_RateLimiterClient> & { service: _racelab_ratelimit_v1_RateLimiterDefinition }
        UsageRequest: MessageTypeDefinition<_racelab_ratelimit_v1_UsageRequest, _racelab_ratelimit_v1_UsageRequest__Output>
        UsageResponse: MessageTypeDefinition<_racelab_ratelimit_v1_UsageResponse, _racelab_ratelimit_v1_UsageResponse__Output>
      }
    }
  }
}

