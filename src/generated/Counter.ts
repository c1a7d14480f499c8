// Original file: proto/counter.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetValueRequest as _GetValueRequest, GetValueRequest__Output as _GetValueRequest__Output } from './GetValueRequest.js';
import type { GetValueResponse as _GetValueResponse, GetValueResponse__Output as _GetValueResponse__Output } from './GetValueResponse.js';
import type { IncrementRequest as _IncrementRequest, IncrementRequest__Output as _IncrementRequest__Output } from './IncrementRequest.js';
import type { IncrementResponse as _IncrementResponse, IncrementResponse__Output as _IncrementResponse__Output } from './IncrementResponse.js';

export interface CounterClient extends grpc.Client {
  GetValue(argument: _GetValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  GetValue(argument: _GetValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  GetValue(argument: _GetValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  GetValue(argument: _GetValueRequest, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  getValue(argument: _GetValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  getValue(argument: _GetValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  getValue(argument: _GetValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  getValue(argument: _GetValueRequest, callback: grpc.requestCallback<_GetValueResponse__Output>): grpc.ClientUnaryCall;
  
  Increment(argument: _IncrementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  Increment(argument: _IncrementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  Increment(argument: _IncrementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  Increment(argument: _IncrementRequest, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  increment(argument: _IncrementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  increment(argument: _IncrementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  increment(argument: _IncrementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  increment(argument: _IncrementRequest, callback: grpc.requestCallback<_IncrementResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface CounterHandlers extends grpc.UntypedServiceImplementation {
  GetValue: grpc.handleUnaryCall<_GetValueRequest__Output, _GetValueResponse>;
  
  Increment: grpc.handleUnaryCall<_IncrementRequest__Output, _IncrementResponse>;
  
}

export interface CounterDefinition extends grpc.ServiceDefinition {
  GetValue: MethodDefinition<_GetValueRequest, _GetValueResponse, _GetValueRequest__Output, _GetValueResponse__Output>
  Increment: MethodDefinition<_IncrementRequest, _IncrementResponse, _IncrementRequest__Output, _IncrementResponse__Output>
}
