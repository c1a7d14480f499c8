// Original file: proto/ratelimit.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CallRequest as _racelab_ratelimit_v1_CallRequest, CallRequest__Output as _racelab_ratelimit_v1_CallRequest__Output } from '../../../racelab/ratelimit/v1/CallRequest.js';
import type { CallResponse as _racelab_ratelimit_v1_CallResponse, CallResponse__Output as _racelab_ratelimit_v1_CallResponse__Output } from '../../../racelab/ratelimit/v1/CallResponse.js';
import type { UsageRequest as _racelab_ratelimit_v1_UsageRequest, UsageRequest__Output as _racelab_ratelimit_v1_UsageRequest__Output } from '../../../racelab/ratelimit/v1/UsageRequest.js';
import type { UsageResponse as _racelab_ratelimit_v1_UsageResponse, UsageResponse__Output as _racelab_ratelimit_v1_UsageResponse__Output } from '../../../racelab/ratelimit/v1/UsageResponse.js';

export interface RateLimiterClient extends grpc.Client {
  Call(argument: _racelab_ratelimit_v1_CallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  Call(argument: _racelab_ratelimit_v1_CallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  Call(argument: _racelab_ratelimit_v1_CallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  Call(argument: _racelab_ratelimit_v1_CallRequest, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  call(argument: _racelab_ratelimit_v1_CallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  call(argument: _racelab_ratelimit_v1_CallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  call(argument: _racelab_ratelimit_v1_CallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  call(argument: _racelab_ratelimit_v1_CallRequest, callback: grpc.requestCallback<_racelab_ratelimit_v1_CallResponse__Output>): grpc.ClientUnaryCall;
  
  Usage(argument: _racelab_ratelimit_v1_UsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  Usage(argument: _racelab_ratelimit_v1_UsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  Usage(argument: _racelab_ratelimit_v1_UsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  Usage(argument: _racelab_ratelimit_v1_UsageRequest, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  usage(argument: _racelab_ratelimit_v1_UsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  usage(argument: _racelab_ratelimit_v1_UsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  usage(argument: _racelab_ratelimit_v1_UsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  usage(argument: _racelab_ratelimit_v1_UsageRequest, callback: grpc.requestCallback<_racelab_ratelimit_v1_UsageResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface RateLimiterHandlers extends grpc.UntypedServiceImplementation {
  Call: grpc.handleUnaryCall<_racelab_ratelimit_v1_CallRequest__Output, _racelab_ratelimit_v1_CallResponse>;
  
  Usage: grpc.handleUnaryCall<_racelab_ratelimit_v1_UsageRequest__Output, _racelab_ratelimit_v1_UsageResponse>;
  
}

export interface RateLimiterDefinition extends grpc.ServiceDefinition {
  Call: MethodDefinition<_racelab_ratelimit_v1_CallRequest, _racelab_ratelimit_v1_CallResponse, _racelab_ratelimit_v1_CallRequest__Output, _racelab_ratelimit_v1_CallResponse__Output>
  Usage: MethodDefinition<_racelab_ratelimit_v1_UsageRequest, _racelab_ratelimit_v1_UsageResponse, _racelab_ratelimit_v1_UsageRequest__Output, _racelab_ratelimit_v1_UsageResponse__Output>
}
