// Original file: proto/session.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EndRequest as _racelab_session_v1_EndRequest, EndRequest__Output as _racelab_session_v1_EndRequest__Output } from '../../../racelab/session/v1/EndRequest.js';
import type { EndResponse as _racelab_session_v1_EndResponse, EndResponse__Output as _racelab_session_v1_EndResponse__Output } from '../../../racelab/session/v1/EndResponse.js';
import type { OpenRequest as _racelab_session_v1_OpenRequest, OpenRequest__Output as _racelab_session_v1_OpenRequest__Output } from '../../../racelab/session/v1/OpenRequest.js';
import type { OpenResponse as _racelab_session_v1_OpenResponse, OpenResponse__Output as _racelab_session_v1_OpenResponse__Output } from '../../../racelab/session/v1/OpenResponse.js';
import type { PoolRequest as _racelab_session_v1_PoolRequest, PoolRequest__Output as _racelab_session_v1_PoolRequest__Output } from '../../../racelab/session/v1/PoolRequest.js';
import type { PoolResponse as _racelab_session_v1_PoolResponse, PoolResponse__Output as _racelab_session_v1_PoolResponse__Output } from '../../../racelab/session/v1/PoolResponse.js';

export interface SessionsClient extends grpc.Client {
  End(argument: _racelab_session_v1_EndRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  End(argument: _racelab_session_v1_EndRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  End(argument: _racelab_session_v1_EndRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  End(argument: _racelab_session_v1_EndRequest, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  end(argument: _racelab_session_v1_EndRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  end(argument: _racelab_session_v1_EndRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  end(argument: _racelab_session_v1_EndRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  end(argument: _racelab_session_v1_EndRequest, callback: grpc.requestCallback<_racelab_session_v1_EndResponse__Output>): grpc.ClientUnaryCall;
  
  Open(argument: _racelab_session_v1_OpenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  Open(argument: _racelab_session_v1_OpenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  Open(argument: _racelab_session_v1_OpenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  Open(argument: _racelab_session_v1_OpenRequest, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  open(argument: _racelab_session_v1_OpenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  open(argument: _racelab_session_v1_OpenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  open(argument: _racelab_session_v1_OpenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  open(argument: _racelab_session_v1_OpenRequest, callback: grpc.requestCallback<_racelab_session_v1_OpenResponse__Output>): grpc.ClientUnaryCall;
  
  Pool(argument: _racelab_session_v1_PoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  Pool(argument: _racelab_session_v1_PoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  Pool(argument: _racelab_session_v1_PoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  Pool(argument: _racelab_session_v1_PoolRequest, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  pool(argument: _racelab_session_v1_PoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  pool(argument: _racelab_session_v1_PoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  pool(argument: _racelab_session_v1_PoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  pool(argument: _racelab_session_v1_PoolRequest, callback: grpc.requestCallback<_racelab_session_v1_PoolResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SessionsHandlers extends grpc.UntypedServiceImplementation {
  End: grpc.handleUnaryCall<_racelab_session_v1_EndRequest__Output, _racelab_session_v1_EndResponse>;
  
  Open: grpc.handleUnaryCall<_racelab_session_v1_OpenRequest__Output, _racelab_session_v1_OpenResponse>;
  
  Pool: grpc.handleUnaryCall<_racelab_session_v1_PoolRequest__Output, _racelab_session_v1_PoolResponse>;
  
}

export interface SessionsDefinition extends grpc.ServiceDefinition {
  End: MethodDefinition<_racelab_session_v1_EndRequest, _racelab_session_v1_EndResponse, _racelab_session_v1_EndRequest__Output, _racelab_session_v1_EndResponse__Output>
  Open: MethodDefinition<_racelab_session_v1_OpenRequest, _racelab_session_v1_OpenResponse, _racelab_session_v1_OpenRequest__Output, _racelab_session_v1_OpenResponse__Output>
  Pool: MethodDefinition<_racelab_session_v1_PoolRequest, _racelab_session_v1_PoolResponse, _racelab_session_v1_PoolRequest__Output, _racelab_session_v1_PoolResponse__Output>
}
